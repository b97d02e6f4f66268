/* sim_record: record dispatch: one apply_*() per record kind. */
#include "sim_impl.h"

#include "alloc.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Registers the IO address space of the IOAT record r's function and creates the strategy's instance
 * for it. IOTA registration is set-up: its cycles are reported on their own, in no component. */
static int register_fn(struct sim *s, const struct trace_rec *r)
{
	if (iw_grow(&s->fns, &s->fns_cap, s->nfns, sizeof(*s->fns), 4) < 0)
		return sim_fail(s, "out of memory");
	struct sim_fn *f = iw_calloc(1, sizeof(*f));
	/* The full reference map only where it is used: --check (and so in asserting builds too, where a
	 * run without --check exercises the light one). */
	if (!f || checker_init(&f->ref, s->check) < 0 || (!s->shared_caches && walk_caches_init(s, f->wc) < 0)) {
		if (f)
			fn_free(s, f);
		return sim_fail(s, "out of memory");
	}
	f->fid = r->dev;
	f->idx = s->nfns;
	s->fns[s->nfns++] = f;
	s->fn_of_fid[r->dev] = s->nfns;
	const char *why = s->model->guest_new(s->c.host, s->c.vm, r->a, r->flags, &f->guest);
	if (why)
		return sim_fail(s, "IOAT: %s", why);
	/* Its address space: a new one, or the one of an earlier function with the same identity. */
	f->asid_key = s->model->guest_asid ? s->model->guest_asid(f->guest) : f->idx;
	f->asid = s->ntags;
	for (unsigned i = 0; i + 1 < s->nfns; i++)
		if (s->fns[i]->asid_key == f->asid_key) {
			f->asid = s->fns[i]->asid;
			break;
		}
	if (f->asid == s->ntags)
		s->ntags++;
	f->tag = s->shared_caches ? (uint64_t)f->asid << 52 : 0;
	char err[256];
	uint64_t comp[COMP_COUNT], ops[IW_MAX_COUNTERS];
	memcpy(comp, s->c.st.comp, sizeof(comp));
	memcpy(ops, s->c.st.ops, sizeof(ops));
	s->c.op_cycles = 0;
	(void)enter(s, f); /* the instance does not exist yet: f is current while it is created */
	f->strat = s->ops->create(s->ops, s, err, sizeof(err));
	if (!f->strat)
		return sim_fail(s, "%s: %s", s->ops->name, err);
	/* Its cycles and its operations are the set-up's, in no component and no path count. */
	memcpy(s->c.st.comp, comp, sizeof(comp));
	for (unsigned i = 0; i < IW_MAX_COUNTERS; i++) {
		s->c.st.setup_ops[i] += s->c.st.ops[i] - ops[i];
		s->c.st.ops[i] = ops[i];
	}
	s->c.st.setup_cycles += s->c.op_cycles;
	if (s->nfns == 1) {
		s->refresh = s->ops->refresh ? s->ops->refresh(s->c.cfg) : IW_REFRESH_ALL;
		/* The root domain (one per VM, shared by its functions) maps and pins all guest RAM. */
		if (s->ops->pins_guest_ram)
			for (unsigned i = 0; i < vm_nslots(s->c.vm); i++)
				pin_upfront(s, vm_slot(s->c.vm, i)->npages);
	}
	return 0;
}

/* Validates and indexes the memslots added since the last commit. Lookups are only correct on a
 * committed set, so this runs before any simulated work that may look a gpa up: before the next
 * non-MEMSLOT record, before queued work runs past a MEMSLOT record, and before the final drain. */
int commit_memslots(struct sim *s)
{
	if (!s->memslots_dirty)
		return 0;
	char why[256];
	s->memslots_dirty = false;
	const char *w = vm_commit_memslots(s->c.vm, why, sizeof(why));
	return w ? sim_fail(s, "%s", w) : 0;
}

/* What the guest's MAP or UNMAP tells the engine (struct iw_guest_cb): the simulation and the function. */
struct guest_ctx {
	struct sim *s;
	struct sim_fn *f;
};

/* A valid mapping of the function's guest changed (struct iw_guest_cb.changed). */
static void guest_changed(void *ctx, uint64_t iova)
{
	struct guest_ctx *g = ctx;
	checker_changed(&g->f->ref, iova);
}

/* The guest's vCPU reads or writes an entry of its IO table at gpa (struct iw_guest_cb.touch): a CPU
 * reference through the caches the hypervisor's intercept handler then runs on (the same vCPU's L1 and
 * L2, and the shared L3 the device reads), charged to no path: the guest pays it under every design. */
static void guest_touch(void *ctx, uint64_t gpa)
{
	struct sim *s = ((struct guest_ctx *)ctx)->s;
	uint64_t hpa;
	if (vm_gpa_to_hpa(s->c.vm, gpa, &hpa)) {
		memsys_cpu(&s->c.mem, hpa);
		s->c.st.ops[OP_GUEST_TABLE_REFS]++;
	}
}

