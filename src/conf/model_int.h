/* model_int.h: helpers shared by model.c (daemon, secrets, authorities, the
 * whole config) and model_conn.c (connections and children). Not for other
 * layers: use model.h. */
#ifndef OAK_CONF_MODEL_INT_H
#define OAK_CONF_MODEL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/model.h"

enum unsup_kind {
	UNSUP_ANY,  /* any non-empty value is an error */
	UNSUP_BOOL, /* error unless the boolean equals def */
	UNSUP_NUM,  /* error unless the number (or time) equals 0 */
	UNSUP_WORD, /* error unless one of the words in def ("a|b") */
};

struct unsup {
	const char *key;
	enum unsup_kind kind;
	const char *def;
	const char *why;
};

/* Set err to "FILE:LINE: PATH: MSG" for node n; returns -EINVAL. */
int model_bad(const struct conf_node *n, struct conf_err *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The typed getters of tree.h, with the full dot path in messages. */
int model_get_time(const struct conf_node *sec, const char *key, uint64_t def, uint64_t *out,
		   struct conf_err *err);
int model_get_bytes(const struct conf_node *sec, const char *key, uint64_t def, uint64_t *out,
		    struct conf_err *err);
int model_get_uint(const struct conf_node *sec, const char *key, uint64_t max, uint64_t def,
		   uint64_t *out, struct conf_err *err);
int model_get_bool(const struct conf_node *sec, const char *key, bool def, bool *out,
		   struct conf_err *err);
int model_get_enum(const struct conf_node *sec, const char *key, const char *const *choices,
		   int def, int *out, struct conf_err *err);
/* The key node of sec when present and not empty, else NULL (borrowed). */
const struct conf_node *model_kv(const struct conf_node *sec, const char *key);
/* strdup that fills err when out of memory. (caller frees) */
char *model_strdup(const char *s, struct conf_err *err);
/* name when absolute, else dir/name. (caller frees) */
char *model_resolve(const char *dir, const char *name, struct conf_err *err);
/* An address list (IPs, %any, %any4, %any6): *n of them, 0 when %any. */
int model_addrs(const struct conf_node *sec, const char *key, struct ip_addr *out, size_t max,
		size_t *n, struct conf_err *err);
/* Whether v is one of words ("a|b|c"), ignoring case. */
bool model_word_in(const char *v, const char *words);
/* Fail on the first key of table set to something oakd does not implement. */
int model_unsupported(const struct conf_node *sec, const struct unsup *table, struct conf_err *err);

/* connections { } into c->conns (model_conn.c); c->daemon must be built. */
int model_connections(const struct conf_node *sec, struct oak_config *c, struct conf_err *err);
void model_conn_free(struct conn_cfg *conn);

#endif
