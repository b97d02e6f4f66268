/* evq: the discrete-event queue, keyed by (cycle, sequence number), so events at the same cycle pop in
 * the order they were scheduled, on every machine. The first EVQ_SIDE pending events live in a small
 * unsorted array (walker slots' releases: usually few at a time), the others in a
 * binary min-heap; the next event is the least of both, so where an event is kept changes no order. */
#ifndef IOWALK_SIM_EVQ_H
#define IOWALK_SIM_EVQ_H

#include <stdbool.h>
#include <stdint.h>

struct ev {
	uint64_t cycle;
	uint64_t seq;   /* assigned by evq_push */
	uint32_t type;  /* the engine's event kind */
	uint64_t arg;
};

#define EVQ_SIDE 8

struct evq {
	struct ev *h;        /* the heap */
	uint64_t len, cap;
	uint64_t next_seq;
	struct ev side[EVQ_SIDE];
	unsigned nside, side_min; /* side[side_min] is the least of side[] when nside > 0 */
};

int evq_init(struct evq *q, uint64_t cap_hint); /* 0 or -1 */
void evq_destroy(struct evq *q);
int evq_push(struct evq *q, uint64_t cycle, uint32_t type, uint64_t arg); /* 0 or -1 */
/* Reserves the sequence number the next event pushed now would get (for an event that may be pushed
 * later, or never: evq_push_seq() gives it the place it would have had). */
static inline uint64_t evq_reserve_seq(struct evq *q) { return q->next_seq++; }
int evq_push_seq(struct evq *q, uint64_t cycle, uint64_t seq, uint32_t type, uint64_t arg); /* 0 or -1 */
bool evq_pop(struct evq *q, struct ev *out);
static inline bool evq_empty(const struct evq *q) { return q->len == 0 && q->nside == 0; }
static inline bool evq_before(const struct ev *a, const struct ev *b)
{
	return a->cycle < b->cycle || (a->cycle == b->cycle && a->seq < b->seq);
}
/* The next event (NULL when none). */
static inline const struct ev *evq_peek(const struct evq *q)
{
	const struct ev *s = q->nside ? &q->side[q->side_min] : 0, *h = q->len ? &q->h[0] : 0;
	if (!s)
		return h;
	return h && evq_before(h, s) ? h : s;
}
/* Events pending (both parts). */
static inline uint64_t evq_len(const struct evq *q) { return q->len + q->nside; }

#endif
