/* tree.c: the configuration tree, lookups and typed values (see tree.h). */
#include "conf/tree.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct conf_tree_file {
	struct conf_tree_file *next;
	char name[]; /* NUL-terminated */
};

void conf_err_set(struct conf_err *err, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	snprintf(err->file, sizeof(err->file), "%s", file ? file : "");
	err->line = line;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

const char *conf_err_str(const struct conf_err *err, char *buf, size_t len)
{
	if (err->line > 0)
		snprintf(buf, len, "%s:%d: %s", err->file, err->line, err->msg);
	else
		snprintf(buf, len, "%s: %s", err->file, err->msg);
	return buf;
}

struct conf_tree *conf_tree_new(void)
{
	struct conf_tree *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->root = calloc(1, sizeof(*t->root));
	if (!t->root || !(t->root->name = strdup(""))) {
		free(t->root);
		free(t);
		return NULL;
	}
	t->nodes = 1;
	return t;
}

static void node_free(struct conf_node *n)
{
	/* iterative over siblings, recursive over depth (bounded by the parser) */
	while (n) {
		struct conf_node *next = n->next;
		size_t i;

		node_free(n->child);
		for (i = 0; i < n->nrefs; i++)
			free(n->refs[i]);
		free(n->refs);
		free(n->name);
		/* values may be secrets (secrets.ike.secret): wipe before free */
		if (n->value)
			explicit_bzero(n->value, strlen(n->value));
		free(n->value);
		free(n);
		n = next;
	}
}

void conf_tree_free(struct conf_tree *t)
{
	struct conf_tree_file *f, *next;

	if (!t)
		return;
	node_free(t->root);
	for (f = t->files; f; f = next) {
		next = f->next;
		free(f);
	}
	free(t);
}

const char *conf_tree_file(struct conf_tree *t, const char *name)
{
	struct conf_tree_file *f;
	size_t n = strlen(name);

	for (f = t->files; f; f = f->next)
		if (strcmp(f->name, name) == 0)
			return f->name;
	f = malloc(sizeof(*f) + n + 1);
	if (!f)
		return NULL;
	memcpy(f->name, name, n + 1);
	f->next = t->files;
	t->files = f;
	return f->name;
}

struct conf_node *conf_node_add(struct conf_tree *t, struct conf_node *parent, const char *name,
				const char *value, const char *file, int line)
{
	struct conf_node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->name = strdup(name);
	n->value = value ? strdup(value) : NULL;
	if (!n->name || (value && !n->value)) {
		free(n->name);
		free(n->value);
		free(n);
		return NULL;
	}
	n->file = file;
	n->line = line;
	n->parent = parent;
	if (parent->last_child)
		parent->last_child->next = n;
	else
		parent->child = n;
	parent->last_child = n;
	parent->nchildren++;
	t->nodes++;
	return n;
}

int conf_node_set_value(struct conf_node *n, const char *value, const char *file, int line)
{
	char *v = strdup(value);

	if (!v)
		return -ENOMEM;
	free(n->value);
	n->value = v;
	n->file = file;
	n->line = line;
	return 0;
}

struct conf_node *conf_node_copy(struct conf_tree *t, struct conf_node *parent,
				 const struct conf_node *src)
{
	const char *file = src->file ? conf_tree_file(t, src->file) : NULL;
	struct conf_node *n, *it;

	if (src->file && !file)
		return NULL;
	n = conf_node_add(t, parent, src->name, src->value, file, src->line);
	if (!n)
		return NULL;
	n->flags = src->flags;
	for (it = src->child; it; it = it->next)
		if (!conf_node_copy(t, n, it))
			return NULL; /* the partial copy stays in t, freed with it */
	return n;
}

static size_t node_count(const struct conf_node *n)
{
	size_t k = 1;

	for (const struct conf_node *c = n->child; c; c = c->next)
		k += node_count(c);
	return k;
}

void conf_node_remove(struct conf_tree *t, struct conf_node *n)
{
	struct conf_node *parent = n->parent, **pp, *prev = NULL;

	if (!parent)
		return; /* the root */
	for (pp = &parent->child; *pp && *pp != n; pp = &(*pp)->next)
		prev = *pp;
	if (!*pp)
		return;
	*pp = n->next;
	if (parent->last_child == n)
		parent->last_child = prev;
	parent->nchildren--;
	t->nodes -= node_count(n);
	n->next = NULL;
	node_free(n);
}

const struct conf_node *conf_child(const struct conf_node *sec, const char *name)
{
	const struct conf_node *c;

	if (!sec)
		return NULL;
	conf_foreach(c, sec)
	{
		if (strcmp(c->name, name) == 0)
			return c;
	}
	return NULL;
}

/* The child of section sec named by the first len characters of name, or NULL. */
static const struct conf_node *child_n(const struct conf_node *sec, const char *name, size_t len)
{
	const struct conf_node *c;

	conf_foreach(c, sec)
	{
		if (strlen(c->name) == len && memcmp(c->name, name, len) == 0)
			return c;
	}
	return NULL;
}

const struct conf_node *conf_find(const struct conf_node *from, const char *path)
{
	const struct conf_node *n = from;

	while (n && *path) {
		const char *dot = strchr(path, '.');
		size_t len = dot ? (size_t)(dot - path) : strlen(path);

		if (!conf_is_section(n))
			return NULL;
		n = child_n(n, path, len);
		path += len + (dot ? 1 : 0);
		if (dot && !*path)
			return NULL; /* "a." names nothing */
	}
	return n;
}

const char *conf_node_path(const struct conf_node *n, char *buf, size_t len)
{
	const struct conf_node *chain[64];
	size_t depth = 0, used = 0, i;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	for (; n && n->parent && depth < sizeof(chain) / sizeof(chain[0]); n = n->parent)
		chain[depth++] = n;
	for (i = depth; i-- > 0;) {
		int w = snprintf(buf + used, len - used, "%s%s", used ? "." : "", chain[i]->name);

		if (w < 0 || (size_t)w >= len - used)
			break;
		used += (size_t)w;
	}
	return buf;
}

/* ---- values ---- */

int conf_str_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"yes", "true", "enabled", "1"};
	static const char *const no[] = {"no", "false", "disabled", "0"};
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

