/* proposal_match.h: choosing among offered proposals (RFC 7296 2.7, 3.3.6)
 * and checking the peer's choice, on plain data (crypto/proposal.h) so that
 * the IKEv2 and IKEv1 responders share it.
 *
 * Rules:
 * - the result is ONE offered proposal reduced to exactly one transform of
 *   each type it carries, each transform (ID and key length) being both in
 *   that offer and in one configured proposal; it keeps the offer's Proposal
 *   Num and SPI. An IKEv1 offer carries one transform per type, so the
 *   result is that offer unchanged.
 * - preference: by default ours (strongSwan's default): configured proposals
 *   in order, each against the offers in their order, and within a pair the
 *   first of our transforms of a type that the offer also has (ESN too).
 *   PROPOSAL_MATCH_PREFER_OFFERED turns both orders around.
 * - optional types (RFC 7296 3.3.3: INTEG for AEAD, KE for ESP/AH, ESN) may
 *   be omitted "if the only value [...] is NONE": an absent type is the same
 *   as the single transform ID 0 (NONE / NO_ESN). So an ESP offer
 *   "MODP_2048 or NONE" (optional PFS) matches our ESP proposal without KE
 *   and the result carries KE NONE (the caller then ignores KEi and sends no
 *   KEr, RFC 7296 3.3.6; it may drop the NONE transform from the reply,
 *   RFC 7296 1.2 says it SHOULD); an offer without KE does not match ours
 *   with KE unless ours also lists NONE ("modpnone"). IKE's KE is never
 *   optional: NONE is refused (RFC 7296 2.18).
 * - PROPOSAL_MATCH_SKIP_KE ignores KE on both sides and leaves it out of the
 *   result: the CHILD SA of IKE_AUTH has no KE exchange (RFC 7296 1.2), as
 *   strongSwan does for peers that still send their PFS groups there.
 *
 * Errors carry ONE line for the user, naming per transform type what the
 * peer offered and what we accept.
 */
#ifndef OAK_IKE_PROPOSAL_MATCH_H
#define OAK_IKE_PROPOSAL_MATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "crypto/proposal.h"

/* Flags of proposal_select_ex(). */
#define PROPOSAL_MATCH_PREFER_OFFERED 0x1 /* the peer's order decides, not ours */
#define PROPOSAL_MATCH_SKIP_KE	      0x2 /* ignore KE transforms (IKE_AUTH CHILD SA) */

/* The responder's choice with our preference. offered and mine (borrowed);
 * chosen (caller's storage) gets the result. 0, or -ENOENT with why set to
 * "no proposal chosen: ENCR offered AES_CBC_256, we accept AES_GCM_16_128,
 * AES_CBC_128; KE: MODP_2048 in both" (why may be NULL). */
int proposal_select(const struct proposal *offered, size_t noffered, const struct proposal *mine,
		    size_t nmine, struct proposal *chosen, char *why, size_t whylen);
/* The same with PROPOSAL_MATCH_* flags. */
int proposal_select_ex(const struct proposal *offered, size_t noffered, const struct proposal *mine,
		       size_t nmine, unsigned flags, struct proposal *chosen, char *why,
		       size_t whylen);

/* The initiator's check of the responder's choice (RFC 7296 3.3.6: it MUST
 * be one of our offers, with one transform of each type offered, each as
 * offered). The SPI is the responder's and is not compared. Proposals are
 * found by number. An offer that omits an optional type, or lists its NONE,
 * accepts a choice without that type. chosen, offered (borrowed). false with
 * why saying what was wrong: "responder chose ENCR AES_CBC_192 which we did
 * not offer in proposal 1". Initiators strip KE from IKE_AUTH offers before
 * sending them (RFC 7296 1.2) and check against that stripped list. */
bool proposal_is_acceptable_choice(const struct proposal *chosen, const struct proposal *offered,
				   size_t noffered, char *why, size_t whylen);

#endif
