/* ikev1_rules.h: which payloads each IKEv1 message carries, as data
 * (RFC 2409 5 and 5.5-5.7, RFC 3947 3-5, draft-dukes-ike-mode-cfg), in the
 * manner of strongSwan's message.c rules tables: per exchange and message
 * position a list of payload kind, min, max and order flags, plus whether
 * the message is encrypted.
 *
 * The engine decodes (and decrypts and reassembles fragments) first, then
 * calls ikev1_rules_check() with the message's position in its exchange;
 * the reason text names the message ("Quick Mode message 1: HASH must be the
 * first payload", "Main Mode message 3: missing NONCE payload").
 */
#ifndef OAK_WIRE_IKEV1_RULES_H
#define OAK_WIRE_IKEV1_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "wire/header.h"
#include "wire/ikev1.h"

#define IKEV1_ANY 0xff /* max: no limit (IKEV1_MAX_PAYLOADS bounds it) */

enum ikev1_rule_flag {
	IKEV1_R_FIRST = 0x01,  /* must be the first payload (Quick Mode HASH, RFC 2409 5.5) */
	IKEV1_R_SECOND = 0x02, /* must directly follow the first (Quick Mode SA, RFC 2409 5.5) */
	IKEV1_R_PAIR = 0x04,   /* none or exactly two (IDci/IDcr, NAT-OAi/NAT-OAr) */
	IKEV1_R_ONE_OF = 0x08, /* exactly one of the payloads so marked (HASH or SIG; N or D) */
};

enum ikev1_enc_rule {
	IKEV1_CLEAR,	 /* sent before keys exist */
	IKEV1_ENCRYPTED, /* E flag required */
	IKEV1_EITHER,	 /* Aggressive Mode message 3: peers differ (RFC 2409 5.4 vs practice) */
};

struct ikev1_rule {
	uint8_t kind; /* payload kind (NAT-D/NAT-OA: either number) */
	uint8_t min, max;
	uint8_t flags; /* enum ikev1_rule_flag */
};

struct ikev1_msg_rules {
	uint8_t exchange; /* ISAKMP_XCHG_* / IKEV1_XCHG_* */
	uint8_t msg_no; /* 1-based position in the exchange; 0 = any (Informational, Transaction) */
	uint8_t enc;	/* enum ikev1_enc_rule */
	const char *name; /* "Main Mode message 3" */
	const struct ikev1_rule *rules;
	size_t nrules;
};

/* The rules of a message: exchange, position (Main Mode 1-6, Aggressive
 * 1-3, Quick Mode 1-3, New Group 1-2, Informational and Transaction 0), and
 * for Informational whether it is encrypted (a protected Informational starts
 * with HASH(1); a clear one, sent before keys exist, has no HASH). NULL when
 * there are none. (borrowed: static table) */
const struct ikev1_msg_rules *ikev1_rules_find(uint8_t exchange, unsigned msg_no, int encrypted);

/* Check a decoded (and decrypted) message against its rules. msg_no as for
 * ikev1_rules_find(). 0, or with err filled (offset of the payload at fault,
 * or of the message end for a missing one):
 *   -ENOTSUP  an unexpected payload (answer INVALID-PAYLOAD-TYPE);
 *   -EBADMSG  a missing payload, too many, wrong order or encryption
 *             (answer PAYLOAD-MALFORMED);
 *   -EINVAL   no rules for this exchange and position.
 * msg: (borrowed). */
int ikev1_rules_check(const struct ikev1_msg *msg, unsigned msg_no, struct wire_err *err);

#endif
