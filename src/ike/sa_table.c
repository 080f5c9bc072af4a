/* sa_table.c: hash tables of IKE and CHILD SAs (see sa_table.h). */
#include "ike/sa_table.h"

#include <errno.h>
#include <string.h>

#include "lib/util.h"

static const uint8_t zero_spi[IKE_SA_SPI_LEN];

int sa_table_init(struct sa_table *t)
{
	memset(t, 0, sizeof(*t));
	if (htab_init(&t->by_spi, 64) || htab_init(&t->by_init, 64) ||
	    htab_init(&t->by_serial, 64) || htab_init(&t->child_by_serial, 64) ||
	    htab_init(&t->child_by_spi_in, 64)) {
		sa_table_free(t);
		return -ENOMEM;
	}
	return 0;
}

void sa_table_free(struct sa_table *t)
{
	htab_free(&t->by_spi);
	htab_free(&t->by_init);
	htab_free(&t->by_serial);
	htab_free(&t->child_by_serial);
	htab_free(&t->child_by_spi_in);
}

uint32_t sa_table_new_serial(struct sa_table *t)
{
	uint32_t *n = t->shared_serial ? t->shared_serial : &t->next_serial;

	if (++*n == 0)
		*n = 1;
	return *n;
}

/* Serials are ours (sa_table_new_serial counts up), never a peer's choice, so
 * they need no keyed hash, only a fixed mix (MurmurHash3's 64-bit finalizer):
 * the low bits the table masks stay spread when serials come with gaps, as
 * with a counter shared between engines (shared_serial). */
