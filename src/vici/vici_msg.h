/* vici_msg.h: the VICI wire format (strongSwan's control protocol, its
 * src/libcharon/plugins/vici/README.md): packet framing and the message tree.
 *
 * Transport: every packet is a 4-byte big-endian length and that many bytes
 * (at most VICI_MAX_PACKET). Packet: a 1-byte type; the named types
 * (CMD_REQUEST, EVENT_REGISTER, EVENT_UNREGISTER, EVENT) carry a 1-byte name
 * length and the name; CMD_REQUEST, CMD_RESPONSE and EVENT carry a message in
 * the rest of the packet. Message: a sequence of elements, each a 1-byte type,
 * then a name (1-byte length) for SECTION_START, KEY_VALUE and LIST_START, and
 * a value (2-byte big-endian length) for KEY_VALUE and LIST_ITEM.
 *
 * The builder writes framed packets (or bare messages) and refuses anything
 * the README calls invalid: unbalanced sections, items outside a list, nested
 * lists, names over 255 or values over 65535 bytes. The parser reads untrusted
 * bytes through the checked cursor into a tree, with a depth limit, and says
 * what was wrong at which offset. A message that parses re-encodes to the same
 * bytes (tests/fuzz/fuzz_vici.c checks it). This codec is lib-only so that
 * oakctl links it without the server.
 */
#ifndef OAK_VICI_VICI_MSG_H
#define OAK_VICI_VICI_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/builder.h"
#include "lib/cursor.h"

/* Packet types (README "Packet layer"). */
enum vici_op {
	VICI_CMD_REQUEST = 0,
	VICI_CMD_RESPONSE = 1,
	VICI_CMD_UNKNOWN = 2,
	VICI_EVENT_REGISTER = 3,
	VICI_EVENT_UNREGISTER = 4,
	VICI_EVENT_CONFIRM = 5,
	VICI_EVENT_UNKNOWN = 6,
	VICI_EVENT = 7,
	VICI_OP_COUNT
};

/* Message element types (README "Message format"). */
enum vici_elem {
	VICI_SECTION_START = 1,
	VICI_SECTION_END = 2,
	VICI_KEY_VALUE = 3,
	VICI_LIST_START = 4,
	VICI_LIST_ITEM = 5,
	VICI_LIST_END = 6,
};

/* The README's segment limit: 512 KiB of data after the length field. */
#define VICI_MAX_PACKET ((size_t)512 * 1024)
/* Sections nested deeper than this are refused (strongSwan's deepest message,
 * list-sa, nests three). */
#define VICI_MAX_DEPTH 32
#define VICI_NAME_MAX  255
#define VICI_VALUE_MAX 65535

/* "CMD_REQUEST", ... or "UNKNOWN" (static). */
const char *vici_op_name(unsigned op);
/* Whether packets of this type carry a name / a message. */
bool vici_op_named(unsigned op);
bool vici_op_has_msg(unsigned op);

/* ---- building ---- */

struct vici_builder {
	struct builder b;
	size_t len_off; /* where the 4-byte packet length goes, when framed */
	bool framed;	/* a packet with its length header, else a bare message */
	bool in_list;	/* a LIST_START is open */
	unsigned depth; /* open sections */
	int err;	/* 0, or the first error: -EINVAL misuse, -ENOBUFS too big, -ENOMEM */
};

/* Start a framed packet of type op (name: for the named types, else NULL).
 * The packet may grow to VICI_MAX_PACKET; errors are sticky as in builder.h. */
void vici_build_packet(struct vici_builder *vb, enum vici_op op, const char *name);
/* Start a bare message (no framing) of at most max bytes (0: VICI_MAX_PACKET). */
void vici_build_msg(struct vici_builder *vb, size_t max);
void vici_build_free(struct vici_builder *vb);
int vici_build_err(const struct vici_builder *vb);

int vici_add_section(struct vici_builder *vb, const char *name);
int vici_end_section(struct vici_builder *vb);
/* key = value of len bytes (borrowed). */
int vici_add_kv(struct vici_builder *vb, const char *key, const void *value, size_t len);
int vici_add_kv_str(struct vici_builder *vb, const char *key, const char *value);
int vici_add_kvf(struct vici_builder *vb, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int vici_add_list(struct vici_builder *vb, const char *name);
int vici_add_item(struct vici_builder *vb, const void *value, size_t len);
int vici_add_item_str(struct vici_builder *vb, const char *value);
int vici_end_list(struct vici_builder *vb);
/* Element-level appends with names/values of explicit length, for re-encoding
 * a parsed tree whose names may hold any byte. */
int vici_add_raw(struct vici_builder *vb, enum vici_elem type, const void *name, size_t name_len,
		 const void *value, size_t value_len);

/* Finish: checks that every section and list is closed, fills the packet
 * length, and hands over the bytes (caller frees with free()); *len gets the
 * size. NULL with *err (may be NULL) set on any earlier or balance error; the
 * builder is freed either way. */
uint8_t *vici_build_take(struct vici_builder *vb, size_t *len, int *err);

/* ---- parsing ---- */

enum vici_node_type {
	VICI_NODE_SECTION, /* the root, or a named section: members in child..next */
	VICI_NODE_KV,	   /* name = value */
	VICI_NODE_LIST,	   /* name = [ items in child..next ] */
	VICI_NODE_ITEM,	   /* a list item: value */
};

struct vici_node {
	enum vici_node_type type;
	char *name; /* owned, NUL-terminated ("" for the root and items) */
	size_t name_len;
	char *value; /* owned, NUL-terminated copy of value_len bytes (KV and ITEM), else NULL */
	size_t value_len;
	struct vici_node *child, *last; /* members (SECTION) or items (LIST) */
	struct vici_node *next;
};

/* A parse error: the byte offset into the message and what was wrong. */
struct vici_err {
	size_t off;
	char msg[160];
};

/* A packet split into its parts; name and msg borrow from the input. */
struct vici_packet {
	uint8_t op;
	char name[VICI_NAME_MAX + 1]; /* "" for the unnamed types */
	struct span msg;	      /* the message bytes (empty for the types without one) */
};

/* Split a packet body (the bytes after the 4-byte length; borrowed). 0, or
 * -EBADMSG with err filled: an unknown type, a name running past the end,
 * bytes after a type that carries no message. */
int vici_packet_parse(const uint8_t *p, size_t len, struct vici_packet *out, struct vici_err *err);

/* Parse a message (borrowed bytes) into a tree (caller frees with
 * vici_node_free). 0, -EBADMSG with err filled (offset into the message), or
 * -ENOMEM. Never reads outside [p, p + len). */
int vici_msg_parse(const uint8_t *p, size_t len, struct vici_node **root, struct vici_err *err);
void vici_node_free(struct vici_node *n);
/* Append the members of a parsed section (the root) to a builder: a parsed
 * message re-encodes to its own bytes. */
int vici_msg_encode(const struct vici_node *root, struct vici_builder *vb);

/* The first member of sec named name (exactly; dots are not special). (borrowed) */
const struct vici_node *vici_member(const struct vici_node *sec, const char *name);
/* Lookups by a dotted path ("uptime.running", "child-sas"): the first member
 * of that name in each section on the way. (borrowed, NULL if none) */
const struct vici_node *vici_find(const struct vici_node *sec, const char *path);
/* The value of a key at path as a string, or def when absent or not a key. */
const char *vici_find_str(const struct vici_node *sec, const char *path, const char *def);
/* Whether a key at path is "yes". */
bool vici_find_yes(const struct vici_node *sec, const char *path);

#endif
