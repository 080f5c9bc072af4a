/* ikev2_rules.h: which payloads each IKEv2 message may carry, as data (the
 * idea of strongSwan's message.c payload rules; our own tables from RFC 7296
 * 1.2-1.5, 2.21, RFC 7383 and RFC 9242/9370).
 *
 * A table per exchange and direction (request or response, from the R flag;
 * the initiator/responder role does not change what a message may carry)
 * lists each allowed payload type with its minimum and maximum count and
 * whether it must be inside SK. A payload type that is not listed is not
 * allowed. Unknown payloads that decoding skipped are ignored here.
 *
 * Minimums are waived in a response that carries an error notify (RFC 7296
 * 2.21: the error may replace everything else), and in an IKE_SA_INIT
 * response with N(COOKIE) or N(REDIRECT) (RFC 7296 2.6, RFC 5685).
 */
#ifndef OAK_WIRE_IKEV2_RULES_H
#define OAK_WIRE_IKEV2_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/header.h"
#include "wire/ikev2.h"

/* Upper bounds for repeatable payloads (strongSwan uses 20 notifies, 8 CERTs) */
#define IKEV2_RULES_MAX_N	32
#define IKEV2_RULES_MAX_V	32
#define IKEV2_RULES_MAX_D	32
#define IKEV2_RULES_MAX_CERT	16
#define IKEV2_RULES_MAX_CERTREQ 16

struct ikev2_rule {
	uint8_t type; /* IKEV2_PL_* */
	uint8_t min, max;
	bool encrypted; /* must be inside SK (or SKF) */
};

struct ikev2_msg_rules {
	uint8_t exchange; /* IKEV2_EXCH_* */
	bool response;
	bool encrypted; /* carried in SK/SKF: exactly one SK or SKF outside */
	const struct ikev2_rule *rules;
	size_t n;
};

/* The rules of an exchange/direction, or NULL (borrowed, static). */
const struct ikev2_msg_rules *ikev2_rules_find(uint8_t exchange, bool response);

/* Check a decoded message against its rules. inner = false checks only the
 * outer payloads (before decryption: only the SK/SKF may be there for an
 * encrypted exchange); inner = true checks outer and inner payloads (after
 * ikev2_chain_decode). 0; -EBADMSG with err saying e.g. "IKE_SA_INIT request:
 * missing KE payload" at the offending payload's offset (0 for a missing one);
 * -ENOTSUP for an exchange type without rules. */
int ikev2_rules_check(const struct ikev2_msg *m, bool inner, struct wire_err *err);

#endif
