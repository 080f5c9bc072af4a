/* vici_msg.c: VICI packet framing, message builder and parser (see vici_msg.h). */
#include "vici/vici_msg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/secret.h"

static const char *const vici_op_names[VICI_OP_COUNT] = {
	[VICI_CMD_REQUEST] = "CMD_REQUEST",	      [VICI_CMD_RESPONSE] = "CMD_RESPONSE",
	[VICI_CMD_UNKNOWN] = "CMD_UNKNOWN",	      [VICI_EVENT_REGISTER] = "EVENT_REGISTER",
	[VICI_EVENT_UNREGISTER] = "EVENT_UNREGISTER", [VICI_EVENT_CONFIRM] = "EVENT_CONFIRM",
	[VICI_EVENT_UNKNOWN] = "EVENT_UNKNOWN",	      [VICI_EVENT] = "EVENT",
};

const char *vici_op_name(unsigned op)
{
	return op < VICI_OP_COUNT ? vici_op_names[op] : "UNKNOWN";
}

bool vici_op_named(unsigned op)
{
	return op == VICI_CMD_REQUEST || op == VICI_EVENT_REGISTER || op == VICI_EVENT_UNREGISTER ||
	       op == VICI_EVENT;
}

bool vici_op_has_msg(unsigned op)
{
	return op == VICI_CMD_REQUEST || op == VICI_CMD_RESPONSE || op == VICI_EVENT;
}

/* ---- building ---- */

static int vb_fail(struct vici_builder *vb, int err)
{
	if (!vb->err)
		vb->err = err;
	return vb->err;
}

void vici_build_msg(struct vici_builder *vb, size_t max)
{
	memset(vb, 0, sizeof(*vb));
	bld_init(&vb->b, max ? max : VICI_MAX_PACKET);
}

void vici_build_packet(struct vici_builder *vb, enum vici_op op, const char *name)
{
	size_t n = name ? strlen(name) : 0;

	memset(vb, 0, sizeof(*vb));
	/* the 4-byte length is not part of the 512 KiB the README allows */
	bld_init(&vb->b, VICI_MAX_PACKET + 4);
	vb->framed = true;
	vb->len_off = bld_off(&vb->b);
	bld_u32(&vb->b, 0);
	bld_u8(&vb->b, (uint8_t)op);
	if ((unsigned)op >= VICI_OP_COUNT || vici_op_named(op) != (name != NULL) ||
	    n > VICI_NAME_MAX) {
		vb_fail(vb, -EINVAL);
		return;
	}
	if (name) {
		bld_u8(&vb->b, (uint8_t)n);
		bld_bytes(&vb->b, name, n);
	}
}

void vici_build_free(struct vici_builder *vb)
{
	bld_free(&vb->b);
}

int vici_build_err(const struct vici_builder *vb)
{
	return vb->err ? vb->err : bld_err(&vb->b);
}

int vici_add_raw(struct vici_builder *vb, enum vici_elem type, const void *name, size_t name_len,
		 const void *value, size_t value_len)
{
	bool named =
		type == VICI_SECTION_START || type == VICI_KEY_VALUE || type == VICI_LIST_START;
	bool valued = type == VICI_KEY_VALUE || type == VICI_LIST_ITEM;

	if (vici_build_err(vb))
		return vici_build_err(vb);
	if (type < VICI_SECTION_START || type > VICI_LIST_END || name_len > VICI_NAME_MAX ||
	    value_len > VICI_VALUE_MAX)
		return vb_fail(vb, -EINVAL);
	/* README "Lists": only items inside a list, items only inside one, no nesting */
	if (vb->in_list != (type == VICI_LIST_ITEM || type == VICI_LIST_END))
		return vb_fail(vb, -EINVAL);
	if (type == VICI_SECTION_START && vb->depth >= VICI_MAX_DEPTH)
		return vb_fail(vb, -EINVAL);
	if (type == VICI_SECTION_END && vb->depth == 0)
		return vb_fail(vb, -EINVAL);
	bld_u8(&vb->b, (uint8_t)type);
	if (named) {
		bld_u8(&vb->b, (uint8_t)name_len);
		bld_bytes(&vb->b, name, name_len);
	}
	if (valued) {
		bld_u16(&vb->b, (uint16_t)value_len);
		bld_bytes(&vb->b, value, value_len);
	}
	if (bld_err(&vb->b))
		return vb_fail(vb, bld_err(&vb->b));
	if (type == VICI_SECTION_START)
		vb->depth++;
	else if (type == VICI_SECTION_END)
		vb->depth--;
	else if (type == VICI_LIST_START)
		vb->in_list = true;
	else if (type == VICI_LIST_END)
		vb->in_list = false;
	return 0;
}

