/* engine.h: the IKEv2 engine, as the daemon (and the exchange tests) use it.
 *
 * One engine owns every IKEv2 SA of the process (in an sa_table) and runs on
 * the loop thread only. It never blocks and never reads a clock: callers pass
 * the monotonic time in milliseconds to every call, so the daemon drives it
 * from libevent and the tests from a fake clock. Everything it does outside
 * itself goes through the struct ike_env it was made with (ike/env.h).
 *
 * Time: after any call, ikev2_next_deadline() may have moved; the daemon
 * re-arms its one timer to it and calls ikev2_run_timers() when it fires.
 *
 * Nothing a peer sends can crash the engine or make it send more than one
 * answer per request (tests/fuzz/fuzz_ikev2_engine.c).
 */
#ifndef OAK_IKEV2_ENGINE_H
#define OAK_IKEV2_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/ident.h"
#include "crypto/proposal.h"
#include "ike/env.h"
#include "ike/ike_sa.h"
#include "lib/addr.h"
#include "lib/ts.h"

struct ikev2_engine;
struct oak_config;
struct certs_store;

/* A new engine (caller frees with ikev2_engine_free); env is copied, what it
 * points to is borrowed and must outlive the engine. env->config (may be
 * NULL) is taken as with ikev2_engine_set_config at time 0. NULL when out of
 * memory. */
struct ikev2_engine *ikev2_engine_new(const struct ike_env *env);
/* Free every SA (without sending anything or touching the kernel: call
 * ikev2_terminate_all first for a clean stop) and the engine. The job
 * executor must have finished or cancelled every job first (pool_free
 * before this). NULL is fine. */
void ikev2_engine_free(struct ikev2_engine *e);

/* Swap in a new config (borrowed; the engine takes a reference and drops
 * the old one). Existing SAs keep the config they were made with. Children
 * with start_action = start are initiated. */
void ikev2_engine_set_config(struct ikev2_engine *e, struct oak_config *cfg, uint64_t now_ms);

/* Swap in a new certificate store (borrowed; the engine takes a reference
 * and drops the old one; NULL: none). IKE SAs keep the store they were made
 * with, as they keep their config. */
void ikev2_engine_set_certs(struct ikev2_engine *e, struct certs_store *certs);
/* The wall clock for certificate validity: seconds since the Unix epoch
 * (NULL: time()). The tests pin it. */
void ikev2_engine_set_wall_clock(struct ikev2_engine *e, uint64_t (*now_s)(void *ctx), void *ctx);
/* RFC 7427 signature authentication: on by default (strongSwan's
 * charon.signature_authentication); off, no SIGNATURE_HASH_ALGORITHMS is
 * sent, so both sides use the classic methods 1, 9, 10, 11. */
void ikev2_engine_set_rfc7427(struct ikev2_engine *e, bool on);

/* A datagram for us (borrowed; the non-ESP marker already stripped) that
 * arrived at local from remote. */
void ikev2_recv(struct ikev2_engine *e, const struct ip_endpoint *local,
		const struct ip_endpoint *remote, const uint8_t *buf, size_t len, uint64_t now_ms);

/* Start IKE SA conn_name with its CHILD SA child_name (NULL: the first child
 * of the connection; a connection without children makes an IKE SA alone).
 * If an IKE SA of that connection is already established, only the CHILD SA
 * is created (CREATE_CHILD_SA). 0 with *ike_serial (may be NULL) set;
 * -ENOENT no such connection or child (logged); -EINVAL the connection has
 * no remote address; -ENOMEM. */
int ikev2_initiate(struct ikev2_engine *e, const char *conn_name, const char *child_name,
		   uint64_t now_ms, uint32_t *ike_serial);
/* Delete the IKE SA (sends a Delete when established; removes its CHILD SAs
 * from the kernel). 0 or -ENOENT. */
int ikev2_terminate(struct ikev2_engine *e, uint32_t ike_serial, uint64_t now_ms);
/* Delete one CHILD SA (INFORMATIONAL with its Delete). 0 or -ENOENT. */
int ikev2_terminate_child(struct ikev2_engine *e, uint32_t child_serial, uint64_t now_ms);
/* Rekey one CHILD SA now (CREATE_CHILD_SA with REKEY_SA, RFC 7296 1.3.3;
 * KE for PFS when its ESP/AH proposal has a group). Queued behind the IKE
 * SA's outstanding request. 0; -ENOENT no such installed CHILD SA; -EBUSY
 * a rekey or Delete of it is in flight (or it was replaced already). */
int ikev2_rekey_child(struct ikev2_engine *e, uint32_t child_serial, uint64_t now_ms);
/* Rekey the IKE SA now (RFC 7296 1.3.2; its CHILD SAs move to the new IKE
 * SA). 0; -ENOENT no such established IKE SA; -EBUSY a rekey or Delete of
 * it is in flight (or it was replaced already). */
