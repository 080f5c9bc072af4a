/* timers.c: a binary min-heap of deadlines with a (serial, kind) index. */
#include "ike/timers.h"

#include <errno.h>
#include <stdlib.h>

#include "lib/util.h"

struct timer_entry {
	struct hnode node;
	uint64_t when;
	uint32_t serial;
	enum timer_kind kind;
	size_t idx; /* position in the heap */
};

int timers_init(struct timers *t)
{
	t->heap = NULL;
	t->n = t->cap = 0;
	return htab_init(&t->by_key, 64);
}

void timers_free(struct timers *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->heap[i]);
	free(t->heap);
	t->heap = NULL;
	t->n = t->cap = 0;
	htab_free(&t->by_key);
}

static uint64_t key_hash(uint32_t serial, enum timer_kind kind)
{
	uint64_t k = ((uint64_t)serial << 8) | (uint64_t)kind;

	return hash_bytes(&k, sizeof(k));
}

static struct timer_entry *find(const struct timers *t, uint32_t serial, enum timer_kind kind)
{
	uint64_t h = key_hash(serial, kind);
	struct hnode *n;

	for (n = htab_first(&t->by_key, h); n; n = htab_next(n, h)) {
		struct timer_entry *e = container_of(n, struct timer_entry, node);

		if (e->serial == serial && e->kind == kind)
			return e;
	}
	return NULL;
}

static void place(struct timers *t, struct timer_entry *e, size_t i)
{
	t->heap[i] = e;
	e->idx = i;
}

static void sift_up(struct timers *t, size_t i)
{
	struct timer_entry *e = t->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (t->heap[parent]->when <= e->when)
			break;
		place(t, t->heap[parent], i);
		i = parent;
	}
	place(t, e, i);
}

static void sift_down(struct timers *t, size_t i)
{
	struct timer_entry *e = t->heap[i];

	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		uint64_t best = e->when;

		if (l < t->n && t->heap[l]->when < best) {
			m = l;
			best = t->heap[l]->when;
		}
		if (r < t->n && t->heap[r]->when < best)
			m = r;
		if (m == i)
			break;
		place(t, t->heap[m], i);
		i = m;
	}
	place(t, e, i);
}

/* Take e out of the heap and the index (e is the caller's to free). */
static void unlink_entry(struct timers *t, struct timer_entry *e)
{
	size_t i = e->idx;
	struct timer_entry *moved;

	htab_remove(&t->by_key, &e->node);
	t->n--;
	if (i == t->n)
		return;
	moved = t->heap[t->n];
	place(t, moved, i);
	sift_down(t, i);
	sift_up(t, moved->idx);
}

int timers_set(struct timers *t, uint32_t serial, enum timer_kind kind, uint64_t when_ms)
{
	struct timer_entry *e = find(t, serial, kind);

	if (e) {
		e->when = when_ms;
		sift_up(t, e->idx);
		sift_down(t, e->idx);
		return 0;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct timer_entry **h = realloc(t->heap, cap * sizeof(struct timer_entry *));

		if (!h)
			return -ENOMEM;
		t->heap = h;
		t->cap = cap;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->when = when_ms;
	e->serial = serial;
	e->kind = kind;
	htab_insert(&t->by_key, &e->node, key_hash(serial, kind));
	place(t, e, t->n++);
	sift_up(t, e->idx);
	return 0;
}

bool timers_cancel(struct timers *t, uint32_t serial, enum timer_kind kind)
{
	struct timer_entry *e = find(t, serial, kind);

	if (!e)
		return false;
	unlink_entry(t, e);
	free(e);
	return true;
}

void timers_cancel_all(struct timers *t, uint32_t serial)
{
	int k;

	for (k = 0; k < TIMER_KIND_COUNT; k++)
		timers_cancel(t, serial, (enum timer_kind)k);
}

uint64_t timers_when(const struct timers *t, uint32_t serial, enum timer_kind kind)
{
	const struct timer_entry *e = find(t, serial, kind);

	return e ? e->when : TIMERS_NONE;
}

uint64_t timers_next(const struct timers *t)
{
	return t->n ? t->heap[0]->when : TIMERS_NONE;
}

bool timers_pop_due(struct timers *t, uint64_t now_ms, uint32_t *serial, enum timer_kind *kind)
{
	struct timer_entry *e;

	if (!t->n || t->heap[0]->when > now_ms)
		return false;
	e = t->heap[0];
	*serial = e->serial;
	*kind = e->kind;
	unlink_entry(t, e);
	free(e);
	return true;
}

size_t timers_count(const struct timers *t)
{
	return t->n;
}
