/* harness.h: two IKEv2 engines in one process (strongSwan's exchange test
 * idea): a fake network (a queue of datagrams the test steps by hand, able
 * to drop, duplicate and reorder), a fake kernel per peer (records SAs and
 * policies; predictable SPIs), a fake clock, a queue of crypto jobs run when
 * the test steps, and a deterministic RNG.
 *
 * Peer 0 is "moon" 192.0.2.1, peer 1 is "sun" 192.0.2.2; each test runs with
 * either as initiator (the `ini` index), the other is `res`.
 *
 * NAT: w->nat_shift[i] puts peer i behind a NAPT that maps its source port
 * p to p + shift (500 -> 1500, 4500 -> 5500) and back on the way in; the
 * queue holds datagrams as their sender sent them, the receiver sees them
 * translated. The NAT_D hashes then tell both sides (RFC 7296 2.23).
 */
#ifndef OAK_TESTS_IKEV2_HARNESS_H
#define OAK_TESTS_IKEV2_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/model.h"
#include "ike/certs.h"
#include "ike/env.h"
#include "ikev2/engine.h"
#include "wire/ikev2.h"

#define H_MAX_DGRAMS 64
#define H_MAX_SAS    32
#define H_MAX_POLS   128
#define H_MAX_JOBS   32
#define H_MAX_KEYLOG 32
#define H_MAX_EVENTS 32
#define H_NAT_T_PORT 4500 /* daemon.port_nat_t of both peers */

struct h_dgram {
	struct ip_endpoint from, to; /* as the sender gave them to net_ops */
	bool marker;		     /* the net layer prepends the non-ESP marker: a port is 4500 */
	uint8_t *buf;
	size_t len;
};

struct h_ksa {
	uint8_t proto;
	uint32_t spi;
	struct ip_addr src, dst;
	bool inbound;
	enum kernel_mode mode;
	uint32_t reqid;
	char encr[40], integ[40];
	uint8_t ekey[128], ikey[128];
	size_t ekey_len, ikey_len;
	unsigned icv_bits, trunc_bits;
	uint16_t encap_sport, encap_dport;
};

struct h_kernel {
	uint32_t next_spi;
	struct h_ksa sas[H_MAX_SAS];
	size_t nsas;
	uint32_t larval[H_MAX_SAS]; /* allocated SPIs not yet added */
	size_t nlarval;
	struct kernel_policy pols[H_MAX_POLS]; /* names cleared */
	size_t npols;
	unsigned errors;     /* deletes of things that were not there */
	uint64_t packets_in; /* query_sa's count for every inbound SA (ESP from the peer) */
};

struct h_keylog {
	uint8_t spi_i[8], spi_r[8];
	uint8_t sk_ei[80], sk_er[80], sk_ai[80], sk_ar[80];
	size_t e_len, a_len;
	uint16_t encr, integ;
};

struct h_world;

struct h_peer {
	struct h_world *w;
	int idx;
	const char *name;
	struct ip_endpoint ep;
	struct net_ops net;
	struct kernel_ops kops;
	struct h_kernel k;
	struct ikev2_engine *e;
	struct oak_config *cfg;
	struct certs_store *certs; /* from cfg: daemon dirs are tests/vectors/certs/ */
	struct h_keylog keylog[H_MAX_KEYLOG];
	size_t nkeylog;
	struct {
		bool ike;
		uint32_t old_serial, new_serial;
	} rekeyed[H_MAX_EVENTS]; /* env.events.rekeyed calls, in order */
	size_t nrekeyed;
	unsigned sent;	       /* datagrams sent */
	unsigned sent_nat_t;   /* of those, with the non-ESP marker (a port is 4500) */
	unsigned keepalives;   /* NAT-keepalives sent (net_ops.send_keepalive) */
	uint64_t keepalive_at; /* the clock at the last one */
};

struct h_job {
	void (*work)(void *arg);
	void (*done)(void *arg, int status);
	void *arg;
};

struct h_world {
	struct h_peer p[2];
	struct h_dgram q[H_MAX_DGRAMS];
	size_t nq;
	struct h_job jobs[H_MAX_JOBS];
	size_t njobs;
	uint64_t now;
	uint64_t rng;
	uint64_t wall;	       /* seconds since the epoch, for certificates (2030-01-01) */
	uint16_t nat_shift[2]; /* peer i behind a NAPT shifting its ports; 0: none */
};

