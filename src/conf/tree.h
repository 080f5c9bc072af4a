/* tree.h: the parsed configuration, a tree of sections and key/values.
 *
 * conf_parse_file() (parse.h) builds it; every node remembers the file and
 * line it came from, so whoever reads a value can say where a wrong one is.
 * Sections and keys keep the order of the file. Repeated sections merged and
 * repeated keys replaced (later wins, as strongSwan) while parsing, and
 * references ("conn-a : defaults { }") are already resolved: inherited keys
 * and sections are copies that keep the file and line of their definition.
 *
 * Values are strings; the conf_get_*() helpers read them the way swanctl and
 * charon do (strongSwan 5.9.8, src/libcharon/plugins/vici/vici_config.c):
 *   bool    yes/true/enabled/1, no/false/disabled/0 (any case)
 *   integer decimal or 0x hex
 *   time    a number of seconds, or with a suffix s, m, h or d (any case,
 *           blanks allowed before it): "4h", "3600s", "90 m"
 *   bytes   a number, or with a suffix k, m or g (powers of 1024, any case)
 *   list    items separated by commas, blanks around them dropped
 * An empty value ("key =") counts as not set, so the default applies, as
 * strongswan.conf(5) says ("use an empty assignment to clear a value").
 *
 * Errors name the file and line and say what was expected:
 *   "oak.conf:20: rekey_time: expected a time like 4h or 3600s, got 'soon'"
 * The value is quoted in the message, so never read a secret through these
 * typed helpers (conf_get_str() never reports the value).
 */
#ifndef OAK_CONF_TREE_H
#define OAK_CONF_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An error a user reads: "FILE:LINE: MSG", or "FILE: MSG" when line is 0. */
struct conf_err {
	char file[256];
	int line;
	char msg[256];
};

