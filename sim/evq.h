/* evq: the discrete-event queue: a binary min-heap keyed by (cycle, sequence number), so events at the
 * same cycle pop in the order they were scheduled, on every machine. */
#ifndef IOWALK_SIM_EVQ_H
#define IOWALK_SIM_EVQ_H

#include <stdbool.h>
#include <stdint.h>

struct ev {
	uint64_t cycle;
	uint64_t seq;   /* assigned by evq_push */
	uint32_t type;  /* the engine's event kind */
	uint32_t arg32;
	uint64_t arg;
	uint64_t arg2;
	uint64_t arg3;
};

struct evq {
	struct ev *h;
	uint64_t len, cap;
	uint64_t next_seq;
};

int evq_init(struct evq *q, uint64_t cap_hint); /* 0 or -1 */
void evq_destroy(struct evq *q);
int evq_push(struct evq *q, uint64_t cycle, uint32_t type, uint32_t arg32, uint64_t arg, uint64_t arg2,
	     uint64_t arg3); /* 0 or -1 */
bool evq_pop(struct evq *q, struct ev *out);
static inline bool evq_empty(const struct evq *q) { return q->len == 0; }
static inline const struct ev *evq_peek(const struct evq *q) { return q->len ? &q->h[0] : 0; }

#endif
