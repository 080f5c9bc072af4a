/* decode_int.h: what decode.c, decode_v2.c and decode_v1.c share (private to
 * oakctl decode): the key tables, the IKEv1 IV state, and print helpers. */
#ifndef OAK_CTL_DECODE_INT_H
#define OAK_CTL_DECODE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ctl/decode.h"
#include "lib/cursor.h"
#include "lib/enum_names.h"
#include "lib/secret.h"

#define DECODE_MAX_BLOCK 16 /* the largest cipher block (AES) */
#define DECODE_NAME_LEN	 64

struct encr_alg;
struct integ_alg;

/* One ikev2_decryption_table row. */
struct v2_key {
	uint8_t spi_i[8], spi_r[8];
	const struct encr_alg *encr;
	unsigned key_bits;
	const struct integ_alg *integ;		      /* NULL for AEAD ("NONE [RFC4306]") */
	struct secret *sk_ei, *sk_er, *sk_ai, *sk_ar; /* (owned) sk_a* NULL for AEAD */
	char encr_name[DECODE_NAME_LEN], integ_name[DECODE_NAME_LEN];
};

/* One ikev1_decryption_table row. */
struct v1_key {
	uint8_t cky_i[8];
	struct secret *enc_key; /* (owned) SKEYID_e extended and truncated (RFC 2409 B) */
};

/* A decrypted IKEv1 message: its last ciphertext block and the IV it took, so
 * that a retransmission (same bytes) is decrypted with the same IV instead of
 * advancing the chain. */
struct v1_seen {
	uint8_t last[DECODE_MAX_BLOCK];
	uint8_t iv[DECODE_MAX_BLOCK];
};

/* The CBC chain of one exchange (RFC 2409 B): phase 1 (message ID 0), or a
 * Quick Mode / Informational exchange with its message ID. */
struct v1_exch {
	uint32_t mid;
	bool have_iv;
	uint8_t iv[DECODE_MAX_BLOCK]; /* for the next new message */
	struct v1_seen *seen;	      /* (owned) */
	size_t nseen;
};

/* What an ISAKMP SA's messages taught us so far. */
struct v1_state {
	uint8_t cky_i[8];
	bool have_init; /* where the initiator sends from (its KE is g^xi) */
	int init_family;
	uint8_t init_addr[16];
	uint16_t init_port;
	bool have_sa; /* the phase 1 transform chosen by the responder */
	uint16_t encr, key_bits, hash;
	uint8_t *g_xi, *g_xr; /* (owned) KE data */
	size_t g_xi_len, g_xr_len;
	bool have_p1_last; /* the last phase 1 CBC block (RFC 2409 B) */
	uint8_t p1_last[DECODE_MAX_BLOCK];
	struct v1_exch *ex; /* (owned) */
	size_t nex;
};

struct decode_ctx {
	FILE *out;	   /* (borrowed) */
	struct v2_key *v2; /* (owned) */
	size_t n_v2;
	struct v1_key *v1; /* (owned) */
	size_t n_v1;
	struct v1_state *st; /* (owned) */
	size_t n_st;
};

/* Print helpers: two spaces of indent per level, then the text and a newline. */
void dc_line(struct decode_ctx *c, int indent, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* "label: N bytes" and the bytes in hex, 32 a line. */
void dc_hex(struct decode_ctx *c, int indent, const char *label, struct span s);
/* The name of v in t, or "UNKNOWN"; always followed by " (v)" in buf. */
const char *dc_name(const struct enum_names *t, unsigned v, char *buf, size_t n);
/* An IPv4/IPv6 address of 4/16 bytes, else hex. Returns buf. */
const char *dc_addr(struct span a, char *buf, size_t n);
/* Printable text, with non-printable bytes as \xNN, quoted. Returns buf. */
const char *dc_text(struct span s, char *buf, size_t n);
/* An X.500 Distinguished Name (DER) as "C=CH, O=..., CN=...", or hex when it
 * does not parse. Returns buf. */
const char *dc_dn(struct span s, char *buf, size_t n);
/* The subject and issuer of a DER X.509 certificate, one line each;
 * nothing when it does not parse. */
void dc_cert(struct decode_ctx *c, int indent, struct span cert);
/* Lowercase hex of up to n/2 - 1 bytes. Returns buf. */
const char *dc_hexstr(struct span s, char *buf, size_t n);

void dc_why(char *why, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Per version: print and decrypt one message (marker already stripped).
 * 0, or -1 with why filled. */
int decode_v2_message(struct decode_ctx *c, const struct ike_datagram *d, const uint8_t *msg,
		      size_t len, char *why, size_t n);
int decode_v1_message(struct decode_ctx *c, const struct ike_datagram *d, const uint8_t *msg,
		      size_t len, char *why, size_t n);
/* Free the IKEv1 state of the context. */
void decode_v1_free(struct decode_ctx *c);

#endif
