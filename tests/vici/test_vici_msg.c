/* test_vici_msg: the VICI codec against the README's own encoding example,
 * its framing, and malformed input (offsets and messages). */
#include "testutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "vici/vici_msg.h"

/* strongSwan's src/libcharon/plugins/vici/README.md, "Encoding example":
 * key1 = value1, section1 = { sub-section = { key2 = value2 }, list1 = [ item1, item2 ] } */
static const uint8_t readme_msg[] = {
	3,   4,	  'k', 'e', 'y', '1', 0,   6,	'v', 'a', 'l', 'u', 'e', '1', 1,   8,
	's', 'e', 'c', 't', 'i', 'o', 'n', '1', 1,   11,  's', 'u', 'b', '-', 's', 'e',
	'c', 't', 'i', 'o', 'n', 3,   4,   'k', 'e', 'y', '2', 0,   6,	 'v', 'a', 'l',
	'u', 'e', '2', 2,   4,	 5,   'l', 'i', 's', 't', '1', 5,   0,	 5,   'i', 't',
	'e', 'm', '1', 5,   0,	 5,   'i', 't', 'e', 'm', '2', 6,   2,
};

static void build_readme_example(void **state)
{
	struct vici_builder vb;
	uint8_t *p;
	size_t len;
	int err;

	(void)state;
	vici_build_msg(&vb, 0);
	vici_add_kv_str(&vb, "key1", "value1");
	vici_add_section(&vb, "section1");
	vici_add_section(&vb, "sub-section");
	vici_add_kv_str(&vb, "key2", "value2");
	vici_end_section(&vb);
	vici_add_list(&vb, "list1");
	vici_add_item_str(&vb, "item1");
	vici_add_item_str(&vb, "item2");
	vici_end_list(&vb);
	vici_end_section(&vb);
	p = vici_build_take(&vb, &len, &err);
	assert_int_equal(err, 0);
	th_assert_bytes(p, len, readme_msg, sizeof(readme_msg), "README example");
	free(p);
}

static void parse_readme_example(void **state)
{
	struct vici_node *root;
	struct vici_err err;
	const struct vici_node *list;

	(void)state;
	assert_int_equal(vici_msg_parse(readme_msg, sizeof(readme_msg), &root, &err), 0);
	assert_string_equal(vici_find_str(root, "key1", NULL), "value1");
	assert_string_equal(vici_find_str(root, "section1.sub-section.key2", NULL), "value2");
	assert_null(vici_find_str(root, "section1.key2", NULL));
	assert_string_equal(vici_find_str(root, "nope", "dflt"), "dflt");
	list = vici_find(root, "section1.list1");
	assert_non_null(list);
	assert_int_equal(list->type, VICI_NODE_LIST);
	assert_string_equal(list->child->value, "item1");
	assert_string_equal(list->child->next->value, "item2");
	assert_null(list->child->next->next);
	/* a section is not a value */
	assert_null(vici_find_str(root, "section1", NULL));
	vici_node_free(root);
}

static void reencode_is_identical(void **state)
{
	static const uint8_t binary[] = {3, 1, 'k', 0, 3, 0, 0xff, 'x', 4, 0, 6};
	const uint8_t *inputs[] = {readme_msg, binary};
	size_t lens[] = {sizeof(readme_msg), sizeof(binary)};

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct vici_node *root;
		struct vici_builder vb;
		struct vici_err err;
		uint8_t *p;
		size_t len;

		assert_int_equal(vici_msg_parse(inputs[i], lens[i], &root, &err), 0);
		vici_build_msg(&vb, 0);
		assert_int_equal(vici_msg_encode(root, &vb), 0);
		p = vici_build_take(&vb, &len, NULL);
		th_assert_bytes(p, len, inputs[i], lens[i], "re-encoded");
		free(p);
		vici_node_free(root);
	}
}

static void binary_value_keeps_its_bytes(void **state)
{
	static const uint8_t msg[] = {3, 1, 'k', 0, 3, 'a', 0, 'b'};
	struct vici_node *root;
	struct vici_err err;
	const struct vici_node *kv;

	(void)state;
	assert_int_equal(vici_msg_parse(msg, sizeof(msg), &root, &err), 0);
	kv = vici_find(root, "k");
	assert_int_equal(kv->value_len, 3);
	assert_memory_equal(kv->value, "a\0b", 3);
	vici_node_free(root);
}

