/* sim_vcpu: the guest vCPU's invalidation path (RPCIT), its flush queues, the final drain and finish. */
#include "sim_impl.h"

#include "alloc.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Function f's flush queue (a refresh-off guest's) is empty: nothing queued, its timer not armed. */
static inline void fq_empty(struct sim_fn *f)
{
	f->fq_queued = 0;
	f->fq_armed = false;
}

int start_rpcit(struct sim *s, struct sim_fn *f, const struct pending_rpcit *p, enum rpcit_kind kind)
{
	uint64_t updates, unmapped;
	if (checker_rpcit(&f->ref, p->iova, p->len, &updates, &unmapped) < 0)
		return sim_fail(s, "out of memory (reference map)");
	s->c.st.ops[OP_UPDATES] += updates;
	f->st.updates += updates;
	if (kind == RPCIT_DRAIN)
		s->c.st.ops[OP_DRAIN_UPDATES] += updates;
	bool issued = s->refresh == IW_REFRESH_ALL || (s->refresh == IW_REFRESH_UNMAPS && (unmapped > 0 || kind == RPCIT_FQ));
	if (kind == RPCIT_TRACE && s->refresh == IW_REFRESH_UNMAPS && issued && checker_unmapped_pending(&f->ref) == 0) {
		/* The trace's flush left no unmap pending: a strict guest, whose unmaps never wait in the flush
		 * queue (the queue's own flushes leave its timer as Linux does: armed by the first entry). */
		fq_empty(f);
	}
	if (!issued) {
		/* This strategy's guest does not issue it: its updates became visible at no cost. */
		s->c.st.ops[OP_RPCITS_SKIPPED]++;
		if (updates)
			hist_add(&s->c.st.update, 0, updates);
		return 0;
	}
	s->c.op_cycles = 0;
	uint64_t wait = s->now - p->arrival;
	sim_charge(s, COMP_QUEUE, wait);
	const struct iw_inval inv = {.scope = p->scope, .addr = p->iova, .len = p->len, .leaf_only = p->leaf_only};
	s->ops->invalidate(enter(s, f), &inv);
	uint64_t lat = s->c.op_cycles;
	s->c.st.rpcit_cycles += lat;
	f->st.rpcit_cycles += lat;
	f->st.rpcits++;
	hist_add(&s->c.st.rpcit, lat, 1);
	if (updates)
		hist_add(&s->c.st.update, lat / updates, updates);
	s->c.st.ops[OP_RPCITS]++;
	return time_add(s, s->now, lat - wait, &s->vcpu_free_at);
}

/* A flush of all of function f's IO address space by its guest at time t (or when the vCPU is free):
 * an RPCIT over the widest range the trace refreshed (normally the whole DMA window), or over the pages
 * changed since their last refresh when no refresh covered them; none when nothing was ever changed. */
static int flush_all(struct sim *s, struct sim_fn *f, uint64_t t, enum rpcit_kind kind)
{
	uint64_t first, last, iova, len;
	bool dirty = checker_dirty_span(&f->ref, &first, &last);
	if (!f->strat || (!dirty && (kind != RPCIT_FQ || !f->widest_len)))
		return 0;
	if (dirty) {
		iova = first << 12;
		len = (last - first + 1) << 12;
	}
	if (!dirty || (f->widest_len && f->widest_iova <= iova && iova + len - 1 <= f->widest_iova + (f->widest_len - 1))) {
		iova = f->widest_iova;
		len = f->widest_len;
	}
	uint64_t ap = s->fmt->aperture(s->model->guest_table(f->guest));
	if (ap && iova >= ap)
		return 0; /* nothing mapped there can be refreshed */
	if (ap && len > ap - iova)
		len = ap - iova;
	if (t < s->vcpu_free_at)
		t = s->vcpu_free_at; /* after the vCPU's RPCIT in progress (an earlier function's flush) */
	if (t < s->now)
		t = s->now;
	if (advance(s, t) < 0)
		return -1;
	set_now(s, t);
	struct pending_rpcit p = {.arrival = s->now, .iova = iova, .len = len, .recno = s->recno};
	return start_rpcit(s, f, &p, kind);
}