/* Fill err (may be NULL) with file, line and a printf-style message. */
void conf_err_set(struct conf_err *err, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* "FILE:LINE: MSG" into buf (borrowed); returns buf. */
const char *conf_err_str(const struct conf_err *err, char *buf, size_t len);

#define CONF_NODE_REFERENCED 0x1u /* some section names this one after ':' */
#define CONF_NODE_INHERITED  0x2u /* copied in from a referenced section */

struct conf_node {
	char *name;	  /* owned */
	char *value;	  /* owned; NULL for a section, "" for "key =" */
	const char *file; /* owned by the tree */
	int line;
	unsigned flags; /* CONF_NODE_* */
	struct conf_node *parent;
	struct conf_node *child, *last_child; /* sections and keys, in file order */
	struct conf_node *next;		      /* the next sibling */
	size_t nchildren;
	/* references of "name : a, b.c { }", only until the parser resolves them */
	char **refs;
	size_t nrefs;
	const char *refs_file;
	int refs_line;
	int mark; /* parser's scratch */
};

struct conf_tree_file;

struct conf_tree {
	struct conf_node *root;	      /* the unnamed top section (owned) */
	struct conf_tree_file *files; /* file names the nodes point to (owned) */
	size_t nodes;		      /* how many nodes the tree holds */
};

/* An empty tree, or NULL when out of memory (caller frees with conf_tree_free). */
struct conf_tree *conf_tree_new(void);
/* Free the tree and everything it owns; NULL is fine. */
void conf_tree_free(struct conf_tree *t);
/* The tree's copy of a file name (the tree owns it), or NULL when out of memory. */
const char *conf_tree_file(struct conf_tree *t, const char *name);

/* Add a section or a key (value NULL for a section) at the end of parent's
 * children. name and value are copied. Returns the node (owned by the tree)
 * or NULL when out of memory. It does not merge: see conf_child(). */
struct conf_node *conf_node_add(struct conf_tree *t, struct conf_node *parent, const char *name,
				const char *value, const char *file, int line);
/* Replace a key's value (copied). 0 or -ENOMEM. */
int conf_node_set_value(struct conf_node *n, const char *value, const char *file, int line);

/* Copy src and everything below it (names, values, flags, file and line) to
 * the end of parent's children in t (src may be of another tree; borrowed).
 * Returns the copy (owned by t) or NULL when out of memory (a partial copy
 * may stay in t: free the tree). */
struct conf_node *conf_node_copy(struct conf_tree *t, struct conf_node *parent,
				 const struct conf_node *src);
/* Unlink n (not the root) from its parent and free it with everything below
 * it; values are wiped. */
void conf_node_remove(struct conf_tree *t, struct conf_node *n);

/* Whether n is a section (else a key). */
static inline bool conf_is_section(const struct conf_node *n)
{
	return n->value == NULL;
}

/* The child of sec named exactly name (no dot splitting), or NULL (borrowed). */
const struct conf_node *conf_child(const struct conf_node *sec, const char *name);
/* Follow a dot-separated path below from: "connections.site-a.children".
 * An empty path is from itself. Returns the node or NULL (borrowed). A name
 * that itself holds a '.' can only be reached with conf_child(). */
const struct conf_node *conf_find(const struct conf_node *from, const char *path);
/* Iterate over the children of a section, in file order. */
#define conf_foreach(it, sec) for ((it) = (sec)->child; (it); (it) = (it)->next)
/* The dot path of n from the root ("connections.site-a"), "" for the root,
 * into buf (borrowed, truncated to len); returns buf. */
const char *conf_node_path(const struct conf_node *n, char *buf, size_t len);

/* Parse one value string (no file context). 0, or -EINVAL when malformed. */
int conf_str_bool(const char *s, bool *out);
int conf_str_uint(const char *s, uint64_t *out);
int conf_str_time(const char *s, uint64_t *seconds);
int conf_str_bytes(const char *s, uint64_t *out);
int conf_str_decimal(const char *s, double *out); /* "1.8", "4", "0.5": non-negative */

/* A comma-separated list, split into trimmed items. */
struct conf_list {
	char **items; /* owned, each owned */
	size_t count;
};
/* Split s: "a, b ,c" -> a, b, c; "" -> no items. -EINVAL on an empty item
 * ("a,,b" or "a,"), -ENOMEM. out is emptied first; free with conf_list_free. */
int conf_str_list(const char *s, struct conf_list *out);
void conf_list_free(struct conf_list *l);

/* Read the key at path (relative to sec, dot-separated) into *out, or set
 * *out = def when the key is absent or empty. Returns 0, or -EINVAL with err
 * filled when the value is malformed or path names a section ("FILE:LINE:
 * KEY: expected ..., got 'VALUE'"). sec may be NULL (then the default applies). */
int conf_get_bool(const struct conf_node *sec, const char *path, bool def, bool *out,
		  struct conf_err *err);
/* An integer from min to max (decimal or 0x hex). */
int conf_get_uint(const struct conf_node *sec, const char *path, uint64_t min, uint64_t max,
		  uint64_t def, uint64_t *out, struct conf_err *err);
int conf_get_time(const struct conf_node *sec, const char *path, uint64_t def, uint64_t *seconds,
		  struct conf_err *err);
int conf_get_bytes(const struct conf_node *sec, const char *path, uint64_t def, uint64_t *out,
		   struct conf_err *err);
int conf_get_decimal(const struct conf_node *sec, const char *path, double def, double *out,
		     struct conf_err *err);
/* The string value (borrowed from the tree), or def when absent or empty. The
 * value is never quoted in an error: use it for secrets. */
int conf_get_str(const struct conf_node *sec, const char *path, const char *def, const char **out,
		 struct conf_err *err);
/* The list at path (caller frees with conf_list_free); no items when absent. */
int conf_get_list(const struct conf_node *sec, const char *path, struct conf_list *out,
		  struct conf_err *err);
/* One of choices (NULL-terminated, compared ignoring case): *index is its
 * position, or def_index when absent or empty. The error lists the choices. */
int conf_get_enum(const struct conf_node *sec, const char *path, const char *const *choices,
		  int def_index, int *index, struct conf_err *err);

/* The same checks on one key node (kv must be a key): the schema uses them. */
int conf_node_bool(const struct conf_node *kv, bool *out, struct conf_err *err);
int conf_node_uint(const struct conf_node *kv, uint64_t min, uint64_t max, uint64_t *out,
		   struct conf_err *err);
int conf_node_time(const struct conf_node *kv, uint64_t *seconds, struct conf_err *err);
int conf_node_bytes(const struct conf_node *kv, uint64_t *out, struct conf_err *err);
int conf_node_decimal(const struct conf_node *kv, double *out, struct conf_err *err);
int conf_node_list(const struct conf_node *kv, struct conf_list *out, struct conf_err *err);
int conf_node_enum(const struct conf_node *kv, const char *const *choices, int *index,
		   struct conf_err *err);

#endif
