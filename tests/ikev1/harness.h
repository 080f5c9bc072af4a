/* harness.h: two IKEv1 engines in one process, as tests/ikev2/harness.h
 * does for IKEv2 (strongSwan's exchange test idea): a fake network (a queue
 * of datagrams the test steps by hand, able to drop, duplicate, change and
 * reorder them), a fake kernel per peer (records SAs and policies;
 * predictable SPIs), a fake clock, a queue of crypto jobs run when the test
 * steps, and a deterministic RNG (rand_set_source).
 *
 * The engine-independent fakes (RNG, datagram queue, recording kernel, job
 * queue) are a copy of tests/ikev2/harness.c's, so the two suites can change
 * apart.
 *
 * Peer 0 is "moon" 192.0.2.1, peer 1 is "sun" 192.0.2.2; each test runs with
 * either as initiator (the `ini` index), the other is `res`.
 *
 * NAT: with w->nat_pub[i] set, peer i is behind a NAPT: its datagrams reach
 * the other from nat_pub[i] with the source port + nat_shift[i] (500 ->
 * 1500, 4500 -> 5500), and datagrams to nat_pub[i] reach peer i at its own
 * address with the port shifted back. The queue holds datagrams as their
 * sender sent them.
 */
#ifndef OAK_TESTS_IKEV1_HARNESS_H
#define OAK_TESTS_IKEV1_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/model.h"
#include "ike/certs.h"
#include "ike/env.h"
#include "ikev1/engine.h"

#define H_MAX_DGRAMS 64
#define H_MAX_SAS    64
#define H_MAX_POLS   128
#define H_MAX_JOBS   32
#define H_MAX_KEYLOG 16
#define H_MAX_VIEWS  8

struct h_dgram {
	struct ip_endpoint from, to; /* as the sender gave them to net_ops */
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
	uint64_t life_time, life_bytes;	   /* hard limits as handed to the kernel */
	uint16_t encap_sport, encap_dport; /* UDP encapsulation, 0: none */
	struct ip_addr encap_oa;	   /* NAT-OA handed to the kernel, family 0: none */
};

struct h_kernel {
	uint32_t next_spi;
	struct h_ksa sas[H_MAX_SAS];
	size_t nsas;
	uint32_t larval[H_MAX_SAS]; /* allocated SPIs not yet added */
	size_t nlarval;
	struct kernel_policy pols[H_MAX_POLS]; /* names cleared */
	size_t npols;
	unsigned pols_replaced;	 /* add_policy of an equal policy (XFRM: UPDPOLICY) */
	unsigned added, deleted; /* add_sa / del_sa calls that succeeded */
	unsigned errors;	 /* deletes of things that were not there */
	uint64_t packets_in;	 /* query_sa's count for every inbound SA (ESP from the peer) */
};

/* One row of the IKEv1 key log (Wireshark's ikev1_decryption_table). */
struct h_keylog {
	uint8_t icookie[8];
	uint8_t enc_key[64];
	size_t len;
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
	struct ikev1_engine *e;
	struct oak_config *cfg;
	struct certs_store *certs;
	struct h_keylog keylog[H_MAX_KEYLOG];
	size_t nkeylog;
	unsigned sent; /* datagrams sent */
};

struct h_job {
	int owner; /* the peer that submitted it */
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
	unsigned jobs_run; /* crypto jobs run so far (DH, signatures) */
	unsigned raced;	   /* h_run_eager: datagrams delivered to a peer whose job was pending */
	uint64_t now;
	uint64_t rng;
	uint64_t wall;		   /* seconds since the epoch, for certificates (2030-01-01) */
	struct ip_addr nat_pub[2]; /* peer i behind a NAT with this public address */
	uint16_t nat_shift[2];	   /* ... mapping its ports p -> p + shift */
};

/* What a peer's swanctl.conf says (NULL fields: the defaults below). */
struct h_opts {
	const char *version;   /* "1" */
	const char *ike;       /* "aes128-sha256-modp2048" */
	const char *esp;       /* "aes128-sha256" (a DH group: Quick Mode PFS) */
	const char *mode;      /* "tunnel" */
	const char *local_ts;  /* moon 10.1.0.0/16, sun 10.2.0.0/16 */
	const char *remote_ts; /* the other's */
	const char *psk;       /* "s3cret-pre-shared-key" */
	const char *auth;      /* "psk" for local and remote */
	const char *local_auth, *remote_auth;
	const char *local_id, *remote_id; /* the FQDNs */
	const char *extra_local, *extra_remote;
	const char *conn_extra;	  /* lines in the connection: aggressive = yes ... */
	const char *child_extra;  /* lines in the child "net": dpd_action = restart ... */
	const char *children;	  /* extra child sections, verbatim */
	const char *daemon;	  /* daemon section body, verbatim */
	const char *secrets;	  /* extra secrets body */
	const char *authorities;  /* top-level sections after secrets, verbatim */
	const char *remote_addrs; /* the other's address */
};