static size_t name_len_of(const char *s)
{
	return s ? strlen(s) : 0;
}

int vici_add_section(struct vici_builder *vb, const char *name)
{
	return vici_add_raw(vb, VICI_SECTION_START, name, name_len_of(name), NULL, 0);
}

int vici_end_section(struct vici_builder *vb)
{
	return vici_add_raw(vb, VICI_SECTION_END, NULL, 0, NULL, 0);
}

int vici_add_kv(struct vici_builder *vb, const char *key, const void *value, size_t len)
{
	return vici_add_raw(vb, VICI_KEY_VALUE, key, name_len_of(key), value, len);
}

int vici_add_kv_str(struct vici_builder *vb, const char *key, const char *value)
{
	return vici_add_kv(vb, key, value, name_len_of(value));
}

int vici_add_kvf(struct vici_builder *vb, const char *key, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return vb_fail(vb, -EINVAL);
	return vici_add_kv(vb, key, buf, (size_t)n);
}

int vici_add_list(struct vici_builder *vb, const char *name)
{
	return vici_add_raw(vb, VICI_LIST_START, name, name_len_of(name), NULL, 0);
}

int vici_add_item(struct vici_builder *vb, const void *value, size_t len)
{
	return vici_add_raw(vb, VICI_LIST_ITEM, NULL, 0, value, len);
}

int vici_add_item_str(struct vici_builder *vb, const char *value)
{
	return vici_add_item(vb, value, name_len_of(value));
}

int vici_end_list(struct vici_builder *vb)
{
	return vici_add_raw(vb, VICI_LIST_END, NULL, 0, NULL, 0);
}

uint8_t *vici_build_take(struct vici_builder *vb, size_t *len, int *err)
{
	int e = vici_build_err(vb);
	uint8_t *p;

	if (!e && (vb->depth || vb->in_list))
		e = -EINVAL; /* README: sections and lists must be balanced */
	if (!e && vb->framed)
		e = bld_put_u32_at(&vb->b, vb->len_off, (uint32_t)(bld_off(&vb->b) - 4));
	if (err)
		*err = e;
	if (e) {
		bld_free(&vb->b);
		*len = 0;
		return NULL;
	}
	p = bld_take(&vb->b, len);
	if (!p && err)
		*err = -ENOMEM;
	return p;
}

/* ---- parsing ---- */

