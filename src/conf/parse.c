/* parse.c: statements of the swanctl.conf grammar into a tree (see parse.h). */
#include "conf/parse.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/lex.h"

struct parser {
	struct conf_tree *t;
	struct conf_err *err;
	bool allow_include;
	int depth; /* files open */
	struct {
		dev_t dev;
		ino_t ino;
	} open[CONF_MAX_INCLUDE_DEPTH];
};

static int parse_text(struct parser *ps, const char *file, const char *text, size_t len,
		      struct conf_node *into);

static int too_many(struct parser *ps, const char *file, int line)
{
	conf_err_set(ps->err, file, line, "more than %d sections and keys", CONF_MAX_NODES);
	return -E2BIG;
}

static struct conf_node *child_of(struct conf_node *sec, const char *name)
{
	return (struct conf_node *)conf_child(sec, name);
}

/* "line 3" or "b.conf:3": where an earlier definition is, seen from file. */
static const char *where(const struct conf_node *n, const char *file, char *buf, size_t len)
{
	if (n->file == file)
		snprintf(buf, len, "line %d", n->line);
	else
		snprintf(buf, len, "%s:%d", n->file, n->line);
	return buf;
}

static int add_key(struct parser *ps, struct conf_node *sec, const char *name, const char *value,
		   const char *file, int line)
{
	struct conf_node *n = child_of(sec, name);
	char at[300];

	if (n && conf_is_section(n)) {
		conf_err_set(ps->err, file, line,
			     "'%s' is a section (opened at %s); it cannot also be a key", name,
			     where(n, file, at, sizeof(at)));
		return -EINVAL;
	}
	if (n) /* a repeated key: the later value wins, as strongSwan */
		return conf_node_set_value(n, value, file, line);
	if (ps->t->nodes >= CONF_MAX_NODES)
		return too_many(ps, file, line);
	return conf_node_add(ps->t, sec, name, value, file, line) ? 0 : -ENOMEM;
}

static int node_depth(const struct conf_node *n)
{
	int d = 0;

	for (; n->parent; n = n->parent)
		d++;
	return d;
}

/* Open (or reopen, to extend it) the section name below sec. */
static int open_section(struct parser *ps, struct conf_node *sec, const char *name,
			const char *file, int line, struct conf_node **out)
{
	struct conf_node *n = child_of(sec, name);
	char at[300];

	if (n && !conf_is_section(n)) {
		conf_err_set(ps->err, file, line,
			     "'%s' is a key (set at %s); it cannot also be a section", name,
			     where(n, file, at, sizeof(at)));
		return -EINVAL;
	}
	if (!n && node_depth(sec) >= CONF_MAX_SECTION_DEPTH) {
		conf_err_set(ps->err, file, line, "sections nested deeper than %d",
			     CONF_MAX_SECTION_DEPTH);
		return -EINVAL;
	}
	if (!n && ps->t->nodes >= CONF_MAX_NODES)
		return too_many(ps, file, line);
	if (!n && !(n = conf_node_add(ps->t, sec, name, NULL, file, line)))
		return -ENOMEM;
	*out = n;
	return 0;
}

static int add_ref(struct conf_node *n, const char *ref, const char *file, int line)
{
	char **refs;
	size_t i;

	for (i = 0; i < n->nrefs; i++)
		if (strcmp(n->refs[i], ref) == 0)
			return 0;
	refs = realloc(n->refs, (n->nrefs + 1) * sizeof(*refs));
	if (!refs)
		return -ENOMEM;
	n->refs = refs;
	if (!(refs[n->nrefs] = strdup(ref)))
		return -ENOMEM;
	n->nrefs++;
	n->refs_file = file;
	n->refs_line = line;
	return 0;
}

