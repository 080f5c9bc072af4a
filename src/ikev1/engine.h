/* engine.h: the IKEv1 engine (RFC 2409 Main, Aggressive, Quick Mode and
 * Informational exchanges over RFC 2408 ISAKMP), as the daemon and the
 * exchange tests use it.
 *
 * The shape is the IKEv2 engine's (ikev2/engine.h): one engine owns every
 * IKEv1 SA of the process in its own sa_table (ISAKMP cookies are the SPIs),
 * runs on the loop thread only, never blocks and never reads a clock: every
 * call takes the monotonic time in milliseconds, and after any call
 * ikev1_next_deadline() may have moved. Everything outside itself goes
 * through the struct ike_env it was made with (ike/env.h): datagrams,
 * kernel SAs and policies, DH and signature jobs, the key log.
 *
 * A connection is IKEv1 when its `version` is 1; a responder also answers
 * IKEv1 for connections with version 0 (either). Aggressive Mode is used by
 * an initiator and accepted by a responder only for connections with
 * `aggressive = yes`: in Aggressive Mode with pre-shared keys the responder's
 * HASH_R goes out in clear before the initiator is authenticated, which
 * allows an offline guessing attack on the key (RFC 2409 5.4 notes the
 * identity exposure; the key exposure is well known), so oak refuses it
 * otherwise and logs why.
 *
 * The ISAKMP SA is a struct ike_sa (ike/ike_sa.h) with the common states
 * read as: NEW (nothing sent), INIT_I (initiator, Main Mode messages 1-4 or
 * Aggressive message 1 out), INIT_R (responder, before the initiator is
 * authenticated: half-open), AUTH_I (initiator, Main Mode message 5 out),
 * ESTABLISHED, DELETING, DEAD. Its IPsec SAs are struct child_sa in its list.
 *
 * Nothing a peer sends can crash the engine or make it answer one message
 * with more than one message (tests/fuzz/fuzz_ikev1_engine.c).
 */
#ifndef OAK_IKEV1_ENGINE_H
#define OAK_IKEV1_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike/env.h"
#include "ike/ike_sa.h"
#include "lib/addr.h"
#include "lib/ts.h"

struct ikev1_engine;
struct oak_config;
struct certs_store;

/* A new engine (caller frees with ikev1_engine_free); env is copied, what it
 * points to is borrowed and must outlive the engine. env->config (may be
 * NULL) is taken as with ikev1_engine_set_config at time 0. NULL when out of
 * memory. */
struct ikev1_engine *ikev1_engine_new(const struct ike_env *env);
/* Free every SA (nothing sent, nothing removed from the kernel: call
 * ikev1_terminate_all first for a clean stop) and the engine. Jobs must be
 * finished or cancelled first. NULL is fine. */
void ikev1_engine_free(struct ikev1_engine *e);

/* Swap in a new config (borrowed; a reference is taken, the old one
 * dropped). Existing SAs keep theirs. IKEv1 connections whose children have
 * start_action = start are initiated; = trap get their trap policies. */
void ikev1_engine_set_config(struct ikev1_engine *e, struct oak_config *cfg, uint64_t now_ms);
/* Certificate store (borrowed, referenced; NULL: none). */
void ikev1_engine_set_certs(struct ikev1_engine *e, struct certs_store *certs);
/* Wall clock for certificate validity (NULL: time()). */
void ikev1_engine_set_wall_clock(struct ikev1_engine *e, uint64_t (*now_s)(void *ctx), void *ctx);

/* A datagram with ISAKMP major version 1 (borrowed; the non-ESP marker
 * already stripped) that arrived at local from remote. */
void ikev1_recv(struct ikev1_engine *e, const struct ip_endpoint *local,
		const struct ip_endpoint *remote, const uint8_t *buf, size_t len, uint64_t now_ms);

/* Start the connection conn_name (version 1) with child child_name (NULL:
 * the first child; a connection without children makes the ISAKMP SA
 * alone). With an ISAKMP SA of that connection established (and neither
 * master-key PFS nor the Quick Mode limit in the way) only a Quick Mode
 * runs. 0 with *ike_serial (may be NULL) set to the ISAKMP SA's serial;
 * -ENOENT no such connection or child, or not an IKEv1 connection (logged);
 * -EINVAL no remote address; -ENOMEM. */
int ikev1_initiate(struct ikev1_engine *e, const char *conn_name, const char *child_name,
		   uint64_t now_ms, uint32_t *ike_serial);
/* A kernel ACQUIRE for reqid (a packet src -> dst, borrowed, hit a trap of
 * this engine: dpd_action = trap or start_action = trap): Main Mode and
 * Quick Mode for the trap's child. 0; -ENOENT no IKEv1 trap has that reqid;
 * -EALREADY the child is up or being negotiated; else as ikev1_initiate. */
int ikev1_acquire(struct ikev1_engine *e, uint32_t reqid, const struct ts *src,
		  const struct ts *dst, uint64_t now_ms);
/* Delete the ISAKMP SA and its IPsec SAs (Delete notifications for each,
 * kernel entries removed). 0 or -ENOENT. */
int ikev1_terminate(struct ikev1_engine *e, uint32_t ike_serial, uint64_t now_ms);
/* Delete one IPsec SA pair (Delete notification, kernel entries). 0 or -ENOENT. */
int ikev1_terminate_child(struct ikev1_engine *e, uint32_t child_serial, uint64_t now_ms);
/* SIGTERM: Deletes for everything (best effort), kernel entries removed,
 * every SA gone. */
void ikev1_terminate_all(struct ikev1_engine *e, uint64_t now_ms);

/* The earliest time ikev1_run_timers has something to do, or UINT64_MAX. */
uint64_t ikev1_next_deadline(const struct ikev1_engine *e);
/* Run what is due at now_ms (retransmissions, timeouts, lifetimes). */
void ikev1_run_timers(struct ikev1_engine *e, uint64_t now_ms);

/* Read-only visit of every ISAKMP SA (valid during the callback; its
 * children are in sa->children). fn must not call back into the engine. */
void ikev1_sa_foreach(const struct ikev1_engine *e, void (*fn)(const struct ike_sa *sa, void *ctx),
		      void *ctx);
size_t ikev1_sa_count(const struct ikev1_engine *e);
unsigned ikev1_half_open_count(const struct ikev1_engine *e);

#endif
