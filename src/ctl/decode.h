/* decode.h: `oakctl decode`, a pretty-printer and decrypter of IKE messages
 * that needs no daemon.
 *
 * A decode context holds the keys (Wireshark decryption-table rows) and the
 * state that IKEv1 decryption needs across messages (RFC 2409 appendix B:
 * the phase 1 IV comes from the KE payloads, every later IV from the previous
 * message's last ciphertext block). Feed it the datagrams of a capture in
 * order with decode_datagram(); each is printed to the context's stream:
 * header, every payload with its fields named as in the RFCs, and for an
 * encrypted message the integrity check, the decryption and the inner
 * payloads.
 *
 * Key rows, in either spelling:
 *   Wireshark's ikev2_decryption_table (CSV, fields optionally quoted):
 *     SPIi,SPIr,SK_ei,SK_er,"AES-CBC-128 [RFC3602]",SK_ai,SK_ar,"HMAC_SHA2_256_128 [RFC4868]"
 *   Wireshark's ikev1_decryption_table: CKY-I,enc_key
 *   tests/vectors/captures/NAME.txt lines:
 *     ikev2_keys spi_i=.. spi_r=.. sk_ei=.. sk_er=.. encr="..." sk_ai=.. sk_ar=.. integ="..."
 *     ikev1_keys cky_i=.. enc_key=..
 * For AEAD rows SK_ei/SK_er end with the salt (RFC 5282 7.1) and the
 * integrity algorithm is "NONE [RFC4306]".
 */
#ifndef OAK_CTL_DECODE_H
#define OAK_CTL_DECODE_H

#include <stddef.h>
#include <stdio.h>

#include "ctl/pcap.h"

struct decode_ctx;

/* A context printing to out (borrowed; must outlive the context). Caller
 * frees with decode_free(). NULL when out of memory. */
struct decode_ctx *decode_new(FILE *out);
/* Free the context and wipe its keys; NULL is fine. */
void decode_free(struct decode_ctx *c);

/* Add one key row (see above). 0, or -EINVAL with why (caller's buffer of n
 * bytes) saying which field is wrong. Blank lines and '#' comments: 0. */
int decode_add_key_row(struct decode_ctx *c, const char *row, char *why, size_t n);
/* Add every key row of a file (Wireshark table, or a golden capture file:
 * its lines other than key rows are ignored). Errors name file:line. */
int decode_add_key_file(struct decode_ctx *c, const char *path, char *why, size_t n);

/* Read a golden capture file (tests/vectors/README.md): its key rows go into
 * c, its `msg` lines are appended to msgs (free with ike_datagrams_free).
 * 0 or negative errno with why naming file:line. */
int decode_read_golden(struct decode_ctx *c, const char *path, struct ike_datagrams *msgs,
		       char *why, size_t n);

/* Print datagram d (borrowed; a UDP payload, with or without the 4-byte
 * non-ESP marker) as message number num. Returns 0, or -1 after printing what
 * could be decoded, with why saying what failed: a wire decode error with its
 * offset, "no key for SPI ...", "ICV mismatch", ... */
int decode_datagram(struct decode_ctx *c, unsigned num, const struct ike_datagram *d, char *why,
		    size_t n);

/* The `oakctl decode` verb: argv[0] is "decode". Exit status 0; 1 when a
 * message failed to decode or decrypt (after printing the others); 2 on a
 * usage error. */
int decode_main(int argc, char *argv[]);

#endif
