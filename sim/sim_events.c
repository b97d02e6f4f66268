/* sim_events: event order, the clock, and the device's walker slots. */
#include "sim_impl.h"

#include "alloc.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Whether walker w's release event, had it been pushed, would already have been handled at the current
 * place in the event order: before the event being handled, or (outside events) at or before now. */
static inline bool released(const struct sim *s, const struct walker *w)
{
	return w->done < s->now || (w->done == s->now && w->seq < s->pos_seq);
}

/* A walker slot free at the current place in the order, or -1 when all are busy. */
int free_walker(struct sim *s)
{
	for (unsigned i = 0; i < s->c.cfg->walkers; i++) {
		struct walker *w = &s->walkers[i];
		if (!w->busy)
			return (int)i;
		if (!w->pushed && released(s, w)) {
			w->busy = false;
			return (int)i;
		}
	}
	return -1;
}

/* Pushes the release events of the busy walkers that have none yet (a translation now waits for one),
 * each with the sequence number reserved when its walk started: the order is what it would have been
 * had every release been an event. */
int push_releases(struct sim *s)
{
	for (unsigned i = 0; i < s->c.cfg->walkers; i++) {
		struct walker *w = &s->walkers[i];
		if (w->busy && !w->pushed) {
			if (evq_push_seq(&s->q, w->done, w->seq, EV_WALK_DONE, i) < 0)
				return sim_fail(s, "out of memory (event queue)");
			w->pushed = true;
		}
	}
	return 0;
}

/* ---- events ---- */

static int handle_event(struct sim *s, const struct ev *e)
{
	set_now(s, e->cycle);
	s->pos_seq = e->seq;
	int rc = 0;
	/* EV_WALK_DONE (arg: the walker): the slot is free for the next queued translation. */
	s->walkers[e->arg].busy = s->walkers[e->arg].pushed = false;
	if (s->walkq_len) {
		struct pending_walk p = s->walkq[s->walkq_head];
		s->walkq_head = (s->walkq_head + 1) % s->walkq_cap;
		s->walkq_len--;
		rc = do_walk(s, &p, s->c.cfg->iotlb_cycles, true, (unsigned)e->arg);
	}
	s->pos_seq = UINT64_MAX;
	return rc;
}

/* Runs the events due at or before t (the time of the record about to be handled). While it does, the
 * horizon is t + 1: a DMA resumed from the queue streams in place only the pages due at or before t; a
 * page due later waits in the queue until the record at t has been applied (the order invariant:
 * nothing is simulated out of time order). */
int advance(struct sim *s, uint64_t t)
{
	struct ev e;
	uint64_t horizon = s->horizon;
	s->horizon = t < horizon ? t + 1 : horizon;
	int rc = 0;
	for (;;) {
		const struct ev *next = evq_peek(&s->q);
		const struct stream *ns = stream_first(s);
		if (ns && stream_before_ev(ns, next)) {
			if (ns->cycle > t)
				break;
			/* The rests of DMAs stream from their next pages. */
			rc = stream_turns(s);
			s->pos_seq = UINT64_MAX;
		} else {
			if (!next || next->cycle > t)
				break;
			evq_pop(&s->q, &e);
			rc = handle_event(s, &e);
		}
		if (rc < 0)
			break;
	}
	s->horizon = horizon;
	return rc;
}

void sim_set_next_time(struct sim *s, uint64_t trace_time)
{
	/* The next record will be handled at its time plus the stall so far, or later. */
	s->horizon = trace_time > UINT64_MAX - s->stall_cycles ? UINT64_MAX : trace_time + s->stall_cycles;
}