/* ": a, b.c" up to and including the '{' (newlines may come before it). */
static int parse_refs(struct parser *ps, struct lex *lx, struct conf_node *sec, const char *name,
		      int line)
{
	struct lex_token tok;
	int rc;

	for (;;) {
		if ((rc = lex_next(lx, &tok, ps->err)))
			return rc;
		if (tok.type != TOK_NAME) {
			conf_err_set(ps->err, lx->file, tok.line,
				     "expected the name of a section to inherit from after '%s :'",
				     name);
			return -EINVAL;
		}
		if ((rc = add_ref(sec, tok.text, lx->file, line)))
			return rc;
		if ((rc = lex_next(lx, &tok, ps->err)))
			return rc;
		while (tok.type == TOK_NEWLINE)
			if ((rc = lex_next(lx, &tok, ps->err)))
				return rc;
		if (tok.type == TOK_LBRACE)
			return 0;
		if (tok.type != TOK_COMMA) {
			conf_err_set(ps->err, lx->file, tok.line,
				     "expected ',' or '{' after the references of '%s'", name);
			return -EINVAL;
		}
	}
}

struct open_stack {
	struct conf_node *sec[CONF_MAX_SECTION_DEPTH + 1];
	int line[CONF_MAX_SECTION_DEPTH + 1];
	int n;
};

/* A statement that starts with a name: a key or a section. */
static int statement(struct parser *ps, struct lex *lx, const struct lex_token *first,
		     struct conf_node **cur, struct open_stack *st)
{
	struct lex_token tok;
	struct conf_node *sec;
	int line = first->line, rc;
	char *name = strdup(first->text);

	if (!name)
		return -ENOMEM;
	if ((rc = lex_next(lx, &tok, ps->err)))
		goto out;
	if (tok.type == TOK_EQ) {
		if (!(rc = lex_next(lx, &tok, ps->err)))
			rc = add_key(ps, *cur, name, tok.text, lx->file, line);
		goto out;
	}
	while (tok.type == TOK_NEWLINE) /* "name" NEWLINE "{" is a section too */
		if ((rc = lex_next(lx, &tok, ps->err)))
			goto out;
	if (tok.type != TOK_LBRACE && tok.type != TOK_COLON) {
		conf_err_set(ps->err, lx->file, line, "expected '=' or '{' after '%s'", name);
		rc = -EINVAL;
		goto out;
	}
	if ((rc = open_section(ps, *cur, name, lx->file, line, &sec)))
		goto out;
	if (tok.type == TOK_COLON && (rc = parse_refs(ps, lx, sec, name, line)))
		goto out;
	/* the depth check of open_section bounds st->n */
	st->sec[st->n] = sec;
	st->line[st->n] = line;
	st->n++;
	*cur = sec;
out:
	free(name);
	return rc;
}

static bool has_wildcard(const char *pattern)
{
	return strpbrk(pattern, "*?[") != NULL;
}

