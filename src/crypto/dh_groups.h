/* dh_groups.h: the domain parameters of oak's Diffie-Hellman groups, as printed in their RFCs.
 *
 * The primes are kept as the RFCs print them (hex words separated by spaces;
 * lib/hex.h's hex_decode() skips the spaces), so a reader can check them line
 * by line against RFC 2409 6.1/6.2, RFC 3526 2-7 and RFC 5903 3.1-3.3.
 * tests/crypto/test_kat_dh.c compares them with copies taken from the RFC texts
 * (tests/vectors/dh/modp_primes.txt) and with OpenSSL's built-in named groups.
 * dh.c turns them into OpenSSL domain parameters once; nothing else should need them.
 */
#ifndef OAK_CRYPTO_DH_GROUPS_H
#define OAK_CRYPTO_DH_GROUPS_H

#include <stdint.h>

/* RFC 2409 6.1/6.2, RFC 3526: every MODP group's generator is 2. */
#define DH_MODP_GENERATOR 2

/* MODP group primes p (RFC 2409 6, RFC 3526). */
extern const char dh_groups_modp_768_p[];  /* group 1 */
extern const char dh_groups_modp_1024_p[]; /* group 2 */
extern const char dh_groups_modp_1536_p[]; /* group 5 */
extern const char dh_groups_modp_2048_p[]; /* group 14 */
extern const char dh_groups_modp_3072_p[]; /* group 15 */
extern const char dh_groups_modp_4096_p[]; /* group 16 */
extern const char dh_groups_modp_6144_p[]; /* group 17 */
extern const char dh_groups_modp_8192_p[]; /* group 18 */

/* ECP field primes p (RFC 5903 3.1-3.3), for the coordinate range check of RFC 6989 2.3. */
extern const char dh_groups_ecp_256_p[]; /* group 19 */
extern const char dh_groups_ecp_384_p[]; /* group 20 */
extern const char dh_groups_ecp_521_p[]; /* group 21 */

/* The prime of group `id` as RFC hex text (borrowed, static): the group prime of a MODP group,
 * the field prime of an ECP group; NULL for Curve25519/Curve448 and unknown ids. */
const char *dh_groups_prime_hex(uint16_t id);

#endif