/* Digits of s (decimal, or hex after 0x) into *out; *end gets the first
 * character after them. At least one digit; no sign; overflow is an error. */
static int parse_number(const char *s, uint64_t *out, const char **end)
{
	unsigned base = 10;
	uint64_t v = 0;
	const char *p = s;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && isxdigit((unsigned char)p[2])) {
		base = 16;
		p += 2;
	}
	if (!isxdigit((unsigned char)*p) || (base == 10 && !isdigit((unsigned char)*p)))
		return -EINVAL;
	for (; *p; p++) {
		unsigned d;

		if (isdigit((unsigned char)*p))
			d = (unsigned)(*p - '0');
		else if (base == 16 && isxdigit((unsigned char)*p))
			d = (unsigned)(tolower((unsigned char)*p) - 'a' + 10);
		else
			break;
		if (v > (UINT64_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	*out = v;
	*end = p;
	return 0;
}

int conf_str_uint(const char *s, uint64_t *out)
{
	const char *end;

	if (parse_number(s, out, &end) != 0 || *end)
		return -EINVAL;
	return 0;
}

/* A number with an optional one-letter unit from units[] (multipliers in
 * mult[]), blanks allowed before the unit, as charon's parse_time/parse_bytes. */
static int parse_scaled(const char *s, const char *units, const uint64_t *mult, uint64_t *out)
{
	const char *end, *u;
	uint64_t v, m = 1;

	if (parse_number(s, &v, &end) != 0)
		return -EINVAL;
	while (*end == ' ' || *end == '\t')
		end++;
	if (*end) {
		u = strchr(units, tolower((unsigned char)*end));
		if (!u || end[1])
			return -EINVAL;
		m = mult[u - units];
	}
	if (m && v > UINT64_MAX / m)
		return -EINVAL;
	*out = v * m;
	return 0;
}

int conf_str_time(const char *s, uint64_t *seconds)
{
	static const uint64_t mult[] = {1, 60, 3600, 86400};

	return parse_scaled(s, "smhd", mult, seconds);
}

int conf_str_bytes(const char *s, uint64_t *out)
{
	static const uint64_t mult[] = {UINT64_C(1) << 10, UINT64_C(1) << 20, UINT64_C(1) << 30};

	return parse_scaled(s, "kmg", mult, out);
}

int conf_str_decimal(const char *s, double *out)
{
	char *end;
	double d;

	if (!isdigit((unsigned char)s[0]) && !(s[0] == '.' && isdigit((unsigned char)s[1])))
		return -EINVAL;
	errno = 0;
	d = strtod(s, &end);
	if (*end || errno || !isfinite(d))
		return -EINVAL;
	*out = d;
	return 0;
}

void conf_list_free(struct conf_list *l)
{
	size_t i;

	for (i = 0; i < l->count; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->count = 0;
}

static int list_push(struct conf_list *l, const char *p, size_t n)
{
	char **items = realloc(l->items, (l->count + 1) * sizeof(*items));

	if (!items)
		return -ENOMEM;
	l->items = items;
	items[l->count] = strndup(p, n);
	if (!items[l->count])
		return -ENOMEM;
	l->count++;
	return 0;
}

int conf_str_list(const char *s, struct conf_list *out)
{
	const char *p = s;
	int rc;

	out->items = NULL;
	out->count = 0;
	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p)
		return 0;
	for (;;) {
		const char *comma = strchr(p, ',');
		const char *e = comma ? comma : p + strlen(p);
		const char *b = p;

		while (b < e && (*b == ' ' || *b == '\t'))
			b++;
		while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e == b) {
			conf_list_free(out);
			return -EINVAL;
		}
		rc = list_push(out, b, (size_t)(e - b));
		if (rc) {
			conf_list_free(out);
			return rc;
		}
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

/* ---- typed reads with errors ---- */

static int bad_value(const struct conf_node *kv, struct conf_err *err, const char *expected)
{
	conf_err_set(err, kv->file, kv->line, "%s: expected %s, got '%.80s'", kv->name, expected,
		     kv->value);
	return -EINVAL;
}

int conf_node_bool(const struct conf_node *kv, bool *out, struct conf_err *err)
{
	if (conf_str_bool(kv->value, out) != 0)
		return bad_value(kv, err, "yes or no");
	return 0;
}

int conf_node_uint(const struct conf_node *kv, uint64_t min, uint64_t max, uint64_t *out,
		   struct conf_err *err)
{
	char what[80];

	if (conf_str_uint(kv->value, out) != 0 || *out < min || *out > max) {
		if (max == UINT64_MAX && min == 0)
			snprintf(what, sizeof(what), "a non-negative integer");
		else
			snprintf(what, sizeof(what), "an integer from %llu to %llu",
				 (unsigned long long)min, (unsigned long long)max);
		return bad_value(kv, err, what);
	}
	return 0;
}

int conf_node_time(const struct conf_node *kv, uint64_t *seconds, struct conf_err *err)
{
	if (conf_str_time(kv->value, seconds) != 0)
		return bad_value(kv, err, "a time like 4h or 3600s");
	return 0;
}

int conf_node_bytes(const struct conf_node *kv, uint64_t *out, struct conf_err *err)
{
	if (conf_str_bytes(kv->value, out) != 0)
		return bad_value(kv, err, "a byte count like 500m, 2g or 1048576");
	return 0;
}

int conf_node_decimal(const struct conf_node *kv, double *out, struct conf_err *err)
{
	if (conf_str_decimal(kv->value, out) != 0)
		return bad_value(kv, err, "a number like 4 or 1.8");
	return 0;
}

int conf_node_list(const struct conf_node *kv, struct conf_list *out, struct conf_err *err)
{
	int rc = conf_str_list(kv->value, out);

	if (rc == -EINVAL)
		return bad_value(kv, err, "a comma-separated list without empty items");
	return rc;
}

int conf_node_enum(const struct conf_node *kv, const char *const *choices, int *index,
		   struct conf_err *err)
{
	char what[200];
	size_t used = 0;
	int i;

	for (i = 0; choices[i]; i++) {
		if (strcasecmp(kv->value, choices[i]) == 0) {
			*index = i;
			return 0;
		}
	}
	what[0] = '\0';
	for (i = 0; choices[i] && used < sizeof(what); i++) {
		int w = snprintf(what + used, sizeof(what) - used, "%s%s",
				 i == 0 ? "one of " : ", ", choices[i]);

		if (w < 0)
			break;
		used += (size_t)w;
	}
	return bad_value(kv, err, what);
}

/* The key at path, NULL when absent or empty; -EINVAL when it is a section. */
static int get_kv(const struct conf_node *sec, const char *path, const struct conf_node **kv,
		  struct conf_err *err)
{
	const struct conf_node *n = sec ? conf_find(sec, path) : NULL;

	*kv = NULL;
	if (!n)
		return 0;
	if (conf_is_section(n)) {
		conf_err_set(err, n->file, n->line, "%s: expected a value, got a section", n->name);
		return -EINVAL;
	}
	if (n->value[0])
		*kv = n;
	return 0;
}

int conf_get_bool(const struct conf_node *sec, const char *path, bool def, bool *out,
		  struct conf_err *err)
{
	const struct conf_node *kv;
	int rc = get_kv(sec, path, &kv, err);

	*out = def;
	if (rc || !kv)
		return rc;
	return conf_node_bool(kv, out, err);
}

int conf_get_uint(const struct conf_node *sec, const char *path, uint64_t min, uint64_t max,
		  uint64_t def, uint64_t *out, struct conf_err *err)
{
	const struct conf_node *kv;
	int rc = get_kv(sec, path, &kv, err);

	*out = def;
	if (rc || !kv)
		return rc;
	return conf_node_uint(kv, min, max, out, err);
}

int conf_get_time(const struct conf_node *sec, const char *path, uint64_t def, uint64_t *seconds,
		  struct conf_err *err)
{
	const struct conf_node *kv;
	int rc = get_kv(sec, path, &kv, err);

	*seconds = def;
	if (rc || !kv)
		return rc;
	return conf_node_time(kv, seconds, err);
}

int conf_get_bytes(const struct conf_node *sec, const char *path, uint64_t def, uint64_t *out,
		   struct conf_err *err)
{
	const struct conf_node *kv;
	int rc = get_kv(sec, path, &kv, err);

	*out = def;
	if (rc || !kv)
		return rc;
	return conf_node_bytes(kv, out, err);
}

int conf_get_decimal(const struct conf_node *sec, const char *path, double def, double *out,
		     struct conf_err *err)
{
	const struct conf_node *kv;
	int rc = get_kv(sec, path, &kv, err);

	*out = def;
	if (rc || !kv)
		return rc;
	return conf_node_decimal(kv, out, err);
}

int conf_get_str(const struct conf_node *sec, const char *path, const char *def, const char **out,
		 struct conf_err *err)
{
	const struct conf_node *kv;
	int rc = get_kv(sec, path, &kv, err);

	*out = kv ? kv->value : def;
	return rc;
}

int conf_get_list(const struct conf_node *sec, const char *path, struct conf_list *out,
		  struct conf_err *err)
{
	const struct conf_node *kv;
	int rc = get_kv(sec, path, &kv, err);

	out->items = NULL;
	out->count = 0;
	if (rc || !kv)
		return rc;
	return conf_node_list(kv, out, err);
}

int conf_get_enum(const struct conf_node *sec, const char *path, const char *const *choices,
		  int def_index, int *index, struct conf_err *err)
{
	const struct conf_node *kv;
	int rc = get_kv(sec, path, &kv, err);

	*index = def_index;
	if (rc || !kv)
		return rc;
	return conf_node_enum(kv, choices, index, err);
}