/* The record's time once the replay's stalls are added: the vCPU busy with an RPCIT holds it back
 * (closed-loop replay: a record the trace places before the RPCIT is done, and everything after it,
 * moves later by the excess); flush-queue timers and events due before it run first. 0 or -1. */
static int record_time(struct sim *s, const struct trace_rec *r, uint64_t recno, uint64_t *tp)
{
	uint64_t t = SIM_TIME_MAX;
	if (time_add(s, r->time_cycles, s->stall_cycles, &t) < 0)
		return -1;
	if (!s->started) {
		/* The statistics window (pinned memory over time) starts with the first record. */
		s->started = true;
		s->c.st.window_start = s->pinned_since = t;
	}
	/* The guest's flush-queue timers that ran out before this record (refresh-off guests). */
	if (fq_timers(s, t) < 0)
		return -1;
	if (t < s->vcpu_free_at) {
		s->stall_cycles += s->vcpu_free_at - t;
		s->c.st.ops[OP_GUEST_STALLS]++;
		s->c.st.guest_stall_cycles += s->vcpu_free_at - t;
		t = s->vcpu_free_at;
	}
	/* A batch of MEMSLOT records is committed once, at its end, unless queued work would run in between
	 * (an invalid set stays invalid as slots are added, so an early commit rejects nothing valid). */
	if ((r->kind != TRACE_MEMSLOT || !evq_empty(&s->q) || s->stream_len) && commit_memslots(s) < 0)
		return -1;
	if (advance(s, t) < 0)
		return -1;
	s->recno = recno;
	set_now(s, t);
	*tp = t;
	return 0;
}

static const char *apply_memslot(struct sim *s, const struct trace_rec *r)
{
	const char *why = s->model->memslot_check(s->c.host, r->a, r->b, r->c);
	if (!why)
		why = vm_add_memslot(s->c.vm, r->id, r->a, r->b, r->c);
	if (!why && s->nfns && s->ops->pins_guest_ram)
		pin_upfront(s, r->b); /* the root domain maps and pins RAM added later too */
	s->memslots_dirty = true;
	return why;
}

static int apply_ioat(struct sim *s, const struct trace_rec *r)
{
	if (vm_nslots(s->c.vm) == 0)
		return sim_fail(s, "IOAT before any MEMSLOT (the guest table must live in guest RAM)");
	if (s->version < 2 && s->nfns)
		return sim_fail(s, "IOAT: a second IOAT (format v1 has one IO address space; format v2 gives each PCI function its own)");
	if (fn_of(s, r->dev))
		return sim_fail(s, "IOAT: function %u registered its IOAT already (re-registration is not supported)", r->dev);
	if (s->nfns >= s->c.cfg->max_functions)
		return sim_fail(s, "IOAT: more than %" PRIu64 " PCI functions (run.max_functions; each has its own tables, caches and"
				   " strategy state): raise it if the trace is right", s->c.cfg->max_functions);
	if (s->shared_caches && s->nfns == SIM_MAX_SHARED_FNS)
		return sim_fail(s, "IOAT: more than %u functions with shared caches (device.shared_caches=1)", SIM_MAX_SHARED_FNS);
	return register_fn(s, r);
}

/* The function a MAP, UNMAP, RPCIT or DMA record names, or NULL (the run fails, said). */
static struct sim_fn *record_fn(struct sim *s, const struct trace_rec *r)
{
	struct sim_fn *f = fn_of(s, r->dev);
	if (f)
		return f;
	if (r->kind == TRACE_DMA)
		s->version < 2 ? sim_fail(s, "DMA before IOAT") : sim_fail(s, "DMA by function %u, which registered no IOAT", r->dev);
	else
		s->version < 2 ? sim_fail(s, "%s before IOAT", trace_kind_name(r->kind))
			       : sim_fail(s, "%s of function %u, which registered no IOAT", trace_kind_name(r->kind), r->dev);
	return NULL;
}

/* A MAP or UNMAP: the model writes the guest's table, the reference map follows. NULL, the reason, or
 * *failed (the run stopped, said). Without the full reference map the model says which valid mappings
 * the record changed; the guest's vCPU reads and writes its table through its caches (a strategy whose
 * guest translates nothing writes no table: relaxed translation). */
static const char *apply_map_unmap(struct sim *s, struct sim_fn *f, const struct trace_rec *r, bool *failed)
{
	struct guest_ctx g = {s, f};
	const struct iw_guest_cb cb = {.changed = f->ref.full ? NULL : guest_changed,
				       .touch = s->refresh == IW_REFRESH_NONE ? NULL : guest_touch,
				       .ctx = &g};
	const char *why = NULL;
	if (r->kind == TRACE_MAP) {
		why = s->model->guest_map(f->guest, r->a, r->b, r->c, r->flags == TRACE_PROT_READ, &cb);
		if (!why && checker_map(&f->ref, r->a, r->b, r->c, r->flags == TRACE_PROT_READ) < 0)
			why = "out of memory (reference map)";
	} else {
		s->model->guest_unmap(f->guest, r->a, r->c, &cb);
		if (checker_unmap(&f->ref, r->a, r->c) < 0)
			why = "out of memory (reference map)";
		else if (fq_unmap(s, f) < 0)
			*failed = true;
	}
	return why;
}