/* What a peer's swanctl.conf says (NULL fields: the defaults below). The
 * TS are the peer's own view (local = its side). */
struct h_opts {
	const char *ike;       /* "aes128-sha256-modp2048" */
	const char *esp;       /* "aes128-sha256" */
	const char *mode;      /* "tunnel" */
	const char *local_ts;  /* per peer default: 10.1.0.0/16 (moon), 10.2.0.0/16 (sun) */
	const char *remote_ts; /* the other's */
	const char *psk;       /* "s3cret-pre-shared-key" */
	const char *remote_id; /* the other's FQDN */
	const char *children;  /* extra child sections, verbatim */
	const char *daemon;    /* daemon section body, verbatim */
	/* daemon.fragment_size: "65535" by default, so messages stay whole
	 * (h_reseal edits whole messages); "576" makes RFC 7383 fragments */
	const char *fragment_size;
	const char *auth;			/* "psk", for local and remote */
	const char *local_auth, *remote_auth;	/* override auth for one side */
	const char *local_id;			/* the own FQDN */
	const char *extra_local, *extra_remote; /* lines added to local { } / remote { } */
	const char *secrets;			/* extra secrets body */
	const char *authorities;
	const char *conn_extra;	 /* lines added to the connection (encap = yes) */
	const char *child_extra; /* lines added to child net { } (rekey_time = 60s) */
};

/* Set up both peers with their options (a NULL opts: defaults). */
void h_init(struct h_world *w, const struct h_opts *moon, const struct h_opts *sun);
void h_free(struct h_world *w);
/* Build a config from text; the test fails on any error. (caller unrefs) */
struct oak_config *h_config_text(const char *text);

/* Run queued jobs, then deliver the first datagram. false when neither
 * existed. */
bool h_step(struct h_world *w);
/* Step until nothing is left (at most `limit` steps; the test fails beyond). */
void h_run(struct h_world *w);
/* Run every queued crypto job. */
void h_jobs(struct h_world *w);
/* Take datagram i out of the queue (caller frees the returned buffer). */
uint8_t *h_take(struct h_world *w, size_t i, size_t *len);
void h_drop(struct h_world *w, size_t i);
void h_dup(struct h_world *w, size_t i);
/* Advance the clock to the earliest deadline of either engine and run timers. */
bool h_advance(struct h_world *w);
/* Decrypt queued datagram i (an SK message) with its sender's keys, let
 * edit() change each inner payload (its fields; spans may point to the
 * test's buffers), then encode and seal it again: a test plays a peer that
 * lies (a tampered AUTH, an ID its certificate lacks). */
void h_reseal(struct h_world *w, size_t i, void (*edit)(struct ikev2_payload *p, void *ctx),
	      void *ctx);
/* Deliver raw bytes to peer `to` as if sent by the other. */
void h_deliver(struct h_world *w, int to, const uint8_t *buf, size_t len);

/* The first IKE SA view of a peer (copied), false if none. */
struct h_view {
	uint32_t serial;
	enum ike_sa_state state;
	bool initiator;
	uint8_t spi_i[8], spi_r[8];
	size_t nchildren;
	struct ikev2_child_view child[8];
	struct ts lts[8][4], rts[8][4];
	char prop[8][PROPOSAL_STRLEN];
	char conn[64];
};
bool h_view(struct h_peer *p, struct h_view *v);
size_t h_sa_count(struct h_peer *p);

/* The kernel SA of peer p with this SPI, or NULL. */
const struct h_ksa *h_ksa(const struct h_peer *p, uint32_t spi);
/* Assert both kernels hold matching pairs for every installed CHILD SA:
 * our inbound = their outbound (SPI, keys, algorithms). Returns the count
 * of pairs. */
size_t h_assert_child_pairs(struct h_world *w);
/* Exchange type of queued datagram i (from its header), 0 if too short. */
uint8_t h_exchange(const struct h_world *w, size_t i);
bool h_is_response(const struct h_world *w, size_t i);

#endif