static void packet_framing(void **state)
{
	struct vici_builder vb;
	struct vici_packet pkt;
	struct vici_err err;
	uint8_t *p;
	size_t len;
	int rc;

	(void)state;
	/* a version request: length 9, CMD_REQUEST, name "version", no message */
	vici_build_packet(&vb, VICI_CMD_REQUEST, "version");
	p = vici_build_take(&vb, &len, NULL);
	th_assert_hex(p, len,
		      "00000009"
		      "00"
		      "07"
		      "76657273696f6e");
	assert_int_equal(vici_packet_parse(p + 4, len - 4, &pkt, &err), 0);
	assert_int_equal(pkt.op, VICI_CMD_REQUEST);
	assert_string_equal(pkt.name, "version");
	assert_int_equal(pkt.msg.len, 0);
	free(p);

	/* a response: unnamed, message follows the type */
	vici_build_packet(&vb, VICI_CMD_RESPONSE, NULL);
	vici_add_kv_str(&vb, "success", "yes");
	p = vici_build_take(&vb, &len, NULL);
	th_assert_hex(p, len,
		      "0000000f"
		      "01"
		      "03"
		      "07"
		      "73756363657373"
		      "0003"
		      "796573");
	assert_int_equal(vici_packet_parse(p + 4, len - 4, &pkt, &err), 0);
	assert_int_equal(pkt.op, VICI_CMD_RESPONSE);
	assert_string_equal(pkt.name, "");
	assert_int_equal(pkt.msg.len, 14);
	free(p);

	/* naming an unnamed type, or not naming a named one, is misuse */
	vici_build_packet(&vb, VICI_CMD_RESPONSE, "x");
	assert_null(vici_build_take(&vb, &len, &rc));
	assert_int_equal(rc, -EINVAL);
	vici_build_packet(&vb, VICI_EVENT, NULL);
	assert_int_equal(vici_build_err(&vb), -EINVAL);
	vici_build_free(&vb);
}