/* The final flush of the current function. */
static int drain_fn(struct sim *s, struct sim_fn *f)
{
	fq_empty(f);
	return flush_all(s, f, s->now, RPCIT_DRAIN);
}

/* A guest that does not refresh after maps queues its unmaps in Linux dma-iommu's per-CPU flush queue
 * (IOVA_DEFAULT_FQ_SIZE, IOVA_DEFAULT_FQ_TIMEOUT; the refresh-on guest a trace records uses one queue of
 * 32768 and 1 s, shadow_on_flush): fq_flush_timeout() flushes all when the timer armed by the first
 * unmap queued runs out. The timers due by time t fire, in time order. */
int fq_timers(struct sim *s, uint64_t t)
{
	if (s->refresh != IW_REFRESH_UNMAPS)
		return 0;
	for (;;) {
		struct sim_fn *next = NULL;
		for (unsigned i = 0; i < s->nfns; i++)
			if (s->fns[i]->fq_armed && s->fns[i]->fq_timer <= t && (!next || s->fns[i]->fq_timer < next->fq_timer))
				next = s->fns[i];
		if (!next)
			return 0;
		fq_empty(next);
		if (commit_memslots(s) < 0 || flush_all(s, next, next->fq_timer, RPCIT_FQ) < 0)
			return -1;
		s->c.st.ops[OP_FQ_FLUSHES]++;
	}
}

/* An UNMAP record of the current function, for a guest that does not refresh after maps: queue_iova()
 * flushes all when the ring is full (N - 1 entries) before queueing this one, and arms the timer for
 * the first entry. */
int fq_unmap(struct sim *s, struct sim_fn *f)
{
	if (s->refresh != IW_REFRESH_UNMAPS)
		return 0;
	if (f->fq_queued + 1 >= s->c.cfg->fq_entries) {
		f->fq_queued = 0;
		if (flush_all(s, f, s->now, RPCIT_FQ) < 0)
			return -1;
		s->c.st.ops[OP_FQ_FLUSHES]++;
	}
	f->fq_queued++;
	if (!f->fq_armed) {
		uint64_t us = s->c.cfg->fq_timeout_us, d;
		if (__builtin_mul_overflow(us, s->c.cfg->cpu_clock_mhz, &d) || time_add(s, s->now, d, &f->fq_timer) < 0)
			return sim_fail(s, "the flush-queue timer (guest.fq_timeout_us) passes the simulated time range");
		f->fq_armed = true;
	}
	return 0;
}

int sim_drain(struct sim *s)
{
	if (s->failed)
		return -1;
	if (commit_memslots(s) < 0)
		return -1;
	for (unsigned i = 0; i < s->nfns; i++) {
		if (drain_fn(s, s->fns[i]) < 0)
			return -1;
	}
	return 0;
}

int sim_finish(struct sim *s)
{
	if (commit_memslots(s) < 0)
		return -1;
	if (advance(s, UINT64_MAX) < 0)
		return -1;
	/* The walks whose releases were never events end last as they would have. */
	for (unsigned i = 0; i < s->c.cfg->walkers; i++)
		if (s->walkers[i].busy && s->walkers[i].done > s->now)
			set_now(s, s->walkers[i].done);
	/* The statistics window ends when the last work does (the vCPU's last RPCIT included). */
	s->c.st.window_end = s->now > s->vcpu_free_at ? s->now : s->vcpu_free_at;
	if (s->c.st.window_end < s->c.st.window_start)
		s->c.st.window_end = s->c.st.window_start;
	pinned_until(s, s->c.st.window_end);
	check_invariants(s, true);
	return 0;
}