/* An RPCIT: the guest's flush of a range (clipped to its table's aperture) on its vCPU; in format v3 a
 * domain or global one (its range the whole aperture), possibly leaf-only. */
static int apply_rpcit(struct sim *s, struct sim_fn *f, const struct trace_rec *r, uint64_t recno)
{
	uint64_t ap = s->fmt->aperture(s->model->guest_table(f->guest));
	uint64_t iova = r->a, len = r->c;
	unsigned scope = r->flags & TRACE_INVAL_SCOPE;
	if (scope) {
		iova = 0;
		len = ap ? ap : ~0xfffull; /* all of 2^64 but its last page: the range rules hold */
	}
	if (ap && iova >= ap)
		return sim_fail(s, "RPCIT outside the IOAT's aperture");
	if (ap && len > ap - iova)
		len = ap - iova; /* the refresh covers what the aperture holds */
	if (len > f->widest_len) {
		f->widest_iova = iova;
		f->widest_len = len;
	}
	struct pending_rpcit p = {.arrival = s->now, .iova = iova, .len = len, .recno = recno,
				  .scope = scope == TRACE_INVAL_DOMAIN ? IW_INVAL_DOMAIN : scope ? IW_INVAL_GLOBAL : IW_INVAL_RANGE,
				  .leaf_only = (r->flags & TRACE_INVAL_LEAF) != 0};
	return start_rpcit(s, f, &p, RPCIT_TRACE);
}

/* A DMA: the device streams the transfer, page k translated k * device.page_gap_cycles later. */
static int apply_dma(struct sim *s, const struct trace_rec *r, uint64_t recno)
{
	s->c.st.ops[OP_DMAS]++;
	uint64_t first = r->a >> 12, npages = ((r->a + (r->c - 1)) >> 12) - first + 1;
	uint64_t *bus = NULL;
	if (s->ops->dma_addr && bus_take(s, r->dev, first, npages, &bus) < 0)
		return -1;
	if (stream_pages(s, r->dev, r->flags == TRACE_DMA_WRITE, first, npages, recno, bus) < 0)
		return -1;
	s->recno = recno;
	return 0;
}

/* After a record: what a small trace can make the simulation hold (sparse maps in deep tables: 16 KiB a
 * level) stays under run.max_memory_mib. */
static int check_bounds(struct sim *s, const struct trace_rec *r)
{
	if (vm_failed(s->c.vm))
		return sim_fail(s, "%s", vm_failure(s->c.vm));
	uint64_t mib = physmem_frames(vm_physmem(s->c.vm)) >> 8;
	if (mib > s->c.cfg->max_memory_mib)
		return sim_fail(s, "%s: the simulation holds %" PRIu64 " MiB of simulated memory (tables, shadow tables, structures),"
				   " more than run.max_memory_mib=%" PRIu64 ": raise it if the trace is right",
				trace_kind_name(r->kind), mib, s->c.cfg->max_memory_mib);
	return 0;
}

int sim_record(struct sim *s, const struct trace_rec *r, uint64_t recno)
{
	if (s->failed)
		return -1;
	s->recno = recno;
	uint64_t t;
	if (record_time(s, r, recno, &t) < 0)
		return -1;
	if ((r->kind == TRACE_MAP || r->kind == TRACE_DMA) && r->c > (s->c.cfg->max_record_mib << 20))
		return sim_fail(s, "%s of %" PRIu64 " bytes exceeds the per-record limit of %llu bytes (run.max_record_mib)",
				trace_kind_name(r->kind), r->c, (unsigned long long)(s->c.cfg->max_record_mib << 20));
	const char *why = NULL;
	struct sim_fn *f = NULL;
	bool failed = false;
	switch (r->kind) {
	case TRACE_MEMSLOT: why = apply_memslot(s, r); break;
	case TRACE_IOAT: failed = apply_ioat(s, r) < 0; break;
	case TRACE_MAP:
	case TRACE_UNMAP:
	case TRACE_RPCIT:
		if (!(f = record_fn(s, r)))
			return -1;
		if (r->kind == TRACE_RPCIT)
			failed = apply_rpcit(s, f, r, recno) < 0;
		else
			why = apply_map_unmap(s, f, r, &failed);
		if (!why && !failed && f->ref.failed)
			why = "out of memory (changed pages)";
		break;
	case TRACE_DMA: failed = !record_fn(s, r) || apply_dma(s, r, recno) < 0; break;
	default: return sim_fail(s, "unknown record kind %u", r->kind);
	}
	if (failed)
		return -1;
	if (why)
		return sim_fail(s, "%s: %s", trace_kind_name(r->kind), why);
	if (check_bounds(s, r) < 0)
		return -1;
	check_invariants(s, false);
	return 0;
}
