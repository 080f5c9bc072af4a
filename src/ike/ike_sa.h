/* ike_sa.h: the IKE SA and CHILD SA objects, their states, and the one
 * function per kind through which every state change goes.
 *
 * struct ike_sa holds what any IKE version knows about an IKE SA (serial,
 * role, SPIs, endpoints, config, identities, chosen proposal, CHILD SAs). An
 * engine embeds it first in its own struct (struct ikev2_sa in ikev2/) and
 * reaches its fields through container_of. The SA table (sa_table.h) is the
 * one owner of every SA: timers, jobs and control requests name an SA by
 * serial number and look it up when they fire (docs/ARCHITECTURE.md, "State").
 *
 * ike_sa_set_state() and child_sa_set_state() are the choke points (openiked's
 * sa_state): they refuse an illegal change with an error log, log
 * "OLD -> NEW", and keep the table's per-state and half-open counters right.
 */
#ifndef OAK_IKE_IKE_SA_H
#define OAK_IKE_IKE_SA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/model.h"
#include "crypto/ident.h"
#include "crypto/proposal.h"
#include "lib/addr.h"
#include "lib/htab.h"
#include "lib/ts.h"

#define IKE_SA_SPI_LEN 8

/* IKE SA states. The names say what the SA waits for. */
enum ike_sa_state {
	/* Created and in the table; nothing sent yet. An initiator waits for its
	 * KE job; a responder for the DH job of the IKE_SA_INIT it answers
	 * (counted as half-open). */
	IKE_SA_STATE_NEW = 0,
	/* Initiator: IKE_SA_INIT request sent, waiting for the response (or a
	 * COOKIE / INVALID_KE_PAYLOAD answer that makes it send again). */
	IKE_SA_STATE_INIT_I,
	/* Responder: IKE_SA_INIT answered, keys derived, waiting for the
	 * IKE_AUTH request. Half-open: counts against the cookie threshold. */
	IKE_SA_STATE_INIT_R,
	/* Initiator: IKE_AUTH request sent, waiting for the response. */
	IKE_SA_STATE_AUTH_I,
	/* Both peers authenticated: CREATE_CHILD_SA and INFORMATIONAL may run. */
	IKE_SA_STATE_ESTABLISHED,
	/* We sent a Delete of the IKE SA; waiting for the (empty) answer or for
	 * the retransmissions to run out. */
	IKE_SA_STATE_DELETING,
	/* Removed from the table; freed as soon as the current call unwinds.
	 * Nothing leads out of it. */
	IKE_SA_STATE_DEAD,
	IKE_SA_STATE_COUNT
};

/* CHILD SA states. */
enum child_sa_state {
	/* Being negotiated (IKE_AUTH or CREATE_CHILD_SA in flight); an inbound
	 * SPI may be reserved in the kernel, no SA installed yet. */
	CHILD_SA_STATE_CREATING = 0,
	/* Inbound and outbound SAs and the policies are in the kernel. */
	CHILD_SA_STATE_INSTALLED,
	/* We sent a Delete for it and wait for the peer's Delete in answer. */
	CHILD_SA_STATE_DELETING,
	/* Removed from the kernel and from its IKE SA; freed right after. */
	CHILD_SA_STATE_DEAD,
	CHILD_SA_STATE_COUNT
};

struct sa_table;

struct child_sa {
	struct hnode by_serial; /* sa_table linkage */
	struct hnode by_spi_in; /* sa_table linkage, once spi_in is known */
	struct child_sa *next;	/* in the IKE SA's list */
	struct sa_table *table; /* set while in the table */
	uint32_t serial;	/* unique among IKE and CHILD SAs */
	uint32_t ike_serial;	/* the IKE SA it belongs to */
	enum child_sa_state state;
	const struct child_cfg *cfg; /* (borrowed from the IKE SA's config) */
	uint8_t protocol;	     /* PROPOSAL_PROTO_ESP or _AH */
	enum child_mode mode;
	uint32_t spi_in;  /* ours: the peer sends with it; 0 until allocated */
	uint32_t spi_out; /* the peer's: we send with it; 0 until known */
	uint32_t reqid;
	bool initiator;				    /* we started the exchange that creates it */
	bool installed_in, installed_out, policies; /* what is in the kernel */
	struct proposal proposal;		    /* the chosen one (num kept) */
	struct ts local_ts[MODEL_MAX_TS];
	size_t nlocal_ts;
	struct ts remote_ts[MODEL_MAX_TS];
	size_t nremote_ts;
	uint64_t established_ms; /* mono time, 0 until installed */
	/* rekeying (RFC 7296 1.3.3, 2.8): */
	uint32_t rekey_of;	  /* made by a rekey: the CHILD SA it replaces (0: none) */
	uint32_t rekeyed_by;	  /* replaced by this CHILD SA, waits for its Delete (0: not) */
	bool rekeying;		  /* our rekey of it is in flight */
	uint64_t seen_packets_in; /* the kernel's inbound count at DPD's last look */
};