static uint64_t serial_hash(uint32_t serial)
{
	uint64_t x = serial;

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static const uint8_t *own_spi(const struct ike_sa *sa)
{
	return sa->initiator ? sa->spi_i : sa->spi_r;
}

static uint64_t init_hash(const uint8_t spi_i[IKE_SA_SPI_LEN], const struct ip_addr *a)
{
	uint8_t key[IKE_SA_SPI_LEN + 1 + 16];

	memcpy(key, spi_i, IKE_SA_SPI_LEN);
	key[IKE_SA_SPI_LEN] = a->family;
	memcpy(key + IKE_SA_SPI_LEN + 1, a->a, 16);
	return hash_bytes(key, sizeof(key));
}

static uint64_t child_spi_hash(uint8_t protocol, uint32_t spi)
{
	uint8_t key[5] = {protocol, (uint8_t)(spi >> 24), (uint8_t)(spi >> 16), (uint8_t)(spi >> 8),
			  (uint8_t)spi};

	return hash_bytes(key, sizeof(key));
}

void sa_table_add(struct sa_table *t, struct ike_sa *sa)
{
	sa->table = t;
	htab_insert(&t->by_serial, &sa->by_serial, serial_hash(sa->serial));
	htab_insert(&t->by_spi, &sa->by_spi, hash_bytes(own_spi(sa), IKE_SA_SPI_LEN));
	if (!sa->initiator) {
		htab_insert(&t->by_init, &sa->by_init, init_hash(sa->spi_i, &sa->remote.addr));
		sa->in_init = true;
	}
	t->count[sa->state]++;
	if (ike_sa_is_half_open(sa))
		t->half_open++;
}

void sa_table_forget_init(struct sa_table *t, struct ike_sa *sa)
{
	if (sa->in_init)
		htab_remove(&t->by_init, &sa->by_init);
	sa->in_init = false;
}

void sa_table_remove(struct sa_table *t, struct ike_sa *sa)
{
	struct child_sa *c;

	if (sa->table != t)
		return;
	for (c = sa->children; c; c = c->next)
		sa_table_remove_child(t, c);
	htab_remove(&t->by_serial, &sa->by_serial);
	htab_remove(&t->by_spi, &sa->by_spi);
	sa_table_forget_init(t, sa);
	t->count[sa->state]--;
	if (ike_sa_is_half_open(sa))
		t->half_open--;
	sa->table = NULL;
}

static struct ike_sa *by_own_spi(const struct sa_table *t, const uint8_t spi[IKE_SA_SPI_LEN])
{
	uint64_t h = hash_bytes(spi, IKE_SA_SPI_LEN);
	struct hnode *n;

	for (n = htab_first(&t->by_spi, h); n; n = htab_next(n, h)) {
		struct ike_sa *sa = container_of(n, struct ike_sa, by_spi);

		if (memcmp(own_spi(sa), spi, IKE_SA_SPI_LEN) == 0)
			return sa;
	}
	return NULL;
}

bool sa_table_spi_in_use(const struct sa_table *t, const uint8_t spi[IKE_SA_SPI_LEN])
{
	return by_own_spi(t, spi) != NULL;
}

struct ike_sa *sa_table_find(const struct sa_table *t, const uint8_t spi_i[IKE_SA_SPI_LEN],
			     const uint8_t spi_r[IKE_SA_SPI_LEN], bool from_initiator)
{
	/* From the original initiator: we are the responder and ours is SPIr. */
	const uint8_t *ours = from_initiator ? spi_r : spi_i;
	const uint8_t *theirs = from_initiator ? spi_i : spi_r;
	struct ike_sa *sa;
	const uint8_t *known;

	if (memcmp(ours, zero_spi, IKE_SA_SPI_LEN) == 0)
		return NULL;
	sa = by_own_spi(t, ours);
	if (!sa || sa->initiator == from_initiator)
		return NULL;
	known = sa->initiator ? sa->spi_r : sa->spi_i;
	if (memcmp(known, zero_spi, IKE_SA_SPI_LEN) != 0 &&
	    memcmp(theirs, zero_spi, IKE_SA_SPI_LEN) != 0 &&
	    memcmp(known, theirs, IKE_SA_SPI_LEN) != 0)
		return NULL;
	return sa;
}

struct ike_sa *sa_table_find_init(const struct sa_table *t, const uint8_t spi_i[IKE_SA_SPI_LEN],
				  const struct ip_addr *remote)
{
	uint64_t h = init_hash(spi_i, remote);
	struct hnode *n;

	for (n = htab_first(&t->by_init, h); n; n = htab_next(n, h)) {
		struct ike_sa *sa = container_of(n, struct ike_sa, by_init);

		if (memcmp(sa->spi_i, spi_i, IKE_SA_SPI_LEN) == 0 &&
		    ip_addr_eq(&sa->remote.addr, remote))
			return sa;
	}
	return NULL;
}

struct ike_sa *sa_table_find_serial(const struct sa_table *t, uint32_t serial)
{
	uint64_t h = serial_hash(serial);
	struct hnode *n;

	for (n = htab_first(&t->by_serial, h); n; n = htab_next(n, h)) {
		struct ike_sa *sa = container_of(n, struct ike_sa, by_serial);

		if (sa->serial == serial)
			return sa;
	}
	return NULL;
}

void sa_table_add_child(struct sa_table *t, struct child_sa *c)
{
	if (c->table == t) {
		htab_remove(&t->child_by_spi_in, &c->by_spi_in);
	} else {
		c->table = t;
		htab_insert(&t->child_by_serial, &c->by_serial, serial_hash(c->serial));
	}
	if (c->spi_in)
		htab_insert(&t->child_by_spi_in, &c->by_spi_in,
			    child_spi_hash(c->protocol, c->spi_in));
}

void sa_table_remove_child(struct sa_table *t, struct child_sa *c)
{
	if (c->table != t)
		return;
	htab_remove(&t->child_by_serial, &c->by_serial);
	htab_remove(&t->child_by_spi_in, &c->by_spi_in);
	c->table = NULL;
}

struct child_sa *sa_table_find_child(const struct sa_table *t, uint32_t serial)
{
	uint64_t h = serial_hash(serial);
	struct hnode *n;

	for (n = htab_first(&t->child_by_serial, h); n; n = htab_next(n, h)) {
		struct child_sa *c = container_of(n, struct child_sa, by_serial);

		if (c->serial == serial)
			return c;
	}
	return NULL;
}

struct child_sa *sa_table_find_child_spi(const struct sa_table *t, uint8_t protocol,
					 uint32_t spi_in)
{
	uint64_t h = child_spi_hash(protocol, spi_in);
	struct hnode *n;

	for (n = htab_first(&t->child_by_spi_in, h); n; n = htab_next(n, h)) {
		struct child_sa *c = container_of(n, struct child_sa, by_spi_in);

		if (c->protocol == protocol && c->spi_in == spi_in)
			return c;
	}
	return NULL;
}

unsigned sa_table_half_open(const struct sa_table *t)
{
	return t->half_open;
}

size_t sa_table_count(const struct sa_table *t)
{
	return t->by_serial.count;
}

void sa_table_foreach(const struct sa_table *t, void (*fn)(struct ike_sa *sa, void *ctx), void *ctx)
{
	size_t pos = 0;
	struct hnode *n = NULL;

	while ((n = htab_iter(&t->by_serial, &pos, n)))
		fn(container_of(n, struct ike_sa, by_serial), ctx);
}

size_t sa_table_serials(const struct sa_table *t, uint32_t *out, size_t max)
{
	size_t pos = 0, k = 0;
	struct hnode *n = NULL;

	while (k < max && (n = htab_iter(&t->by_serial, &pos, n)))
		out[k++] = container_of(n, struct ike_sa, by_serial)->serial;
	return k;
}

void sa_table_state_changed(struct sa_table *t, const struct ike_sa *sa, enum ike_sa_state from,
			    bool was_half_open)
{
	bool now_half_open = ike_sa_is_half_open(sa);

	t->count[from]--;
	t->count[sa->state]++;
	if (was_half_open && !now_half_open)
		t->half_open--;
	else if (!was_half_open && now_half_open)
		t->half_open++;
}
