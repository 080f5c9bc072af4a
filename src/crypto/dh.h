/* dh.h: Diffie-Hellman and ECDH key exchange for IKEv1 and IKEv2.
 *
 * Groups: MODP 1, 2 (RFC 2409 6.1/6.2), 5, 14-18 (RFC 3526); ECP 19, 20, 21
 * (RFC 5903); 31 Curve25519 and 32 Curve448 (RFC 8031). The IKEv2 Transform
 * Type 4 IDs and the IKEv1 Group Description values are the same numbers.
 *
 * Wire formats (what dh_public() writes and dh_derive() reads):
 *   MODP  y = g^x mod p, big-endian, left-padded with zeros to the length of p (RFC 7296 3.4)
 *   ECP   x | y, each padded to the field size, without the 0x04 octet (RFC 5903 7)
 *   ECX   the X25519/X448 public value as is, 32 or 56 bytes (RFC 8031, RFC 7748 5)
 * Shared secrets: MODP g^xy padded to the length of p (RFC 7296 2.14); ECP the x
 * coordinate only (RFC 5903 7); ECX the X25519/X448 output.
 *
 * dh_derive() validates the peer's value first (RFC 6989, RFC 7748 6) and logs
 * (SUB_CRYPTO) which check failed. Every function is safe to call from any
 * thread (the worker pool): the per-group domain parameters are built once,
 * at first use, and only read afterwards; a key is read-only after creation,
 * so even concurrent dh_derive() calls on one key are fine.
 */
#ifndef OAK_CRYPTO_DH_H
#define OAK_CRYPTO_DH_H

#include <stddef.h>
#include <stdint.h>

#include "lib/secret.h"

enum dh_kind {
	DH_KIND_MODP, /* g^x mod p over a safe prime (RFC 2409, RFC 3526) */
	DH_KIND_ECP,  /* NIST prime curves (RFC 5903) */
	DH_KIND_ECX,  /* Montgomery curves X25519, X448 (RFC 7748, RFC 8031) */
};

/* Members ordered by size, so that the table packs without holes. */
struct dh_group {
	const char *name; /* for logs; strongSwan's names: "MODP_2048", "ECP_256", "CURVE_25519" */
	const char *ossl_name; /* OpenSSL's name: curve ("P-256"), key type ("X25519") or
				* the named DH group it equals ("modp_2048"); NULL for MODP 1, 2 */
	size_t pub_len;	       /* bytes of a public value (KE payload Key Exchange Data) */
	size_t shared_len;     /* bytes of the shared secret */
	enum dh_kind kind;
	int slot;	    /* index of the cached domain parameters (internal) */
	uint16_t id;	    /* IKEv2 Transform Type 4 ID = IKEv1 Group Description */
	uint16_t bits;	    /* bits of the prime (MODP) or of the field (ECP, ECX) */
	uint16_t priv_bits; /* MODP: bits of the private exponents we generate; 0 otherwise */
};

/* A key pair of one group; opaque. */
struct dh_key;

/* The group with IKE number `id` (borrowed, static); NULL if oak does not implement it. */
const struct dh_group *dh_group_by_id(uint16_t id);

/* A fresh key pair of group g (borrowed) from the system RNG (caller frees with
 * dh_key_free). MODP private exponents have g->priv_bits bits. NULL, logged, on failure. */
struct dh_key *dh_keygen(const struct dh_group *g);

/* A key pair from a known private value (tests, and the deterministic fake RNG of the
 * exchange tests); priv is borrowed, big-endian for MODP and ECP, RFC 7748's
 * little-endian scalar of exactly g->pub_len bytes for ECX. MODP and ECP values must
 * be in 1..p-2 (MODP) or 1..n-1 (ECP, n the group order). (caller frees) NULL, logged,
 * when priv is out of range or libcrypto fails. */
struct dh_key *dh_key_from_private(const struct dh_group *g, const uint8_t *priv, size_t len);

/* The group of k (borrowed, static). */
const struct dh_group *dh_key_group(const struct dh_key *k);

/* Our public value in IKE wire format: out (caller's buffer of out_len bytes) gets
 * dh_key_group(k)->pub_len bytes. 0; -EINVAL for NULL arguments; -ENOBUFS when
 * out_len is smaller than pub_len. */
int dh_public(const struct dh_key *k, uint8_t *out, size_t out_len);

/* Validate the peer's public value (peer, peer_len borrowed) and derive the shared
 * secret into *shared (caller frees with secret_free; set to NULL on any error).
 * 0; -EINVAL when the peer's value is rejected (the log line says which check
 * failed) or an argument is NULL; -ENOMEM; -EIO when libcrypto fails. */
int dh_derive(const struct dh_key *k, const uint8_t *peer, size_t peer_len, struct secret **shared);

/* Bits of k's private value (MODP exponent, ECP scalar; 8 * length for ECX), for
 * tests and diagnostics; -1 on error. Never logs or returns the value itself. */
int dh_key_priv_bits(const struct dh_key *k);

/* Free k, wiping the private value (NULL is fine). */
void dh_key_free(struct dh_key *k);

#endif