struct ike_sa {
	struct hnode by_spi;	/* sa_table: our own SPI */
	struct hnode by_init;	/* sa_table: responder only, peer's SPIi + address */
	struct hnode by_serial; /* sa_table */
	struct sa_table *table; /* set while in the table */
	uint32_t serial;
	uint8_t version; /* 1 or 2 */
	bool initiator;	 /* original initiator of this IKE SA (RFC 7296 2.2) */
	bool in_init;	 /* in by_init */
	enum ike_sa_state state;
	uint8_t spi_i[IKE_SA_SPI_LEN], spi_r[IKE_SA_SPI_LEN];
	struct ip_endpoint local, remote; /* current endpoints */
	struct oak_config *config;	  /* a reference (oak_config_ref), or NULL */
	const struct conn_cfg *conn;	  /* (borrowed from config) */
	struct ident local_id, remote_id; /* remote_id: as the peer sent it */
	bool have_proposal;
	struct proposal proposal;   /* the chosen IKE proposal */
	bool nat_local, nat_remote; /* NAT detected in front of us / the peer */
	uint64_t created_ms, established_ms;
	struct child_sa *children; /* owned list */
};

/* "NEW", "INIT_I" ... (static). */
const char *ike_sa_state_name(enum ike_sa_state s);
const char *child_sa_state_name(enum child_sa_state s);

/* Fill a zeroed or embedded SA: state NEW. The SA is not in any table yet. */
void ike_sa_init(struct ike_sa *sa, uint8_t version, bool initiator, uint64_t now_ms);
/* Whether the SA counts as half-open (a responder not yet authenticated,
 * RFC 7296 2.6). */
bool ike_sa_is_half_open(const struct ike_sa *sa);
/* The choke point: move sa to `to` if that is legal, log "IKE SA #n
 * 192.0.2.1: OLD -> NEW", update the table's counters. 0, or -EINVAL (logged
 * as an error, state unchanged) when the change is not legal. */
int ike_sa_set_state(struct ike_sa *sa, enum ike_sa_state to);
/* Whether OLD -> NEW is a legal change (for tests and assertions). */
bool ike_sa_state_legal(enum ike_sa_state from, enum ike_sa_state to);
/* Take a reference to cfg (borrowed) and keep conn (borrowed from cfg);
 * drops the previous reference. */
void ike_sa_set_config(struct ike_sa *sa, struct oak_config *cfg, const struct conn_cfg *conn);
/* Drop the config reference and free every CHILD SA (they must be out of
 * the kernel and the table already). The SA itself is its owner's. */
void ike_sa_cleanup(struct ike_sa *sa);
/* "192.0.2.1" for log lines, into buf of IP_ADDR_STRLEN. */
const char *ike_sa_peer(const struct ike_sa *sa, char *buf, size_t len);

/* A new CHILD SA of sa (caller links it with ike_sa_add_child), state
 * CREATING; NULL when out of memory. (caller frees with child_sa_free) */
struct child_sa *child_sa_new(const struct ike_sa *sa, uint32_t serial,
			      const struct child_cfg *cfg);
void child_sa_free(struct child_sa *c);
/* Link c (adopted) into sa's list / unlink it (c is the caller's again). */
void ike_sa_add_child(struct ike_sa *sa, struct child_sa *c);
void ike_sa_remove_child(struct ike_sa *sa, struct child_sa *c);
/* A CHILD SA of sa by the SPI the peer sends with (ours) or we send with
 * (the peer's), and protocol; NULL if none. (borrowed) */
struct child_sa *ike_sa_child_by_spi_in(const struct ike_sa *sa, uint8_t protocol, uint32_t spi);
struct child_sa *ike_sa_child_by_spi_out(const struct ike_sa *sa, uint8_t protocol, uint32_t spi);
size_t ike_sa_child_count(const struct ike_sa *sa);
/* Who hears of every state change (the daemon's VICI events), so that it
 * costs O(1) per change instead of a walk over every SA. Called from
 * ike_sa_set_state / child_sa_set_state after the change, on the loop
 * thread; the SAs are borrowed for the call (a DEAD one is freed soon after,
 * a CHILD SA going DEAD is still linked to its IKE SA). An observer must not
 * change SA state. */
struct sa_observer {
	void *ctx;
	void (*ike_state)(void *ctx, const struct ike_sa *sa, enum ike_sa_state from);
	/* ike: the IKE SA c belongs to (NULL when c is in no table) */
	void (*child_state)(void *ctx, const struct ike_sa *ike, const struct child_sa *c,
			    enum child_sa_state from);
};
/* Install the process's one observer (copied; NULL removes it). */
void sa_observer_set(const struct sa_observer *obs);

/* The choke point for CHILD SAs, like ike_sa_set_state. */
int child_sa_set_state(struct child_sa *c, enum child_sa_state to);
bool child_sa_state_legal(enum child_sa_state from, enum child_sa_state to);

#endif
