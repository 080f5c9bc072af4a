/* fuzz_ikev2_msg: decodes an IKEv2 message and holds the codec to its
 * promise: whatever the decoder accepts, the encoder gives back byte for byte.
 * When the message has an SK payload, its body is also decoded as a plain
 * inner chain (seeds named plain-* carry decrypted contents there) and held to
 * the same promise; the payload rules run on both. Iterators must agree with
 * the counts the decoder validated. Any broken promise aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/ikev2.h"
#include "wire/ikev2_rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_or_abort(const struct builder *b, const uint8_t *want, size_t len)
{
	if (!bld_ok(b) || bld_off(b) != len || (len && memcmp(bld_data(b), want, len) != 0))
		abort();
}

/* Walk every sub-structure; the counts must match what decode checked. */
static void walk(const struct ikev2_payload *p)
{
	struct ikev2_iter pi, ti, ai;
	struct ikev2_proposal prop;
	struct ikev2_transform t;
	struct ikev2_attr a;
	struct ikev2_ts ts;
	struct ikev2_cp_attr ca;

	if (!p->known)
		return;
	if (p->type == IKEV2_PL_SA) {
		ikev2_sa_proposals(&p->sa, &pi);
		while (ikev2_proposal_next(&pi, &prop)) {
			ikev2_proposal_transforms(&prop, &ti);
			while (ikev2_transform_next(&ti, &t)) {
				ikev2_transform_attrs(&t, &ai);
				while (ikev2_attr_next(&ai, &a))
					;
				(void)ikev2_transform_key_length(&t);
			}
			if (ti.index != prop.n_transforms)
				abort();
		}
		if (pi.index != p->sa.n_proposals)
			abort();
	} else if (p->type == IKEV2_PL_TSI || p->type == IKEV2_PL_TSR) {
		ikev2_ts_iter(&p->ts, &ti);
		while (ikev2_ts_next(&ti, &ts))
			;
		if (ti.index != p->ts.count)
			abort();
	} else if (p->type == IKEV2_PL_CP) {
		ikev2_cp_iter(&p->cp, &ti);
		while (ikev2_cp_next(&ti, &ca))
			;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ikev2_msg m;
	struct wire_err err;
	struct builder b;
	const struct ikev2_payload *sk;
	uint8_t first;
	unsigned i;

	if (ikev2_msg_decode(data, size, &m, &err) != 0)
		return 0;
	bld_init(&b, 0);
	ikev2_msg_encode(&b, &m);
	same_or_abort(&b, data, size);
	bld_free(&b);
	for (i = 0; i < m.count; i++)
		walk(&m.pl[i]);
	(void)ikev2_rules_check(&m, false, &err);

	if (m.sk < 0)
		return 0;
	sk = &m.pl[m.sk];
	if (ikev2_chain_decode(sk->sk.inner, sk->sk.data, sk->off + 4, &m, &err) != 0)
		return 0;
	bld_init(&b, 0);
	ikev2_inner_encode(&b, &m, &first);
	same_or_abort(&b, sk->sk.data.p, sk->sk.data.len);
	if (m.count > m.n_outer && first != sk->sk.inner)
		abort();
	bld_free(&b);
	for (i = m.n_outer; i < m.count; i++)
		walk(&m.pl[i]);
	(void)ikev2_rules_check(&m, true, &err);
	return 0;
}
