/* fuzz_ikev2_frag.c: the RFC 7383 reassembly of the IKEv2 engine (frag.c).
 *
 * The input is a sequence of fragment records as the decoder and the SKF
 * decryption hand them to ikev2_frag_add():
 *   flags (1: bit 0 = a response), Message ID (1), Fragment Number (2),
 *   Total Fragments (2), Next Payload (1), plaintext length (2), plaintext
 * with the decoder's guarantee 1 <= Fragment Number <= Total Fragments (other
 * records are skipped). Checks: no crash or leak (sanitizers), a completed
 * message is never larger than IKEV2_FRAG_BYTES, and an incomplete one
 * hands nothing back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ikev2/exchange.h"
#include "lib/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ikev2_msg msg;
	struct ikev2_ike_sa *sa = calloc(1, sizeof(*sa));
	size_t off = 0;

	if (!sa)
		return 0;
	log_set_all(LVL_ERR);
	sa->sa.serial = 1;
	while (size - off >= 9) {
		const uint8_t *r = data + off;
		size_t len = be16(r + 7), plen;
		uint8_t *p, inner;

		off += 9;
		if (len > size - off)
			len = size - off;
		memset(&msg, 0, sizeof(msg));
		msg.hdr.flags = (uint8_t)(r[0] & 1 ? IKEV2_FLAG_R : 0);
		msg.hdr.msg_id = r[1];
		msg.count = 1;
		msg.sk = 0;
		msg.pl[0].type = IKEV2_PL_SKF;
		msg.pl[0].sk.frag_num = be16(r + 2);
		msg.pl[0].sk.frag_total = be16(r + 4);
		msg.pl[0].sk.inner = r[6];
		if (msg.pl[0].sk.frag_num == 0 || msg.pl[0].sk.frag_num > msg.pl[0].sk.frag_total) {
			off += len;
			continue;
		}
		p = malloc(len ? len : 1);
		if (!p)
			break;
		memcpy(p, data + off, len);
		plen = len;
		if (ikev2_frag_add(sa, &msg, &p, &plen, &inner) == 0) {
			if (plen > IKEV2_FRAG_BYTES)
				abort();
			free(p);
		} else if (p) {
			abort(); /* not complete: the fragment is kept or freed, never handed back */
		}
		off += len;
	}
	ikev2_frag_free(sa);
	free(sa);
	return 0;
}