static int read_all(int fd, char **out, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t r;

		if (n == cap) {
			char *b;

			if (cap >= CONF_MAX_FILE_SIZE) {
				free(buf);
				return -E2BIG;
			}
			cap *= 2;
			if (!(b = realloc(buf, cap))) {
				free(buf);
				return -ENOMEM;
			}
			buf = b;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;

			free(buf);
			return -e;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*out = buf;
	*len = n;
	return 0;
}

/* Report a problem with path: at the include statement when there is one. */
static int file_error(struct parser *ps, int rc, const char *path, const char *pattern,
		      const char *from, int from_line, const char *what)
{
	if (from)
		conf_err_set(ps->err, from, from_line, "include '%s': %s", pattern, what);
	else
		conf_err_set(ps->err, path, 0, "%s", what);
	return rc;
}

/* Read and parse one file into `into`; from/from_line/pattern name the include
 * statement (from is NULL for the top file). */
static int parse_path(struct parser *ps, const char *path, struct conf_node *into,
		      const char *pattern, const char *from, int from_line)
{
	char what[300], *text = NULL;
	const char *name;
	struct stat st;
	size_t len = 0;
	int fd, rc, i;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(what, sizeof(what), "%s", rc == -ENOENT ? "no such file" : strerror(-rc));
		return file_error(ps, rc, path, pattern, from, from_line, what);
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return file_error(ps, -EINVAL, path, pattern, from, from_line,
				  "not a regular file");
	}
	for (i = 0; i < ps->depth; i++) {
		if (ps->open[i].dev == st.st_dev && ps->open[i].ino == st.st_ino) {
			close(fd);
			snprintf(what, sizeof(what), "include cycle: %s is already being read",
				 path);
			return file_error(ps, -ELOOP, path, pattern, from, from_line, what);
		}
	}
	if (ps->depth >= CONF_MAX_INCLUDE_DEPTH) {
		close(fd);
		snprintf(what, sizeof(what), "includes nested deeper than %d files",
			 CONF_MAX_INCLUDE_DEPTH);
		return file_error(ps, -ELOOP, path, pattern, from, from_line, what);
	}
	rc = read_all(fd, &text, &len);
	close(fd);
	if (rc) {
		snprintf(what, sizeof(what), "%s",
			 rc == -E2BIG ? "file larger than 16 MiB" : strerror(-rc));
		return file_error(ps, rc, path, pattern, from, from_line, what);
	}
	if (!(name = conf_tree_file(ps->t, path))) {
		free(text);
		return -ENOMEM;
	}
	ps->open[ps->depth].dev = st.st_dev;
	ps->open[ps->depth].ino = st.st_ino;
	ps->depth++;
	rc = parse_text(ps, name, text, len, into);
	ps->depth--;
	free(text);
	return rc;
}

/* include PATTERN, relative to the directory of the including file. */
static int include(struct parser *ps, const char *from, int line, const char *pattern,
		   struct conf_node *into)
{
	const char *slash = strrchr(from, '/');
	char *full;
	glob_t g;
	size_t i;
	int rc = 0, grc;

	if (!ps->allow_include) {
		conf_err_set(ps->err, from, line,
			     "include '%s': includes are only read from files, not from text",
			     pattern);
		return -EINVAL;
	}
	if (!*pattern) {
		conf_err_set(ps->err, from, line, "include needs a file name or pattern");
		return -EINVAL;
	}
	if (pattern[0] == '/' || !slash)
		full = strdup(pattern);
	else if (asprintf(&full, "%.*s/%s", (int)(slash - from), from, pattern) < 0)
		full = NULL;
	if (!full)
		return -ENOMEM;
	if (!has_wildcard(pattern)) {
		rc = parse_path(ps, full, into, pattern, from, line);
		free(full);
		return rc;
	}
	grc = glob(full, 0, NULL, &g);
	free(full);
	if (grc == GLOB_NOMATCH) /* strongSwan ignores a pattern that matches nothing */
		return 0;
	if (grc != 0) {
		conf_err_set(ps->err, from, line, "include '%s': %s", pattern,
			     grc == GLOB_NOSPACE ? "out of memory" : "cannot read the directory");
		return grc == GLOB_NOSPACE ? -ENOMEM : -EIO;
	}
	for (i = 0; i < g.gl_pathc && rc == 0; i++) /* in sorted order, as glob(3) gives */
		rc = parse_path(ps, g.gl_pathv[i], into, pattern, from, line);
	globfree(&g);
	return rc;
}

static int unexpected(struct parser *ps, const char *file, const struct lex_token *tok)
{
	const char *what = "unexpected value";

	if (tok->type == TOK_EQ)
		what = "expected a name before '='";
	else if (tok->type == TOK_LBRACE)
		what = "expected a section name before '{'";
	else if (tok->type == TOK_COLON)
		what = "unexpected ':' (expected a section name before it)";
	else if (tok->type == TOK_COMMA)
		what = "unexpected ','";
	conf_err_set(ps->err, file, tok->line, "%s", what);
	return -EINVAL;
}

static int unclosed(struct parser *ps, const struct lex *lx, const struct open_stack *st)
{
	conf_err_set(ps->err, lx->file, 0,
		     "%d section%s not closed at end of file (%s opened at line %d)", st->n,
		     st->n == 1 ? "" : "s", st->sec[0]->name, st->line[0]);
	return -EINVAL;
}

