/* fuzz_vici: a VICI packet body (what follows the 4-byte length) through the
 * packet and message parsers. Nothing may crash or read out of bounds, and
 * whatever is accepted must re-encode to exactly the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vici/vici_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vici_packet pkt;
	struct vici_node *root = NULL;
	struct vici_builder vb;
	struct vici_err err;
	uint8_t *p;
	size_t len;

	if (size > VICI_MAX_PACKET) /* the transport refuses these before parsing */
		return 0;
	if (vici_packet_parse(data, size, &pkt, &err))
		return 0;
	if (vici_op_has_msg(pkt.op) && vici_msg_parse(pkt.msg.p, pkt.msg.len, &root, &err))
		return 0;
	/* lookups walk the tree the way the server reads requests */
	vici_find_str(root, "ike", NULL);
	vici_find_str(root, "a.b.c", NULL);
	vici_build_packet(&vb, (enum vici_op)pkt.op, vici_op_named(pkt.op) ? pkt.name : NULL);
	if (root)
		vici_msg_encode(root, &vb);
	vici_node_free(root);
	p = vici_build_take(&vb, &len, NULL);
	if (!p || len != size + 4 || memcmp(p + 4, data, size) != 0)
		abort();
	free(p);
	return 0;
}
