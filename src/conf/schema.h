/* schema.h: the sections and keys oakd accepts, as data, and the check that
 * reports every other one with its file and line.
 *
 * The names are swanctl.conf(5)'s of strongSwan 5.9.8 (connections, secrets,
 * pools, authorities) plus oak's own daemon { } section. A strongSwan key that
 * oakd does not implement (IKEv2 mediation, PKCS#11 tokens, IPComp, security
 * labels, ...) is recognised and rejected by name, so a migrating user learns
 * exactly which line to remove:
 *   "oak.conf:9: 'mediation' is a swanctl.conf key oakd does not support"
 * A misspelt name gets a suggestion:
 *   "oak.conf:7: unknown key 'proposal' in connections.site-a (did you mean 'proposals'?)"
 * Values of typed keys (bool, integer, time, bytes, list, choice) are checked
 * too, so every mistake of a file is found at load time, not at first use.
 *
 * Sections at the top that only serve as templates (named by a reference,
 * "conn-a : conn-defaults { }") are not checked themselves: what they hold is
 * checked where it is inherited.
 *
 * To add a key: add a row to the table of its section in schema.c (the
 * daemon { } table, conf_schema_daemon, is meant to grow with oakd).
 */
#ifndef OAK_CONF_SCHEMA_H
#define OAK_CONF_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include "conf/tree.h"

enum conf_type {
	CONF_T_END,	/* ends a table */
	CONF_T_SECTION, /* sub: the table of its children */
	CONF_T_STR,	/* any text */
	CONF_T_BOOL,
	CONF_T_UINT, /* max: the largest value (0 means no limit) */
	CONF_T_TIME,
	CONF_T_BYTES,
	CONF_T_DECIMAL,
	CONF_T_LIST,
	CONF_T_ENUM, /* choices: the accepted words (any case) */
};

#define CONF_S_PREFIX	   0x1u /* name is a prefix: "local" matches local, local-1, local2 */
#define CONF_S_ANY	   0x2u /* any name: <conn>, <child>, <name> */
#define CONF_S_DIGITS	   0x4u /* any name made of digits (pool attributes by number) */
#define CONF_S_UNSUPPORTED 0x8u /* a swanctl.conf name oakd does not implement */

struct conf_schema {
	const char *name; /* the key or section name (the prefix with CONF_S_PREFIX) */
	enum conf_type type;
	unsigned flags;		       /* CONF_S_* */
	const struct conf_schema *sub; /* CONF_T_SECTION */
	const char *const *choices;    /* CONF_T_ENUM, NULL-terminated */
	uint64_t max;		       /* CONF_T_UINT */
	/* an extra check of a key's value (or a section), NULL for none: 0 or -EINVAL */
	int (*check)(const struct conf_node *n, struct conf_err *err);
};

/* The top level: connections, secrets, pools, authorities, daemon. */
extern const struct conf_schema conf_schema_top[];
/* The daemon { } section: oak's global settings. */
extern const struct conf_schema conf_schema_daemon[];

/* Check every section and key of t against conf_schema_top. Fills errs[0..max)
 * (borrowed) with the first max problems in file order and returns how many
 * problems there are in all (0: the tree is fine). max may be 0. */
size_t conf_schema_check(const struct conf_tree *t, struct conf_err *errs, size_t max);

/* The schema row that names n, or NULL when n is unknown (the root is never
 * named). For other layers that want the type of a key. */
const struct conf_schema *conf_schema_of(const struct conf_node *n);

#endif