static int parse_text(struct parser *ps, const char *file, const char *text, size_t len,
		      struct conf_node *into)
{
	struct open_stack st = {.n = 0};
	struct conf_node *cur = into;
	struct lex_token tok;
	struct lex lx;
	int rc;

	lex_init(&lx, file, text, len);
	for (;;) {
		if ((rc = lex_next(&lx, &tok, ps->err)))
			break;
		if (tok.type == TOK_EOF) {
			rc = st.n ? unclosed(ps, &lx, &st) : 0;
			break;
		} else if (tok.type == TOK_NEWLINE) {
			continue;
		} else if (tok.type == TOK_NAME) {
			rc = statement(ps, &lx, &tok, &cur, &st);
		} else if (tok.type == TOK_RBRACE) {
			if (st.n == 0) {
				conf_err_set(ps->err, file, tok.line,
					     "'}' without an open section");
				rc = -EINVAL;
			} else {
				st.n--;
				cur = st.n ? st.sec[st.n - 1] : into;
			}
		} else if (tok.type == TOK_INCLUDE) {
			rc = include(ps, file, tok.line, tok.text, cur);
		} else {
			rc = unexpected(ps, file, &tok);
		}
		if (rc)
			break;
	}
	lex_free(&lx);
	return rc;
}

/* ---- references ---- */

enum { UNSEEN, RESOLVING, RESOLVED };

static int resolve(struct parser *ps, struct conf_node *n);

static int kind_clash(struct parser *ps, const struct conf_node *own, const struct conf_node *src)
{
	conf_err_set(ps->err, own->file, own->line,
		     "'%s' is a %s here but a %s in the inherited section (%s:%d)", own->name,
		     conf_is_section(own) ? "section" : "key",
		     conf_is_section(src) ? "section" : "key", src->file, src->line);
	return -EINVAL;
}

/* A deep copy of src as the last child of dst, which is `depth` sections deep. */
static int copy_into(struct parser *ps, struct conf_node *dst, const struct conf_node *src,
		     int depth)
{
	struct conf_node *n;
	const struct conf_node *c;
	int rc;

	if (ps->t->nodes >= CONF_MAX_NODES)
		return too_many(ps, src->file, src->line);
	if (conf_is_section(src) && depth >= CONF_MAX_SECTION_DEPTH) {
		conf_err_set(ps->err, src->file, src->line,
			     "inheriting '%s' nests sections deeper than %d", src->name,
			     CONF_MAX_SECTION_DEPTH);
		return -EINVAL;
	}
	n = conf_node_add(ps->t, dst, src->name, src->value, src->file, src->line);
	if (!n)
		return -ENOMEM;
	n->flags = src->flags | CONF_NODE_INHERITED;
	n->flags &= ~CONF_NODE_REFERENCED;
	n->mark = RESOLVED;
	conf_foreach(c, src)
	{
		if ((rc = copy_into(ps, n, c, depth + 1)))
			return rc;
	}
	return 0;
}

/* What src holds and dst does not set itself goes into dst, after dst's own. */
static int inherit(struct parser *ps, struct conf_node *dst, const struct conf_node *src)
{
	const struct conf_node *c;
	int rc = 0;

	conf_foreach(c, src)
	{
		struct conf_node *own = child_of(dst, c->name);

		if (own && conf_is_section(own) != conf_is_section(c))
			rc = kind_clash(ps, own, c);
		else if (!own)
			rc = copy_into(ps, dst, c, node_depth(dst));
		else if (conf_is_section(own))
			rc = inherit(ps, own, c);
		if (rc)
			return rc;
	}
	return 0;
}

/* Whether path is name(.name)*: no empty part. */
static bool valid_path(const char *path)
{
	size_t len = strlen(path);

	return len && path[0] != '.' && path[len - 1] != '.' && !strstr(path, "..");
}

/* The section at an absolute dot path (NULL when there is none), resolving
 * the sections on the way so that inherited subsections can be named too. */