static void builder_refuses_invalid(void **state)
{
	struct vici_builder vb;
	char big[300];
	size_t len;
	int err;

	(void)state;
	/* README "Lists": items only in lists */
	vici_build_msg(&vb, 0);
	assert_int_equal(vici_add_item_str(&vb, "x"), -EINVAL);
	assert_null(vici_build_take(&vb, &len, &err));
	assert_int_equal(err, -EINVAL);
	/* no key/value inside a list, no nested lists */
	vici_build_msg(&vb, 0);
	vici_add_list(&vb, "l");
	assert_int_equal(vici_add_kv_str(&vb, "k", "v"), -EINVAL);
	vici_build_free(&vb);
	vici_build_msg(&vb, 0);
	vici_add_list(&vb, "l");
	assert_int_equal(vici_add_list(&vb, "m"), -EINVAL);
	vici_build_free(&vb);
	/* SECTION_END without a section; an unclosed section at the end */
	vici_build_msg(&vb, 0);
	assert_int_equal(vici_end_section(&vb), -EINVAL);
	vici_build_free(&vb);
	vici_build_msg(&vb, 0);
	vici_add_section(&vb, "s");
	assert_null(vici_build_take(&vb, &len, &err));
	assert_int_equal(err, -EINVAL);
	/* a name over 255 bytes */
	memset(big, 'n', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	vici_build_msg(&vb, 0);
	assert_int_equal(vici_add_kv_str(&vb, big, "v"), -EINVAL);
	vici_build_free(&vb);
	/* a value over 65535 bytes */
	vici_build_msg(&vb, 0);
	assert_int_equal(vici_add_kv(&vb, "k", NULL, 65536), -EINVAL);
	vici_build_free(&vb);
	/* deeper than VICI_MAX_DEPTH */
	vici_build_msg(&vb, 0);
	for (int i = 0; i < VICI_MAX_DEPTH; i++)
		assert_int_equal(vici_add_section(&vb, "d"), 0);
	assert_int_equal(vici_add_section(&vb, "d"), -EINVAL);
	vici_build_free(&vb);
}

static void builder_size_limit(void **state)
{
	static uint8_t chunk[60000];
	struct vici_builder vb;
	size_t len;
	int err;

	(void)state;
	vici_build_packet(&vb, VICI_EVENT, "list-sa");
	for (int i = 0; i < 9; i++) /* 9 * 60 kB > 512 KiB */
		vici_add_kv(&vb, "k", chunk, sizeof(chunk));
	assert_int_equal(vici_build_err(&vb), -ENOBUFS);
	assert_null(vici_build_take(&vb, &len, &err));
	assert_int_equal(err, -ENOBUFS);
}

struct bad_case {
	const char *what;
	const char *hex;
	size_t off;
	const char *msg;
};

static void malformed_messages(void **state)
{
	static const struct bad_case cases[] = {
		{"unknown type", "09", 0, "unknown element type 9"},
		{"name past the end", "0305616263", 0,
		 "name of 5 bytes runs past the end (3 left)"},
		{"no name length", "01", 0, "SECTION_START without a name length"},
		{"value past the end", "03016b000561", 3, "value of 5 bytes runs past the end"},
		{"value length cut", "03016b00", 3, "value length cut short"},
		{"item outside a list", "0500016b", 0, "LIST_ITEM outside a list"},
		{"list end outside a list", "06", 0, "LIST_END outside a list"},
		{"kv inside a list", "04016c03016b000176", 3, "KEY_VALUE inside list 'l'"},
		{"section inside a list", "04016c01017306", 3, "SECTION_START inside list 'l'"},
		{"stray section end", "02", 0, "SECTION_END without an open section"},
		{"unclosed section", "010173", 3, "1 section(s) not closed"},
		{"unclosed list", "04016c", 3, "list 'l' not closed"},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct vici_node *root = (struct vici_node *)1;
		struct vici_err err = {0};
		uint8_t buf[64];
		size_t n = th_hex(buf, sizeof(buf), cases[i].hex);

		assert_int_equal(vici_msg_parse(buf, n, &root, &err), -EBADMSG);
		assert_null(root);
		if (err.off != cases[i].off || !strstr(err.msg, cases[i].msg))
			fail_msg("%s: got offset %zu '%s', want offset %zu '%s'", cases[i].what,
				 err.off, err.msg, cases[i].off, cases[i].msg);
	}
}

static void depth_limit(void **state)
{
	uint8_t buf[2 * (VICI_MAX_DEPTH + 1)];
	struct vici_node *root;
	struct vici_err err;

	(void)state;
	for (size_t i = 0; i < VICI_MAX_DEPTH + 1; i++) {
		buf[2 * i] = VICI_SECTION_START;
		buf[2 * i + 1] = 0;
	}
	assert_int_equal(vici_msg_parse(buf, sizeof(buf), &root, &err), -EBADMSG);
	assert_int_equal(err.off, 2 * VICI_MAX_DEPTH);
	assert_non_null(strstr(err.msg, "nested deeper than 32"));
}

static void malformed_packets(void **state)
{
	static const struct bad_case cases[] = {
		{"empty", "", 0, "empty packet"},
		{"unknown type", "08", 0, "unknown packet type 8"},
		{"named without length", "03", 1, "EVENT_REGISTER without a name length"},
		{"name past the end", "000a7665", 2, "name of 10 bytes runs past the end (2 left)"},
		{"confirm with a message", "050102", 1, "EVENT_CONFIRM carries no message, got 2"},
		{"name with a NUL", "0003766500", 4,
		 "CMD_REQUEST name has the non-printable byte 0x00"},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct vici_packet pkt;
		struct vici_err err = {0};
		uint8_t buf[64];
		size_t n = th_hex(buf, sizeof(buf), cases[i].hex);

		assert_int_equal(vici_packet_parse(buf, n, &pkt, &err), -EBADMSG);
		if (err.off != cases[i].off || !strstr(err.msg, cases[i].msg))
			fail_msg("%s: got offset %zu '%s', want offset %zu '%s'", cases[i].what,
				 err.off, err.msg, cases[i].off, cases[i].msg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(build_readme_example),
		cmocka_unit_test(parse_readme_example),
		cmocka_unit_test(reencode_is_identical),
		cmocka_unit_test(binary_value_keeps_its_bytes),
		cmocka_unit_test(packet_framing),
		cmocka_unit_test(builder_refuses_invalid),
		cmocka_unit_test(builder_size_limit),
		cmocka_unit_test(malformed_messages),
		cmocka_unit_test(depth_limit),
		cmocka_unit_test(malformed_packets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