int ikev2_rekey_ike(struct ikev2_engine *e, uint32_t ike_serial, uint64_t now_ms);
/* Reauthenticate the IKE SA now, make-before-break (RFC 7296 2.8.3): a new
 * IKE SA to the same peer with the same connection (IKE_SA_INIT, IKE_AUTH
 * without INITIAL_CONTACT) re-creates its CHILD SAs (the first in IKE_AUTH,
 * the others with CREATE_CHILD_SA), which take over their policies; then
 * the old IKE SA is deleted. If the new IKE SA fails, the old one stays
 * (until its lifetime ends). 0; -ENOENT no such established IKE SA;
 * -EBUSY a rekey, reauthentication or Delete of it is in flight; -EINVAL
 * its connection is gone from the config; -ENOMEM/-EAGAIN. */
int ikev2_reauth_ike(struct ikev2_engine *e, uint32_t ike_serial, uint64_t now_ms);
/* The kernel says the SA with our inbound (or outbound) SPI `spi` of
 * `protocol` (IPPROTO_ESP / IPPROTO_AH) reached its soft limit (hard =
 * false: rekey the CHILD SA) or its hard limit (hard = true: the CHILD SA is
 * deleted and a Delete sent). Unknown SPIs are ignored with a debug line. */
void ikev2_kernel_expire(struct ikev2_engine *e, uint8_t protocol, uint32_t spi, bool hard,
			 uint64_t now_ms);

/* SIGTERM: a Delete for every IKE SA (best effort, no waiting for answers),
 * every CHILD SA out of the kernel, every SA gone. */
void ikev2_terminate_all(struct ikev2_engine *e, uint64_t now_ms);

/* start_action = trap (acquire.c). Make the kernel's trap policies those of
 * cfg (borrowed; NULL: none): for each IKEv2 child with start_action = trap,
 * out, in and (tunnel mode) fwd policies with its template and no SA, under
 * a reqid its CHILD SAs will use; traps of children gone from cfg or
 * changed are removed. ikev2_engine_set_config calls it. The number of
 * children trapped, or the first -errno (logged; the others are tried). */
int ikev2_traps_install(struct ikev2_engine *e, const struct oak_config *cfg, uint64_t now_ms);
/* A kernel ACQUIRE for reqid with the packet's addresses, protocol and ports
 * (borrowed): initiate that trap's child with them as the first TSi/TSr
 * (RFC 7296 2.9). 0; -ENOENT no trap has reqid; -EALREADY the child is
 * being negotiated or up; else ikev2_initiate's error. */
int ikev2_acquire(struct ikev2_engine *e, uint32_t reqid, const struct ts *src,
		  const struct ts *dst, uint64_t now_ms);

/* The earliest time ikev2_run_timers has something to do, or UINT64_MAX. */
uint64_t ikev2_next_deadline(const struct ikev2_engine *e);
/* Run every timer due at now_ms (retransmissions, timeouts, cookie secret). */
void ikev2_run_timers(struct ikev2_engine *e, uint64_t now_ms);

/* Read-only views for status output (oakctl, VICI list-sas), valid during
 * the callback only. */
struct ikev2_child_view {
	uint32_t serial;
	const char *name;
	enum child_sa_state state;
	uint8_t protocol; /* PROPOSAL_PROTO_ESP / _AH */
	enum child_mode mode;
	uint32_t spi_in, spi_out;
	uint32_t reqid;
	const struct proposal *proposal;
	const struct ts *local_ts, *remote_ts;
	size_t nlocal_ts, nremote_ts;
	uint64_t established_ms;
};

struct ikev2_sa_view {
	uint32_t serial;
	const char *conn_name;
	enum ike_sa_state state;
	bool initiator;
	uint8_t spi_i[8], spi_r[8];
	struct ip_endpoint local, remote;
	const struct ident *local_id, *remote_id;
	const struct proposal *proposal; /* NULL before IKE_SA_INIT completed */
	bool nat_local, nat_remote;
	uint64_t established_ms;	    /* 0 until established */
	uint64_t rekey_at_ms, reauth_at_ms; /* when the timers fire; 0: not set */
	const struct ikev2_child_view *children;
	size_t nchildren;
};

/* Call fn once per IKE SA. fn must not call back into the engine. */
void ikev2_sa_foreach(const struct ikev2_engine *e,
		      void (*fn)(const struct ikev2_sa_view *v, void *ctx), void *ctx);
/* The number of IKE SAs, and of half-open ones. */
size_t ikev2_sa_count(const struct ikev2_engine *e);
unsigned ikev2_half_open_count(const struct ikev2_engine *e);

#endif
