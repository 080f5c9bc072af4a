/* fuzz_ikev1_msg: decode an IKEv1 datagram (clear form), and its body as a
 * decrypted payload chain (first payload from the header's Next Payload);
 * whenever decoding succeeds, encoding again must give the same bytes, the
 * iterators must walk every validated SA, and the rules must not crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/ikev1.h"
#include "wire/ikev1_rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ikev1_msg msg;

static void check_same(struct builder *b, const uint8_t *want, size_t len)
{
	/* an empty builder has no buffer: memcmp must not see its NULL */
	if (bld_off(b) != len || (len && memcmp(bld_data(b), want, len) != 0))
		abort();
}

/* Validated SAs must iterate without an error and count as decoded. */
static void walk_sas(void)
{
	struct ikev1_iter pit, xit, ait;
	struct ikev1_prop p;
	struct ikev1_xform t;
	struct ikev1_attr a;
	unsigned i, np, nx;
	uint64_t v;
	int rc;

	for (i = 0; i < msg.npl; i++) {
		if (msg.pl[i].kind != ISAKMP_NP_SA)
			continue;
		np = nx = 0;
		ikev1_props_begin(&pit, &msg.pl[i].u.sa);
		while ((rc = ikev1_prop_next(&pit, &p)) == 1) {
			np++;
			ikev1_xforms_begin(&xit, &p);
			while ((rc = ikev1_xform_next(&xit, &t)) == 1) {
				nx++;
				ikev1_attrs_begin(&ait, t.attrs, t.attrs_off);
				while ((rc = ikev1_attr_next(&ait, &a)) == 1)
					(void)ikev1_attr_u64(&a, &v);
				if (rc < 0)
					abort();
			}
			if (rc < 0)
				abort();
		}
		if (rc < 0 || np != msg.pl[i].u.sa.nprops || nx != msg.pl[i].u.sa.nxforms)
			abort();
	}
}

static void check_rules(void)
{
	struct wire_err err;
	unsigned n;

	for (n = 0; n <= 6; n++)
		(void)ikev1_rules_check(&msg, n, &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wire_err err;
	struct builder b;

	if (ikev1_msg_decode(data, size, &msg, &err) == 0) {
		walk_sas();
		check_rules();
		bld_init(&b, 0);
		if (ikev1_msg_encode(&msg, &b) != 0)
			abort();
		check_same(&b, data, size);
		bld_free(&b);
	}
	if (size < ISAKMP_HDR_LEN)
		return 0;
	/* the body as if it had been decrypted */
	if (ikev1_chain_decode(data[16],
			       (struct span){data + ISAKMP_HDR_LEN, size - ISAKMP_HDR_LEN}, &msg,
			       &err) == 0) {
		walk_sas();
		bld_init(&b, 0);
		if (ikev1_chain_encode(&msg, &b) != 0)
			abort();
		check_same(&b, data + ISAKMP_HDR_LEN, size - ISAKMP_HDR_LEN);
		bld_free(&b);
	}
	return 0;
}