void h_init(struct h_world *w, const struct h_opts *moon, const struct h_opts *sun);
/* Peer i reloads: a new config from o (NULL: the defaults), as SIGHUP does. */
void h_reload(struct h_world *w, int i, const struct h_opts *o);
void h_free(struct h_world *w);
/* Peer i restarts without a word to the other (a crash): its engine, kernel
 * and key log are new, its config the same. */
void h_restart(struct h_world *w, int i);
/* A config from text; the test fails on any error. (caller unrefs) */
struct oak_config *h_config_text(const char *text);

/* Run queued jobs, else deliver the first datagram; false when neither. */
bool h_step(struct h_world *w);
/* Step until nothing is left (the test fails after 1000 steps). */
void h_run(struct h_world *w);
void h_jobs(struct h_world *w);
/* Take datagram i out of the queue (caller frees the returned buffer). */
uint8_t *h_take(struct h_world *w, size_t i, size_t *len);
void h_drop(struct h_world *w, size_t i);
void h_dup(struct h_world *w, size_t i);
/* Deliver only the first datagram (after running the jobs); false if none. */
bool h_step_one(struct h_world *w);
/* As h_run, but the network is faster than the crypto: every queued
 * datagram is delivered before any job runs (a job runs only when no
 * datagram is queued, the newest first, as when the other peer's older job
 * still runs on a busy worker). No timer runs. */
void h_run_eager(struct h_world *w);
/* Move the clock to the earliest deadline of either engine and run their
 * timers; false when neither has one. */
bool h_advance(struct h_world *w);
/* Move the clock by ms and run both engines' timers. */
void h_sleep(struct h_world *w, uint64_t ms);
/* Deliver raw bytes to peer `to` as if the other sent them. */
void h_deliver(struct h_world *w, int to, const uint8_t *buf, size_t len);

/* The header of queued datagram i: exchange type, flags, message ID. */
uint8_t h_exchange(const struct h_world *w, size_t i);
bool h_encrypted(const struct h_world *w, size_t i);
uint32_t h_msg_id(const struct h_world *w, size_t i);
/* Index of the peer that sent queued datagram i. */
int h_sender(const struct h_world *w, size_t i);

/* A copy of one ISAKMP SA and its IPsec SAs as ikev1_sa_foreach shows them. */
struct h_child {
	uint32_t serial;
	enum child_sa_state state;
	uint32_t spi_in, spi_out;
	enum child_mode mode;
	bool initiator;
	char prop[PROPOSAL_STRLEN];
};

struct h_view {
	uint32_t serial;
	enum ike_sa_state state;
	uint8_t version;
	bool initiator;
	uint8_t spi_i[8], spi_r[8];
	char conn[64];
	char prop[PROPOSAL_STRLEN]; /* the ISAKMP SA's proposal, "" before chosen */
	char local_id[128], remote_id[128];
	size_t nchildren;
	struct h_child child[8];
};

/* Up to max views of peer p's ISAKMP SAs, in table order; their count. */
size_t h_views(struct h_peer *p, struct h_view *v, size_t max);
/* The first one, false if none. */
bool h_view(struct h_peer *p, struct h_view *v);
/* ISAKMP SAs of p in state s. */
size_t h_count_state(struct h_peer *p, enum ike_sa_state s);
/* Installed IPsec SA pairs of p over all its ISAKMP SAs. */
size_t h_installed_children(struct h_peer *p);

/* The kernel SA of peer p with this SPI, or NULL. */
const struct h_ksa *h_ksa(const struct h_peer *p, uint32_t spi);
/* Assert both kernels hold matching pairs for every installed SA: our
 * inbound = their outbound (SPI, keys, algorithms, addresses, mode).
 * Returns the count of pairs. */
size_t h_assert_child_pairs(struct h_world *w);

/* Change a clear datagram i in place: within the first payload of type
 * `type` (ISAKMP_NP_*), replace the first occurrence of the bytes `from`
 * with `to` (same length). The test fails if the pattern is not there. */
void h_patch_payload(struct h_world *w, size_t i, uint8_t type, const uint8_t *from,
		     const uint8_t *to, size_t n);

#endif