static int lookup(struct parser *ps, const char *path, struct conf_node **out)
{
	struct conf_node *n = ps->t->root;
	char *copy, *part, *save = NULL;
	int rc = 0;

	*out = NULL;
	if (!valid_path(path))
		return 0;
	if (!(copy = strdup(path)))
		return -ENOMEM;
	for (part = strtok_r(copy, ".", &save); part && n; part = strtok_r(NULL, ".", &save)) {
		if (n->mark == UNSEEN && (rc = resolve(ps, n)))
			break;
		n = conf_is_section(n) ? child_of(n, part) : NULL;
	}
	free(copy);
	*out = rc ? NULL : n;
	return rc;
}

static int resolve_ref(struct parser *ps, struct conf_node *n, const char *ref)
{
	struct conf_node *target, *p;
	int rc;

	if ((rc = lookup(ps, ref, &target)))
		return rc;
	if (!target || !conf_is_section(target)) {
		conf_err_set(ps->err, n->refs_file, n->refs_line,
			     "'%s' inherits from '%s', which is %s", n->name, ref,
			     target ? "a key, not a section"
				    : "not a section of the configuration");
		return -EINVAL;
	}
	for (p = n->parent; p && p != target; p = p->parent)
		;
	/* an ancestor (p) would copy n into n; one being resolved would loop */
	if (p || target->mark == RESOLVING) {
		conf_err_set(ps->err, n->refs_file, n->refs_line,
			     "'%s' inherits from '%s', which contains or inherits from '%s' "
			     "(a reference cycle)",
			     n->name, ref, n->name);
		return -ELOOP;
	}
	if ((rc = resolve(ps, target)))
		return rc;
	target->flags |= CONF_NODE_REFERENCED;
	return inherit(ps, n, target);
}

/* Resolve the references of n and of every section below it: its own
 * subsections first, so their references take precedence over what n inherits. */
static int resolve(struct parser *ps, struct conf_node *n)
{
	struct conf_node *c;
	size_t i;
	int rc = 0;

	if (n->mark != UNSEEN)
		return 0;
	n->mark = RESOLVING;
	for (c = n->child; c && !rc; c = c->next)
		if (conf_is_section(c))
			rc = resolve(ps, c);
	for (i = 0; i < n->nrefs && !rc; i++)
		rc = resolve_ref(ps, n, n->refs[i]);
	for (i = 0; i < n->nrefs; i++)
		free(n->refs[i]);
	free(n->refs);
	n->refs = NULL;
	n->nrefs = 0;
	n->mark = RESOLVED;
	return rc;
}

/* ---- entry points ---- */

static int finish(struct parser *ps, int rc, struct conf_tree **out)
{
	if (rc == 0)
		rc = resolve(ps, ps->t->root);
	if (rc) {
		conf_tree_free(ps->t);
		ps->t = NULL;
	}
	*out = ps->t;
	return rc;
}

int conf_parse_file(const char *path, struct conf_tree **out, struct conf_err *err)
{
	struct parser ps = {.err = err, .allow_include = true};

	*out = NULL;
	if (!(ps.t = conf_tree_new()))
		return -ENOMEM;
	return finish(&ps, parse_path(&ps, path, ps.t->root, NULL, NULL, 0), out);
}

int conf_parse_buf(const char *name, const char *text, size_t len, struct conf_tree **out,
		   struct conf_err *err)
{
	struct parser ps = {.err = err, .allow_include = false};
	const char *file;
	int rc = -ENOMEM;

	*out = NULL;
	if (!(ps.t = conf_tree_new()))
		return -ENOMEM;
	if ((file = conf_tree_file(ps.t, name)))
		rc = parse_text(&ps, file, text, len, ps.t->root);
	return finish(&ps, rc, out);
}

int conf_parse_string(const char *name, const char *text, struct conf_tree **out,
		      struct conf_err *err)
{
	return conf_parse_buf(name, text, strlen(text), out, err);
}
