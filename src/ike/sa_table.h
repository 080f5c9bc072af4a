/* sa_table.h: the owner of every IKE SA and CHILD SA, with O(1) lookups.
 *
 * Tables (lib/htab.h, SipHash-keyed so a peer cannot aim at one bucket):
 *   by_spi     our own IKE SPI (SPIi when we initiated, SPIr when we
 *              responded). Every message but an IKE_SA_INIT request carries
 *              it, so one lookup finds the SA; the caller then compares the
 *              peer's SPI (sa_table_find).
 *   by_init    responder SAs by the peer's SPIi and address, so that a
 *              retransmitted IKE_SA_INIT request (SPIr still zero) finds the
 *              SA it created instead of making another (RFC 7296 2.1).
 *   by_serial  IKE SAs by serial number: how timers, jobs and control
 *              requests find an SA (they never hold pointers).
 *   children   CHILD SAs by serial and by inbound SPI (kernel events).
 * The table also counts SAs per state and the half-open ones (the cookie
 * threshold of RFC 7296 2.6). IKEv1 shares it: its cookies are the SPIs.
 *
 * The table never frees SAs: the engine that made an SA removes it and
 * frees it.
 */
#ifndef OAK_IKE_SA_TABLE_H
#define OAK_IKE_SA_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike/ike_sa.h"
#include "lib/htab.h"

struct sa_table {
	struct htab by_spi, by_init, by_serial;
	struct htab child_by_serial, child_by_spi_in;
	uint32_t next_serial;
	uint32_t *shared_serial; /* counts instead of next_serial when set (ike_env.serials) */
	unsigned half_open;
	unsigned count[IKE_SA_STATE_COUNT];
};

/* 0 or -ENOMEM. */
int sa_table_init(struct sa_table *t);
/* Free the table's own memory; SAs still in it are the caller's. */
void sa_table_free(struct sa_table *t);
/* A fresh serial number (never 0, unique among IKE and CHILD SAs). */
uint32_t sa_table_new_serial(struct sa_table *t);

/* Insert sa (borrowed: it stays alive until removed) under its serial, its
 * own SPI (spi_i if initiator, else spi_r) and, for a responder, by_init. */
void sa_table_add(struct sa_table *t, struct ike_sa *sa);
/* Remove sa from every index (its CHILD SAs too). */
void sa_table_remove(struct sa_table *t, struct ike_sa *sa);
/* Take a responder SA out of by_init (once IKE_AUTH arrived: a late
 * IKE_SA_INIT with the same SPIi is then a new SA). */
void sa_table_forget_init(struct sa_table *t, struct ike_sa *sa);

/* Whether an SPI is taken as one of our own. */
bool sa_table_spi_in_use(const struct sa_table *t, const uint8_t spi[IKE_SA_SPI_LEN]);
/* The SA of a message by its SPIs: ours is spi_r when the message came from
 * the original initiator (its I flag set), else spi_i. The peer's SPI must
 * match too unless it is still unknown to us (zero) or the message has zero
 * there (an IKE_SA_INIT answer). NULL if none. (borrowed) */
struct ike_sa *sa_table_find(const struct sa_table *t, const uint8_t spi_i[IKE_SA_SPI_LEN],
			     const uint8_t spi_r[IKE_SA_SPI_LEN], bool from_initiator);
/* The responder SA made for IKE_SA_INIT of (spi_i, remote address); NULL if none. */
struct ike_sa *sa_table_find_init(const struct sa_table *t, const uint8_t spi_i[IKE_SA_SPI_LEN],
				  const struct ip_addr *remote);
struct ike_sa *sa_table_find_serial(const struct sa_table *t, uint32_t serial);

/* CHILD SAs: add after its spi_in is known (or 0: by serial only; call
 * again when spi_in is set, it re-indexes). */
void sa_table_add_child(struct sa_table *t, struct child_sa *c);
void sa_table_remove_child(struct sa_table *t, struct child_sa *c);
struct child_sa *sa_table_find_child(const struct sa_table *t, uint32_t serial);
struct child_sa *sa_table_find_child_spi(const struct sa_table *t, uint8_t protocol,
					 uint32_t spi_in);

unsigned sa_table_half_open(const struct sa_table *t);
size_t sa_table_count(const struct sa_table *t);
/* Visit every IKE SA (the table must not change during the visit). */
void sa_table_foreach(const struct sa_table *t, void (*fn)(struct ike_sa *sa, void *ctx),
		      void *ctx);
/* Serials of every IKE SA into out (caller's array of max), for visits that
 * delete: returns how many (at most max). */
size_t sa_table_serials(const struct sa_table *t, uint32_t *out, size_t max);

/* Called by ike_sa_set_state / child_sa_set_state only: keep counters. */
void sa_table_state_changed(struct sa_table *t, const struct ike_sa *sa, enum ike_sa_state from,
			    bool was_half_open);

#endif
