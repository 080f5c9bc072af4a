/* env.h: everything an IKE engine reaches outside of itself.
 *
 * The engines (ikev2/, later ikev1/) own SA state and nothing else: they send
 * datagrams through net_ops, install SAs and policies through kernel_ops, run
 * heavy crypto through a job executor, hand derived keys to a key-log
 * callback, and read policy from an oak_config. The daemon fills this struct
 * with the real backends (UDP sockets, XFRM or the record backend, the crypto
 * worker pool, the key-log file writer, the loaded config); the exchange
 * tests fill it with fakes (a datagram queue, a recording kernel, a job queue
 * they step by hand).
 */
#ifndef OAK_IKE_ENV_H
#define OAK_IKE_ENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/kernel_ops.h"
#include "lib/net_ops.h"

struct oak_config;

/* Runs heavy crypto (DH keygen and derive, signatures) away from the loop.
 *
 * submit() queues a job: work(arg) runs on a worker thread and must touch
 * only what arg carries; done(arg, status) runs afterwards on the loop thread
 * (status 0 after work ran, -ECANCELED when the job was dropped before work
 * ran) and owns arg again. done must not run from inside submit(): the
 * daemon maps this onto pool_submit() (crypto/pool.h), whose contract says
 * so, and the tests queue jobs and run them when they step. submit returns 0
 * or a negative errno (-EAGAIN: queue full; then neither function runs). */
struct ike_jobs {
	void *ctx;
	int (*submit)(void *ctx, void (*work)(void *arg), void (*done)(void *arg, int status),
		      void *arg);
};

/* The keys of one IKEv2 SA, handed to the key log when they are derived
 * (the daemon's writer formats Wireshark's ikev2_decryption_table rows:
 * ISPI,RSPI,SK_ei,SK_er,"ENC NAME",SK_ai,SK_ar,"INTEG NAME"). Everything is
 * borrowed for the duration of the call; sk_ai/sk_ar are empty (len 0) with
 * an AEAD cipher. The key log is the one place key bytes leave the engine. */
struct ike_keylog_ikev2 {
	uint8_t spi_i[8], spi_r[8];
	uint16_t encr_id;	      /* IKEv2 Transform Type 1 ID */
	uint16_t encr_key_bits;	      /* Key Length attribute, 0 when the cipher has none */
	uint16_t integ_id;	      /* IKEv2 Transform Type 3 ID, 0 (NONE) with AEAD */
	const uint8_t *sk_ei, *sk_er; /* key bytes including any salt */
	size_t sk_e_len;
	const uint8_t *sk_ai, *sk_ar;
	size_t sk_a_len;
};

struct ike_keylog {
	void *ctx;
	/* NULL when the key log is off. */
	void (*ikev2)(void *ctx, const struct ike_keylog_ikev2 *keys);
	/* IKEv1 (Wireshark's ikev1_decryption_table: ICOOKIE,ENC_KEY): the
	 * initiator's cookie and the ISAKMP SA's cipher key (RFC 2409
	 * appendix B), borrowed for the call. NULL when off. */
	void (*ikev1)(void *ctx, const uint8_t icookie[8], const uint8_t *enc_key, size_t len);
};

/* Observers of SA changes (the daemon's VICI events). Every member may be
 * NULL; the engine calls them on the loop thread, never re-entered. */
struct ike_events {
	void *ctx;
	/* A rekey finished: IKE SA (ike) or CHILD SA old_serial was replaced
	 * by new_serial, which is established/installed now; the old one is
	 * deleted right after (or when the peer deletes it). */
	void (*rekeyed)(void *ctx, bool ike, uint32_t old_serial, uint32_t new_serial);
};

struct ike_env {
	const struct net_ops *net;	 /* (borrowed) */
	const struct kernel_ops *kernel; /* (borrowed) */
	struct ike_jobs jobs;
	struct ike_keylog keylog;
	struct ike_events events;
	/* A counter the engines of one process share, so that a serial names
	 * one SA of either IKE version (control requests, events); NULL: each
	 * engine counts for itself. (borrowed) */
	uint32_t *serials;
	/* The same for the kernel's reqids (NULL: the engine's own). */
	uint32_t *reqids;
	/* The config at start (borrowed: the engine takes its own reference);
	 * later configs come through the engine's set_config. */
	struct oak_config *config;
};

#endif
