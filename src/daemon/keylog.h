/* keylog.h: the key log, for decrypting captures with Wireshark or tshark.
 *
 * When daemon.keylog is set, oakd appends one row per IKE SA in the format
 * of Wireshark's IKEv2 decryption table (a UAT file, Preferences > Protocols
 * > ISAKMP > IKEv2 Decryption Table):
 *
 *   ISPI,RSPI,SK_ei,SK_er,"ENC NAME",SK_ai,SK_ar,"INTEG NAME"
 *   58d5af7fddebd57c,edc08c5f4ae6f070,f08f...,62a5...,"AES-CBC-128 [RFC3602]",4ca4...,92df...,"HMAC_SHA2_256_128 [RFC4868]"
 *
 * hex without 0x, the algorithm names exactly as Wireshark 4.0 spells them
 * (epan/dissectors/packet-isakmp.c, vs_ikev2_encr_algs / vs_ikev2_auth_algs;
 * checked against tshark 4.0.17, which rejects any other spelling and any key
 * of the wrong length). AEAD rows have empty SK_ai/SK_ar and "NONE [RFC4306]".
 * An SA whose algorithm Wireshark cannot decrypt (ChaCha20-Poly1305,
 * AES-XCBC, AES-CMAC, ...) gets no row and a notice in the log.
 *
 * IKEv1 rows (ikev1_decryption_table: ICOOKIE,ENC_KEY) go to a file of their
 * own, since a UAT file holds one table: PATH.ikev1 next to PATH. When PATH
 * is a directory, the two files inside it are named as Wireshark's own
 * (ikev2_decryption_table, ikev1_decryption_table), so WIRESHARK_CONFIG_DIR=PATH
 * tshark -r capture.pcap decrypts without further steps.
 *
 * Files are created with mode 0600 and appended to; each row is one write(2).
 * This is the one place where key bytes leave the daemon, and only because
 * the user asked: start-up logs "key log enabled: PATH — it holds secret keys".
 */
#ifndef OAK_DAEMON_KEYLOG_H
#define OAK_DAEMON_KEYLOG_H

#include <stddef.h>
#include <stdint.h>

#include "ike/env.h"

struct keylog;

/* The longest row: two SPIs, four keys of up to 64 bytes, two names. */
#define KEYLOG_ROW_MAX 768

/* Open the key log at path (borrowed): a file, or a directory for both
 * tables. (caller frees with keylog_close) NULL with *err = -errno. */
struct keylog *keylog_open(const char *path, int *err);
void keylog_close(struct keylog *k);

/* Wireshark's name of an IKEv2 encryption transform with its key length in
 * bits (0 where the transform has no Key Length attribute), or NULL when
 * Wireshark cannot decrypt it. */
const char *keylog_ikev2_encr_name(uint16_t encr_id, uint16_t key_bits);
/* Wireshark's name of an IKEv2 integrity transform (0 = NONE), or NULL. */
const char *keylog_ikev2_integ_name(uint16_t integ_id);

/* Format one ikev2_decryption_table row (no newline) into buf (at least
 * KEYLOG_ROW_MAX). 0, or -ENOTSUP when Wireshark has no name for an
 * algorithm, -EINVAL when a key is longer than 64 bytes. The caller wipes buf. */
int keylog_ikev2_row(const struct ike_keylog_ikev2 *keys, char *buf, size_t len);
/* One ikev1_decryption_table row: ICOOKIE,ENC_KEY (the Phase 1 key). */
int keylog_ikev1_row(const uint8_t icookie[8], const uint8_t *enc_key, size_t enc_key_len,
		     char *buf, size_t len);

/* Append a row (keys borrowed). 0 or -errno; failures are logged. */
int keylog_write_ikev2(struct keylog *k, const struct ike_keylog_ikev2 *keys);
int keylog_write_ikev1(struct keylog *k, const uint8_t icookie[8], const uint8_t *enc_key,
		       size_t enc_key_len);

/* The engine's key-log callback writing to k (borrowed; NULL gives the
 * callback that is off). */
void keylog_ike_env(struct keylog *k, struct ike_keylog *out);

#endif