static int perr(struct vici_err *err, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int perr(struct vici_err *err, size_t off, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		err->off = off;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return -EBADMSG;
}

int vici_packet_parse(const uint8_t *p, size_t len, struct vici_packet *out, struct vici_err *err)
{
	struct cursor c;
	uint8_t op, nlen = 0;

	memset(out, 0, sizeof(*out));
	cur_init(&c, p, len);
	if (cur_u8(&c, &op))
		return perr(err, 0, "empty packet: expected a packet type byte");
	if (op >= VICI_OP_COUNT)
		return perr(err, 0, "unknown packet type %u (expected 0-7)", op);
	out->op = op;
	if (vici_op_named(op)) {
		if (cur_u8(&c, &nlen))
			return perr(err, 1, "%s without a name length", vici_op_name(op));
		if (cur_copy(&c, out->name, nlen))
			return perr(err, 2, "%s name of %u bytes runs past the end (%zu left)",
				    vici_op_name(op), nlen, len - 2);
		out->name[nlen] = '\0';
		/* command and event names are ASCII words ("list-sas") */
		for (unsigned i = 0; i < nlen; i++) {
			uint8_t ch = (uint8_t)out->name[i];

			if (ch < 0x20 || ch > 0x7e)
				return perr(err, 2 + i, "%s name has the non-printable byte 0x%02x",
					    vici_op_name(op), ch);
		}
	}
	if (vici_op_has_msg(op)) {
		out->msg = cur_rest(&c);
	} else if (cur_left(&c)) {
		return perr(err, c.off, "%s carries no message, got %zu more bytes",
			    vici_op_name(op), cur_left(&c));
	}
	return 0;
}

void vici_node_free(struct vici_node *n)
{
	while (n) {
		struct vici_node *next = n->next;

		vici_node_free(n->child);
		free(n->name);
		/* values may be secrets (load-shared data, load-key data) */
		if (n->value)
			wipe(n->value, n->value_len);
		free(n->value);
		free(n);
		n = next;
	}
}

static char *dup_span(const struct span *s)
{
	char *d = malloc(s->len + 1);

	if (d) {
		if (s->len)
			memcpy(d, s->p, s->len);
		d[s->len] = '\0';
	}
	return d;
}

/* A new node appended to parent's members (name/value spans copied). */
static struct vici_node *node_add(struct vici_node *parent, enum vici_node_type type,
				  const struct span *name, const struct span *value)
{
	static const struct span empty = {NULL, 0};
	struct vici_node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->type = type;
	n->name = dup_span(name ? name : &empty);
	n->name_len = name ? name->len : 0;
	if (value) {
		n->value = dup_span(value);
		n->value_len = value->len;
	}
	if (!n->name || (value && !n->value)) {
		vici_node_free(n);
		return NULL;
	}
	if (parent->last)
		parent->last->next = n;
	else
		parent->child = n;
	parent->last = n;
	return n;
}

static const char *const elem_names[] = {
	"?", "SECTION_START", "SECTION_END", "KEY_VALUE", "LIST_START", "LIST_ITEM", "LIST_END",
};

/* Read an element's name (1-byte length) and/or value (2-byte length). */
static int read_elem(struct cursor *c, uint8_t type, struct span *name, struct span *value,
		     struct vici_err *err)
{
	size_t at = c->off - 1;
	uint8_t nlen;
	uint16_t vlen;

	if (type == VICI_SECTION_START || type == VICI_KEY_VALUE || type == VICI_LIST_START) {
		if (cur_u8(c, &nlen))
			return perr(err, at, "%s without a name length", elem_names[type]);
		if (cur_span(c, nlen, name))
			return perr(err, at, "%s name of %u bytes runs past the end (%zu left)",
				    elem_names[type], nlen, c->len - at - 2);
	}
	if (type == VICI_KEY_VALUE || type == VICI_LIST_ITEM) {
		size_t voff = c->off;

		if (cur_u16(c, &vlen))
			return perr(err, voff, "%s value length cut short", elem_names[type]);
		if (cur_span(c, vlen, value))
			return perr(err, voff, "%s value of %u bytes runs past the end (%zu left)",
				    elem_names[type], vlen, c->len - voff - 2);
	}
	return 0;
}

/* One element into the tree; stack[*depth] is the open section, *list the
 * open list or NULL. */
static int parse_elem(struct cursor *c, struct vici_node **stack, unsigned *depth,
		      struct vici_node **list, struct vici_err *err)
{
	size_t at = c->off;
	struct span name = {0}, value = {0};
	struct vici_node *n = NULL;
	uint8_t type;

	cur_u8(c, &type);
	if (type < VICI_SECTION_START || type > VICI_LIST_END)
		return perr(err, at, "unknown element type %u (expected 1-6)", type);
	/* README "Lists": after LIST_START only items until LIST_END */
	if (*list && type != VICI_LIST_ITEM && type != VICI_LIST_END)
		return perr(err, at, "%s inside list '%s' (expected LIST_ITEM or LIST_END)",
			    elem_names[type], (*list)->name);
	if (!*list && (type == VICI_LIST_ITEM || type == VICI_LIST_END))
		return perr(err, at, "%s outside a list", elem_names[type]);
	if (read_elem(c, type, &name, &value, err))
		return -EBADMSG;
	switch (type) {
	case VICI_SECTION_START:
		if (*depth >= VICI_MAX_DEPTH)
			return perr(err, at, "sections nested deeper than %d", VICI_MAX_DEPTH);
		n = node_add(stack[*depth], VICI_NODE_SECTION, &name, NULL);
		if (n)
			stack[++*depth] = n;
		break;
	case VICI_SECTION_END:
		if (*depth == 0)
			return perr(err, at, "SECTION_END without an open section");
		--*depth;
		return 0;
	case VICI_KEY_VALUE:
		n = node_add(stack[*depth], VICI_NODE_KV, &name, &value);
		break;
	case VICI_LIST_START:
		n = node_add(stack[*depth], VICI_NODE_LIST, &name, NULL);
		*list = n;
		break;
	case VICI_LIST_ITEM:
		n = node_add(*list, VICI_NODE_ITEM, NULL, &value);
		break;
	case VICI_LIST_END:
		*list = NULL;
		return 0;
	}
	return n ? 0 : -ENOMEM;
}

int vici_msg_parse(const uint8_t *p, size_t len, struct vici_node **root, struct vici_err *err)
{
	struct vici_node *stack[VICI_MAX_DEPTH + 1];
	struct vici_node *list = NULL;
	unsigned depth = 0;
	struct cursor c;
	int rc = 0;

	*root = calloc(1, sizeof(**root));
	if (!*root)
		return -ENOMEM;
	(*root)->name = calloc(1, 1);
	if (!(*root)->name) {
		rc = -ENOMEM;
		goto out;
	}
	stack[0] = *root;
	cur_init(&c, p, len);
	while (rc == 0 && cur_left(&c))
		rc = parse_elem(&c, stack, &depth, &list, err);
	if (rc == 0 && list)
		rc = perr(err, len, "list '%s' not closed at the end of the message", list->name);
	if (rc == 0 && depth)
		rc = perr(err, len,
			  "%u section(s) not closed at the end of the message (innermost '%s')",
			  depth, stack[depth]->name);
out:
	if (rc) {
		vici_node_free(*root);
		*root = NULL;
	}
	return rc;
}

static int encode_members(const struct vici_node *sec, struct vici_builder *vb, unsigned depth)
{
	if (depth > VICI_MAX_DEPTH)
		return -EINVAL;
	for (const struct vici_node *n = sec->child; n; n = n->next) {
		switch (n->type) {
		case VICI_NODE_SECTION:
			vici_add_raw(vb, VICI_SECTION_START, n->name, n->name_len, NULL, 0);
			encode_members(n, vb, depth + 1);
			vici_end_section(vb);
			break;
		case VICI_NODE_KV:
			vici_add_raw(vb, VICI_KEY_VALUE, n->name, n->name_len, n->value,
				     n->value_len);
			break;
		case VICI_NODE_LIST:
			vici_add_raw(vb, VICI_LIST_START, n->name, n->name_len, NULL, 0);
			for (const struct vici_node *i = n->child; i; i = i->next)
				vici_add_item(vb, i->value, i->value_len);
			vici_end_list(vb);
			break;
		case VICI_NODE_ITEM:
			return vb_fail(vb, -EINVAL);
		}
	}
	return vici_build_err(vb);
}

int vici_msg_encode(const struct vici_node *root, struct vici_builder *vb)
{
	return encode_members(root, vb, 0);
}

const struct vici_node *vici_member(const struct vici_node *sec, const char *name)
{
	size_t n = strlen(name);

	if (!sec || sec->type != VICI_NODE_SECTION)
		return NULL;
	for (const struct vici_node *m = sec->child; m; m = m->next)
		if (m->name_len == n && memcmp(m->name, name, n) == 0)
			return m;
	return NULL;
}

const struct vici_node *vici_find(const struct vici_node *sec, const char *path)
{
	char part[VICI_NAME_MAX + 1];

	while (sec && *path) {
		const char *dot = strchr(path, '.');
		size_t n = dot ? (size_t)(dot - path) : strlen(path);

		if (n > VICI_NAME_MAX)
			return NULL;
		memcpy(part, path, n);
		part[n] = '\0';
		sec = vici_member(sec, part);
		if (!dot)
			return sec;
		path = dot + 1;
	}
	return NULL;
}

const char *vici_find_str(const struct vici_node *sec, const char *path, const char *def)
{
	const struct vici_node *n = vici_find(sec, path);

	return n && n->type == VICI_NODE_KV ? n->value : def;
}

bool vici_find_yes(const struct vici_node *sec, const char *path)
{
	return strcmp(vici_find_str(sec, path, ""), "yes") == 0;
}
