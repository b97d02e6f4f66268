/* sim: one simulated system under one strategy (see sim.h). */
#include "sim.h"

#include "alloc.h"
#include "invariant.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum { EV_WALK_DONE = 1 };

/* A DMA whose IOVA gives no bus address (struct strategy_ops.dma_addr said none). */
#define NO_BUS_ADDR UINT64_MAX

/* The steps of a walk the engine runs itself (walk-cache lookup, charging the entries read, the walker
 * slot, counting the translation) are inlined into their callers: their calls (argument passing,
 * register saves) were about a tenth of a walk's instructions. */
#define ALWAYS_INLINE inline __attribute__((always_inline))

/* Simulated time never goes past SIM_TIME_MAX (traces start at most at TRACE_MAX_TIME, 2^62): every sum
 * of a time and a duration goes through time_add(), which stops the run with a reason instead of
 * wrapping. */
#define SIM_TIME_MAX (1ull << 63)

__attribute__((format(printf, 2, 3))) static int sim_fail(struct sim *s, const char *fmt, ...);
static void pinned_until(struct sim *s, uint64_t t);

static int time_add(struct sim *s, uint64_t t, uint64_t d, uint64_t *out)
{
	*out = SIM_TIME_MAX;
	if (t > SIM_TIME_MAX || d > SIM_TIME_MAX - t)
		return sim_fail(s, "simulated time would pass 2^63 cycles (%" PRIu64 " + %" PRIu64
				"): the trace's times and the replay's stalls leave no headroom", t, d);
	*out = t + d;
	return 0;
}

/* The order invariant: simulated time never decreases. Every change of s->now goes through here; an
 * asserting build (IOWALK_INVARIANTS) stops on a violation. */
static inline void set_now(struct sim *s, uint64_t t)
{
	IW_INVARIANT(t >= s->now, "time goes back from %" PRIu64 " to %" PRIu64 " (record %" PRIu64 ")", s->now, t,
		     s->recno);
	s->now = t;
}

__attribute__((format(printf, 2, 3))) static int sim_fail(struct sim *s, const char *fmt, ...)
{
	if (s->failed)
		return -1;
	va_list ap;
	int n = snprintf(s->err, sizeof(s->err), "record %" PRIu64 ": ", s->recno);
	va_start(ap, fmt);
	vsnprintf(s->err + n, sizeof(s->err) - (size_t)n, fmt, ap);
	va_end(ap);
	s->failed = true;
	return -1;
}

/* A cache of `entries` entries of at most `ways` ways (fewer entries: fully associative). */
static int cache_init(struct sacache *c, uint64_t entries, uint64_t ways)
{
	return sacache_init(c, entries, (uint32_t)(entries < ways ? (entries ? entries : 1) : ways));
}

static int walk_caches_init(const struct sim *s, struct sacache *wc)
{
	for (unsigned i = 0; i < s->nwc; i++)
		if (cache_init(&wc[i], s->wc_entries[i], s->cfg->wc_ways) < 0)
			return -1;
	return 0;
}

static void walk_caches_destroy(const struct sim *s, struct sacache *wc)
{
	for (unsigned i = 0; i < s->nwc; i++)
		sacache_destroy(&wc[i]);
}

/* The walk caches' levels and the IOTLB's page sizes of the format, each sized by its parameter. */
static void cache_geometry(struct sim *s)
{
	const struct iw_format *f = s->fmt;
	s->nwc = 0;
	for (unsigned l = f->nlevels; l-- > 0;) {
		uint64_t e = 0;
		if (!f->wc_param[l])
			continue;
		config_get(s->cfg, f->wc_param[l], &e); /* a format's parameter is registered with its model */
		s->wc_level[s->nwc] = l;
		s->wc_shift[s->nwc] = f->level_shift[l];
		s->wc_entries[s->nwc++] = e;
	}
	s->nsizes = f->nleaf_sizes ? f->nleaf_sizes : 1;
	s->size_shift[0] = 12;
	s->size_entries[0] = s->cfg->iotlb_entries;
	for (unsigned i = 1; i < s->nsizes; i++) {
		uint64_t e = 0;
		config_get(s->cfg, f->iotlb_param[i], &e);
		s->size_shift[i] = f->leaf_shift[i];
		s->size_entries[i] = e;
	}
}

static void fn_free(struct sim *s, struct sim_fn *f)
{
	if (f->strat)
		s->ops->destroy(f->strat);
	walk_caches_destroy(s, f->wc);
	checker_destroy(&f->ref);
	if (f->guest)
		s->model->guest_free(f->guest);
	iw_free(f);
}

/* The function a record or device id names: the only one in format v1, the one of that fid in v2. */
static struct sim_fn *fn_of(const struct sim *s, uint16_t dev)
{
	if (s->version < 2)
		return s->nfns ? s->fns[0] : NULL;
	uint32_t i = s->fn_of_fid[dev];
	return i ? s->fns[i - 1] : NULL;
}

void sim_set_trace_version(struct sim *s, unsigned version) { s->version = version; }

static void iotlb_free(const struct sim *s, struct sim_iotlb *t)
{
	if (!t)
		return;
	for (unsigned i = 0; i < s->nsizes; i++)
		sacache_destroy(&t->size[i]);
	iw_free(t);
}

struct sim *sim_new(const struct iw_config *cfg, const struct strategy_ops *ops, bool check, char *err,
		    size_t errlen)
{
	struct sim *s = iw_calloc(1, sizeof(*s));
	if (!s)
		goto oom;
	s->cfg = cfg;
	s->ops = ops;
	s->model = ops->model;
	s->fmt = ops->model->fmt;
	cache_geometry(s);
	s->check = check;
	s->hits_fast = !check && !ops->dma_addr;
	struct vm_config vc = {.max_memslots = cfg->max_memslots};
	s->vm = vm_new(&vc, err, errlen);
	if (!s->vm) {
		iw_free(s);
		return NULL;
	}
	/* The model's host tables come first in the host pool, before any record allocates. */
	s->host = s->model->host_new(s->vm, cfg, err, errlen);
	if (!s->host) {
		vm_free(s->vm);
		iw_free(s);
		return NULL;
	}
	s->iotlb = iw_calloc(SIM_MAX_DEVS, sizeof(*s->iotlb));
	s->devs = iw_calloc(SIM_MAX_DEVS, sizeof(*s->devs));
	s->fn_of_fid = iw_calloc(SIM_MAX_DEVS, sizeof(*s->fn_of_fid));
	s->walkers = iw_calloc(cfg->walkers, sizeof(*s->walkers));
	s->stream_cap = 16;
	s->streams = iw_malloc(s->stream_cap * sizeof(*s->streams));
	s->pos_seq = UINT64_MAX;
	s->version = 1;
	s->shared_caches = cfg->shared_caches != 0;
	if (!s->iotlb || !s->devs || !s->fn_of_fid || !s->walkers || !s->streams || memsys_init(&s->mem, cfg) < 0 || walk_caches_init(s, s->wc) < 0 ||
	    evq_init(&s->q, 64) < 0)
		goto oom_free;
	stats_init(&s->st);
	s->horizon = 0; /* unknown until the engine says: every later page goes through the queue */
	return s;
oom_free:
	sim_free(s);
oom:
	snprintf(err, errlen, "out of memory creating the simulation");
	return NULL;
}

void sim_free(struct sim *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < s->nfns; i++)
		fn_free(s, s->fns[i]);
	iw_free(s->fns);
	iw_free(s->fn_of_fid);
	iw_free(s->walkers);
	if (s->iotlb) {
		for (unsigned i = 0; s->iotlb && i < s->ndevs && !s->shared_caches; i++)
			iotlb_free(s, s->iotlb[s->devs[i]]);
		iw_free(s->iotlb);
	}
	iotlb_free(s, s->shared_iotlb);
	iw_free(s->devs);
	memsys_destroy(&s->mem);
	walk_caches_destroy(s, s->wc);
	evq_destroy(&s->q);
	for (uint64_t i = 0; s->streams && i < s->stream_len; i++)
		iw_free(s->streams[(s->stream_head + i) & (s->stream_cap - 1)].bus);
	iw_free(s->streams);
	iw_free(s->walkq);
	if (s->host)
		s->model->host_free(s->host);
	vm_free(s->vm);
	iw_free(s);
}

void sim_reset_stats(struct sim *s)
{
	/* Set-up is one-time: it is kept; the pinned-memory window starts now. */
	uint64_t setup = s->st.setup_cycles, setup_pages = s->st.setup_pinned_pages, setup_ops[IW_MAX_COUNTERS];
	memcpy(setup_ops, s->st.setup_ops, sizeof(setup_ops));
	stats_init(&s->st);
	s->st.setup_cycles = setup;
	s->st.setup_pinned_pages = setup_pages;
	memcpy(s->st.setup_ops, setup_ops, sizeof(setup_ops));
	pinned_until(s, s->now);
	s->st.pinned_area = 0;
	s->st.pinned_peak = s->st.pinned_end = s->pinned;
	s->st.window_start = s->pinned_since;
	for (unsigned i = 0; i < s->nfns; i++)
		s->fns[i]->st = (struct sim_fn_stats){0};
	/* Translations still waiting for a walker are counted when they start, with their IOTLB lookup. */
	s->st.comp[COMP_IOTLB] = s->queued_cycles;
}

/* The invariants an asserting build checks after every record (base/invariant.h). */
static void check_invariants(struct sim *s, bool full)
{
	if (!IW_INVARIANTS_ON)
		return;
	uint64_t sum = stats_component_sum(&s->st), total = stats_total(&s->st);
	IW_INVARIANT(sum == total + s->queued_cycles,
		     "%s: components sum to %" PRIu64 " cycles, the paths to %" PRIu64 " (+ %" PRIu64
		     " queued), record %" PRIu64, s->ops->name, sum, total, s->queued_cycles, s->recno);
	IW_INVARIANT(s->st.dma.sum == s->st.dma_cycles && s->st.rpcit.sum == s->st.rpcit_cycles,
		     "%s: histogram sums differ from the path totals, record %" PRIu64, s->ops->name, s->recno);
	uint64_t held = 0;
	struct sim_fn *cur = s->cur;
	for (unsigned i = 0; i < s->nfns; i++) {
		s->cur = s->fns[i];
		if (s->fns[i]->strat && s->ops->check_invariants)
			s->ops->check_invariants(s->fns[i]->strat, full);
		if (s->fns[i]->strat && s->ops->pins_held)
			held += s->ops->pins_held(s->fns[i]->strat);
	}
	s->cur = cur;
	uint64_t pins = s->life_ops[OP_PINS], unpins = s->life_ops[OP_UNPINS];
	IW_INVARIANT(unpins <= pins && pins - unpins == held,
		     "%s: %" PRIu64 " pins - %" PRIu64 " unpins, but the functions' instances hold %" PRIu64 " (record %" PRIu64 ")",
		     s->ops->name, pins, unpins, held, s->recno);
}

/* Doubles the room of a ring of elements of `size` bytes (`first` elements when it has none): its len
 * elements from *head move, in order, to the start of the new array at *ringp (a pointer to the ring's
 * pointer). 0, or -1 (out of memory or an overflowing size; the ring kept). The walk queue and the DMA
 * streams grow so. */
static int ring_grow(void *ringp, size_t size, uint64_t *head, uint64_t len, uint64_t *cap, uint64_t first)
{
	uint64_t newcap = *cap ? 2 * *cap : first;
	if (newcap <= *cap || newcap > SIZE_MAX / size)
		return -1;
	char *ring, *n = iw_malloc(newcap * size);
	if (!n)
		return -1;
	memcpy(&ring, ringp, sizeof(ring)); /* the caller's ring pointer, whatever its element type */
	if (len) {
		uint64_t upto_end = len < *cap - *head ? len : *cap - *head;
		memcpy(n, ring + *head * size, upto_end * size);
		memcpy(n + upto_end * size, ring, (len - upto_end) * size);
	}
	iw_free(ring);
	memcpy(ringp, &n, sizeof(n));
	*cap = newcap;
	*head = 0;
	return 0;
}

/* ---- shared mechanisms ---- */

/* Cache keys of the current function: tagged by its index when the bridge's caches are shared (an IOVA
 * page number has at most 52 bits; at most SIM_MAX_SHARED_FNS functions). */
#define SIM_MAX_SHARED_FNS 4096u
static inline uint64_t fn_tag(const struct sim *s) { return s->cur->tag; }
/* The i-th walk cache (sim.wc_level[i]) the current function uses. */
static inline struct sacache *wc_of(struct sim *s, unsigned i) { return s->shared_caches ? &s->wc[i] : &s->cur->wc[i]; }

/* Removes what a cache keyed by (tag | address >> shift) holds for inv: its range, or everything of the
 * tag (a domain) or every entry (global). */
static void inval_cache(struct sacache *c, const struct iw_inval *inv, uint64_t tag, unsigned shift, bool tagged)
{
	if (inv->scope == IW_INVAL_GLOBAL || (inv->scope == IW_INVAL_DOMAIN && !tagged))
		sacache_invalidate_range(c, 0, UINT64_MAX);
	else if (inv->scope == IW_INVAL_DOMAIN)
		sacache_invalidate_range(c, tag, tag | ((1ull << 52) - 1));
	else
		sacache_invalidate_range(c, tag | inv->addr >> shift, tag | (inv->addr + (inv->len - 1)) >> shift);
}

static void inval_iotlb(struct sim *s, struct sim_iotlb *t, const struct iw_inval *inv, uint64_t tag)
{
	for (unsigned k = 0; k < s->nsizes; k++)
		inval_cache(&t->size[k], inv, tag, s->size_shift[k], s->shared_caches);
}

void sim_invalidate(struct sim *s, const struct iw_inval *given)
{
	struct iw_inval inv = *given;
	if (inv.scope == IW_INVAL_RANGE && s->fmt->inval_round)
		s->fmt->inval_round(&inv);
	if (inv.scope == IW_INVAL_RANGE && inv.len == 0)
		return;
	sim_op(s, OP_HOST_RPCITS, 1);
	uint64_t tag = fn_tag(s);
	/* The function's IOTLBs: its devices' (v1: every DMA stream), or its entries in the bridge's. */
	if (s->shared_caches) {
		if (s->shared_iotlb)
			inval_iotlb(s, s->shared_iotlb, &inv, tag);
	} else {
		for (unsigned i = 0; i < s->ndevs; i++)
			if (inv.scope == IW_INVAL_GLOBAL || fn_of(s, s->devs[i])->asid == s->cur->asid)
				inval_iotlb(s, s->iotlb[s->devs[i]], &inv, tag);
	}
	if (inv.leaf_only)
		return;
	for (unsigned i = 0; i < s->nwc; i++) {
		if (s->shared_caches)
			inval_cache(&s->wc[i], &inv, tag, s->wc_shift[i], true);
		else
			for (unsigned k = 0; k < s->nfns; k++)
				if (inv.scope == IW_INVAL_GLOBAL || s->fns[k]->asid == s->cur->asid)
					inval_cache(&s->fns[k]->wc[i], &inv, tag, s->wc_shift[i], false);
	}
}

void sim_cpu_refs(struct sim *s, enum comp c, const uint64_t *refs, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		sim_cpu_ref(s, c, refs[i]);
}

int sim_memslot_search(struct sim *s, uint64_t gfn)
{
	struct vm_probe p;
	int i = vm_memslot_search(s->vm, gfn, &p);
	sim_op(s, OP_MEMSLOT_SEARCHES, 1);
	sim_op(s, OP_MEMSLOT_PROBES, p.nrefs);
	if (p.cache_hit)
		sim_op(s, OP_MEMSLOT_CACHE_HITS, 1);
	sim_cpu_refs(s, COMP_MEMSLOT, p.refs, p.nrefs);
	return i;
}

/* The pinned-page gauge's time integral, brought up to time t. */
static void pinned_until(struct sim *s, uint64_t t)
{
	if (t <= s->pinned_since)
		return;
	s->st.pinned_area += (unsigned __int128)s->pinned * (t - s->pinned_since);
	s->pinned_since = t;
}

/* The pinned-page gauge: its time integral, peak and current value, over the statistics window. */
static void pinned_change(struct sim *s, int64_t delta)
{
	pinned_until(s, s->now);
	s->pinned = (uint64_t)((int64_t)s->pinned + delta);
	if (s->pinned > s->st.pinned_peak)
		s->st.pinned_peak = s->pinned;
	s->st.pinned_end = s->pinned;
}

void sim_pin_page(struct sim *s, uint64_t head, bool large, enum iw_pin kind)
{
	const struct iw_config *c = s->cfg;
	sim_cpu_ref(s, COMP_PIN, sim_struct_page(head));
	if (kind == IW_PIN_GET) {
		/* try_grab_folio(): the head's refcount; folio_mark_accessed(): its referenced bit. */
		sim_charge(s, COMP_PIN, 2 * c->c_atomic);
	} else {
		/* try_grab_folio(FOLL_PIN): GUP_PIN_COUNTING_BIAS on the head, _pincount of a large folio;
		 * mm->pinned_vm; RLIMIT_MEMLOCK accounting (account_locked_vm() under mmap_lock). */
		sim_charge(s, COMP_PIN, (large ? 3 : 2) * c->c_atomic + c->c_mutex + c->c_call);
		sim_cpu_ref(s, COMP_PIN, SIM_MM_COUNTERS_HPA);
	}
	sim_op(s, OP_PINS, 1);
	pinned_change(s, 1);
}

void sim_unpin_page(struct sim *s, uint64_t head, bool large, enum iw_pin kind)
{
	const struct iw_config *c = s->cfg;
	sim_cpu_ref(s, COMP_UNPIN, sim_struct_page(head));
	if (kind == IW_PIN_GET) {
		/* kvm_release_pfn_dirty(): SetPageDirty + put_page. */
		sim_charge(s, COMP_UNPIN, c->c_call + 2 * c->c_atomic);
	} else {
		/* unpin_user_pages_dirty_lock(): the dirty bit under the folio lock, the bias (and _pincount)
		 * dropped; the memlock and pinned_vm accounting undone. */
		sim_charge(s, COMP_UNPIN, 2 * c->c_call + (large ? 4 : 3) * c->c_atomic + c->c_mutex);
		sim_cpu_ref(s, COMP_UNPIN, SIM_MM_COUNTERS_HPA);
	}
	sim_op(s, OP_UNPINS, 1);
	pinned_change(s, -1);
}

/* Up-front pinning of npages of guest RAM (a root or stage-2 domain): set-up, not a path. */
static void pin_upfront(struct sim *s, uint64_t npages)
{
	s->st.setup_cycles += npages * s->cfg->c_setup_pin;
	s->st.setup_pinned_pages += npages;
	pinned_change(s, (int64_t)npages);
}

/* The walk caches hold entries of the levels the format caches (sim.wc_level[], nearest the leaf first),
 * keyed by the IOVA bits above what an entry spans; each keeps what the walk found there to go on below
 * it (iw_walk.resume). They are looked up in parallel (one device.wc_cycles) and the hit nearest the leaf
 * wins. The level a walk of iova starts at (0: the root) and, when above 0, the resume value of the entry
 * above it. */
static ALWAYS_INLINE unsigned walk_cache_find(struct sim *s, uint64_t iova, uint64_t *resume)
{
	sim_charge(s, COMP_DEVICE_WALK, s->cfg->wc_cycles);
	uint64_t tag = fn_tag(s);
	for (unsigned i = 0; i < s->nwc; i++)
		if (sacache_lookup_all(wc_of(s, i), tag | iova >> s->wc_shift[i], resume)) {
			sim_op(s, OP_WALK_CACHE_HITS, 1);
			return s->wc_level[i] + 1;
		}
	return 0;
}

unsigned sim_walk_cache_lookup(struct sim *s, uint64_t iova)
{
	uint64_t resume;
	return walk_cache_find(s, iova, &resume);
}

void sim_walk_cache_fill(struct sim *s, uint64_t iova, const struct iw_walk *w, unsigned i)
{
	/* Only entries the walk went through (a next level was read) are cached. */
	if (i + 1 >= w->nrefs)
		return;
	for (unsigned k = 0; k < s->nwc; k++)
		if (w->ref_level[i] == s->wc_level[k]) {
			sacache_fill(wc_of(s, k), fn_tag(s) | iova >> s->wc_shift[k], w->resume[i]);
			return;
		}
}

/* A walk of iova (entries above level `from` found in the walk caches): its entries from `from` are
 * device references, those it went through fill the walk caches. */
static ALWAYS_INLINE void walked_from(struct sim *s, uint64_t iova, unsigned from, const struct iw_walk *w,
				       struct sim_xlate *x)
{
	for (unsigned i = 0; i < w->nrefs; i++) {
		if (w->ref_level[i] < from)
			continue;
		sim_dev_ref(s, COMP_DEVICE_WALK, w->refs[i]);
		sim_walk_cache_fill(s, iova, w, i);
	}
	x->fault = w->fault;
	x->page_bytes = w->page_bytes;
	x->writable = w->writable;
	x->frame = w->fault == IW_FAULT_NONE ? w->addr & ~(w->page_bytes - 1) : 0;
}

void sim_device_walked(struct sim *s, uint64_t iova, const struct iw_walk *w, struct sim_xlate *x)
{
	walked_from(s, iova, sim_walk_cache_lookup(s, iova), w, x);
}

/* Asserting builds: a walk from the walk caches is the whole walk's end (the caller's table keeps every
 * entry above the leaf once it is valid). */
static void check_walk_from(struct sim *s, const void *table, uint64_t iova, bool write, unsigned from,
			    const struct iw_walk *w)
{
	if (!IW_INVARIANTS_ON)
		return;
	struct iw_walk full;
	s->fmt->walk(table, iova, write, &full);
	unsigned skip = 0;
	while (skip < full.nrefs && full.ref_level[skip] < from)
		skip++;
	bool same = full.fault == w->fault && full.addr == w->addr && full.page_bytes == w->page_bytes &&
		    full.writable == w->writable && full.nrefs - skip == w->nrefs &&
		    (full.fault == IW_FAULT_NONE || full.fault_level == w->fault_level);
	for (unsigned i = 0; same && i < w->nrefs; i++)
		same = full.refs[skip + i] == w->refs[i] && full.ref_level[skip + i] == w->ref_level[i];
	IW_INVARIANT(same, "%s: the walk of iova 0x%" PRIx64 " from the walk caches (level %u) differs from the whole walk",
		     s->ops->name, iova, from);
}

void sim_device_walk(struct sim *s, const void *table, uint64_t iova, bool write, struct sim_xlate *x)
{
	struct iw_walk w;
	uint64_t resume = 0;
	unsigned from = walk_cache_find(s, iova, &resume);
	if (from && s->fmt->walk_from) {
		/* What the walk caches hold is what the hardware goes on from: only the rest is read. */
		s->fmt->walk_from(table, iova, write, from, resume, &w);
		check_walk_from(s, table, iova, write, from, &w);
	} else {
		s->fmt->walk(table, iova, write, &w);
	}
	walked_from(s, iova, from, &w, x);
}

/* ---- the reference check ---- */

static bool matches(struct sim *s, uint64_t want, bool write, const struct sim_xlate *x, uint64_t iova, uint64_t addr)
{
	const struct iw_format *f = s->fmt;
	uint64_t ap = f->aperture(s->model->guest_table(s->cur->guest));
	if (ap && iova >= ap)
		return x->fault == f->fault_out_of_range; /* nothing can be mapped there */
	if (want == 0)
		return x->fault == f->fault_invalid;
	bool ro = (want & CHECK_RO) != 0;
	uint64_t hpa;
	if (!vm_gpa_to_hpa(s->vm, (want >> 2) << 12, &hpa)) {
		/* Mapped to a gpa outside guest RAM: untranslatable; a write to it through a read-only mapping
		 * may equally stop at the protection check (a 2-D walk meets it before stage 2). */
		return x->fault == f->fault_invalid || (write && ro && x->fault == f->fault_protection);
	}
	if (write && ro)
		return x->fault == f->fault_protection;
	uint64_t got = x->frame + ((addr & ~0xfffull) & (x->page_bytes - 1));
	return x->fault == IW_FAULT_NONE && got == hpa && x->writable == !ro;
}

/* Whether the reference map allows translation x of iova: the synced view, or for a page changed since
 * its last RPCIT, the current or any intermediate mapping. ro_write: a write through what the guest
 * mapped read-only when the DMA was issued (strategies with a bus address, whose check it is). */
static bool xlate_allowed(struct sim *s, uint64_t iova, uint64_t addr, bool write, bool ro_write, const struct sim_xlate *x)
{
	uint64_t pfn = iova >> 12;
	if (s->ops->dma_addr) {
		/* The device put a bus address on the bus (the gpa the guest had mapped when the DMA was made,
		 * checked then): the translation must be that of the bus address through guest RAM. */
		if (addr == NO_BUS_ADDR)
			return x->fault == s->fmt->fault_invalid;
		uint64_t hpa;
		if (!vm_gpa_to_hpa(s->vm, addr & ~0xfffull, &hpa)) /* not guest RAM: beyond the table or unmapped */
			return x->fault == s->fmt->fault_invalid || x->fault == s->fmt->fault_out_of_range;
		/* A write through a read-only guest mapping must fault, unless the strategy gives up the
		 * guest's protection (relaxed translation: it must then succeed). */
		if (ro_write && !s->ops->unprotected)
			return x->fault == s->fmt->fault_protection;
		return x->fault == IW_FAULT_NONE && x->frame + ((addr & ~0xfffull) & (x->page_bytes - 1)) == hpa &&
		       (x->writable || !write);
	}
	if (matches(s, checker_synced(&s->cur->ref, pfn), write, x, iova, addr))
		return true;
	if (checker_in_sync(&s->cur->ref, pfn))
		return false;
	const struct checker_dirty *d = checker_dirty_of(&s->cur->ref, pfn);
	if (d->overflow || matches(s, checker_guest(&s->cur->ref, pfn), write, x, iova, addr))
		return true;
	for (unsigned i = 0; i < d->nseen; i++)
		if (matches(s, d->seen[i], write, x, iova, addr))
			return true;
	return false;
}

static int check_xlate(struct sim *s, uint16_t dev, uint64_t iova, uint64_t addr, bool write, bool ro_write,
		       const struct sim_xlate *x, uint64_t recno)
{
	uint64_t pfn = iova >> 12;
	uint64_t synced = checker_synced(&s->cur->ref, pfn);
	bool in_sync = checker_in_sync(&s->cur->ref, pfn);
	s->st.ops[OP_CHECKED]++;
	if (xlate_allowed(s, iova, addr, write, ro_write, x))
		return 0;
	s->recno = recno;
	s->check_failed = true;
	return sim_fail(s,
			"check failed: strategy %s, DMA dev %u %s iova 0x%" PRIx64 ": got %s frame 0x%" PRIx64
			"%s, reference expects %s gpa page 0x%" PRIx64 "%s",
			s->ops->name, dev, write ? "write" : "read", iova, iw_fault_name(s->fmt, x->fault), x->frame,
			x->writable ? " rw" : " ro", synced ? "mapped" : "unmapped", (synced >> 2) << 12,
			in_sync ? "" : " (or the unrefreshed guest view)");
}

/* ---- DMA translations ---- */

static struct sim_iotlb *new_iotlb(const struct sim *s)
{
	struct sim_iotlb *t = iw_calloc(1, sizeof(*t));
	for (unsigned i = 0; t && i < s->nsizes; i++)
		if (cache_init(&t->size[i], s->size_entries[i], s->cfg->iotlb_ways) < 0) {
			iotlb_free(s, t);
			return NULL;
		}
	return t;
}

/* The IOTLB device dev looks up: its own, or the bridge's when caches are shared. */
static struct sim_iotlb *iotlb_of(struct sim *s, uint16_t dev)
{
	struct sim_iotlb *c = s->iotlb[dev];
	if (c)
		return c;
	if (s->shared_caches)
		c = s->shared_iotlb ? s->shared_iotlb : (s->shared_iotlb = new_iotlb(s));
	else
		c = new_iotlb(s);
	if (!c)
		return NULL;
	s->iotlb[dev] = c;
	s->devs[s->ndevs++] = dev;
	return c;
}

/* The 4 KiB structure of device dev's IOTLB (NULL before its first use): every IOTLB's first probe. */
static inline struct sacache *iotlb_4k(const struct sim *s, uint16_t dev)
{
	struct sim_iotlb *t = s->iotlb[dev];
	return t ? &t->size[0] : NULL;
}

/* The probes of an IOTLB's larger page sizes, after its 4 KiB structure missed (one each, in parallel
 * with it: no cycles of their own). A hit's payload in *v and its size's log2 in *shift. */
static bool iotlb_lookup_large(struct sim *s, uint16_t dev, uint64_t addr, uint64_t *v, unsigned *shift)
{
	struct sim_iotlb *t = s->iotlb[dev];
	for (unsigned k = 1; k < s->nsizes; k++)
		if (sacache_lookup(&t->size[k], fn_tag(s) | addr >> s->size_shift[k], v)) {
			*shift = s->size_shift[k];
			return true;
		}
	return false;
}

/* Fills device dev's IOTLB with translation x of addr: in the structure of x's page size when the IOTLB
 * has one, else as the 4 KiB page of addr. */
static void iotlb_fill(struct sim *s, uint16_t dev, uint64_t addr, const struct sim_xlate *x)
{
	struct sim_iotlb *t = s->iotlb[dev];
	for (unsigned k = s->nsizes; k-- > 1;)
		if (x->page_bytes == 1ull << s->size_shift[k]) {
			sacache_fill(&t->size[k], fn_tag(s) | addr >> s->size_shift[k], x->frame | (x->writable ? 1 : 0));
			return;
		}
	uint64_t page = (x->frame + (addr & (x->page_bytes - 1))) & ~0xfffull;
	sacache_fill(&t->size[0], fn_tag(s) | addr >> 12, page | (x->writable ? 1 : 0));
}

/* n translations of the current function, of `cycles` each, on the DMA path. */
static inline void count_translations(struct sim *s, uint64_t cycles, uint64_t n)
{
	s->st.dma_cycles += n * cycles;
	hist_add(&s->st.dma, cycles, n);
	s->st.ops[OP_DMA_PAGES] += n;
	s->cur->st.translations += n;
	s->cur->st.dma_cycles += n * cycles;
}

static ALWAYS_INLINE int finish_translation(struct sim *s, uint16_t dev, uint64_t iova, uint64_t addr, bool write,
					     bool unprot, const struct sim_xlate *x, uint64_t recno)
{
	count_translations(s, s->op_cycles, 1);
	if (x->fault != IW_FAULT_NONE) {
		s->st.faults[x->fault]++;
		s->cur->st.faults++;
	}
	else if (unprot)
		s->st.ops[OP_UNPROTECTED_WRITES]++;
	if (s->check)
		return check_xlate(s, dev, iova, addr, write, unprot, x, recno);
	/* Asserting builds: nothing the device uses (IOTLB entry or walk) may disagree with the reference. */
	IW_INVARIANT(!IW_INVARIANTS_ON || !s->cur->ref.full || xlate_allowed(s, iova, addr, write, unprot, x),
		     "%s: translation of iova 0x%" PRIx64 " (%s frame 0x%" PRIx64 ") not allowed by the reference map, record %" PRIu64,
		     s->ops->name, iova, iw_fault_name(s->fmt, x->fault), x->frame, recno);
	return 0;
}

/* Whether walker w's release event, had it been pushed, would already have been handled at the current
 * place in the event order: before the event being handled, or (outside events) at or before now. */
static inline bool released(const struct sim *s, const struct walker *w)
{
	return w->done < s->now || (w->done == s->now && w->seq < s->pos_seq);
}

/* A walker slot free at the current place in the order, or -1 when all are busy. */
static int free_walker(struct sim *s)
{
	for (unsigned i = 0; i < s->cfg->walkers; i++) {
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
static int push_releases(struct sim *s)
{
	for (unsigned i = 0; i < s->cfg->walkers; i++) {
		struct walker *w = &s->walkers[i];
		if (w->busy && !w->pushed) {
			if (evq_push_seq(&s->q, w->done, w->seq, EV_WALK_DONE, i) < 0)
				return sim_fail(s, "out of memory (event queue)");
			w->pushed = true;
		}
	}
	return 0;
}

static ALWAYS_INLINE int do_walk(struct sim *s, const struct pending_walk *p, uint64_t pre_cycles, bool was_queued,
				  unsigned slot)
{
	s->op_cycles = pre_cycles;
	if (was_queued)
		s->queued_cycles -= pre_cycles;
	uint64_t waited = s->now - p->arrival; /* for a walker slot */
	sim_charge(s, COMP_QUEUE, waited);
	uint64_t before = s->op_cycles;
	struct sim_xlate x;
	/* A queued walk's function is looked up again; a walk started by its translation runs with the
	 * function its caller set. */
	if (was_queued)
		s->cur = fn_of(s, p->dev);
	IW_INVARIANT(!IW_INVARIANTS_ON || s->cur == fn_of(s, p->dev), "walk of device %u under another function's state",
		     p->dev);
	s->ops->dma_walk(s->cur->strat, p->addr, p->write, &x);
	if (x.fault == IW_FAULT_NONE)
		iotlb_fill(s, p->dev, p->addr, &x);
	uint64_t done = SIM_TIME_MAX;
	if (time_add(s, s->now, s->op_cycles - before, &done) < 0)
		return -1;
	struct walker *w = &s->walkers[slot];
	*w = (struct walker){.done = done, .seq = evq_reserve_seq(&s->q), .busy = true, .pushed = false};
	if (s->walkq_len && push_releases(s) < 0) /* translations still wait: releases are events */
		return -1;
	return finish_translation(s, p->dev, p->iova, p->addr, p->write, p->unprot, &x, p->recno);
}

static int translate_looked_up(struct sim *s, uint16_t dev, uint64_t iova, uint64_t addr, bool write, bool unprot,
			       bool hit, uint64_t v);

/* A page's bus address as a strategy with dma_addr gave it when the DMA record was applied: the address,
 * with BUS_RO set when the guest had mapped it read-only, or NO_BUS_ADDR (none: the DMA faults). */
#define BUS_RO 1ull

/* The entry of page pfn in a DMA's bus addresses (struct stream.bus). */
static inline const uint64_t *bus_of(const uint64_t *bus, uint64_t pfn) { return &bus[1 + (pfn - bus[0])]; }

static int translate_page(struct sim *s, uint16_t dev, uint64_t iova, bool write, uint64_t recno, const uint64_t *bus)
{
	s->recno = recno;
	if (!s->iotlb[dev] && s->ndevs >= s->cfg->max_devices)
		return sim_fail(s, "DMA from more than %" PRIu64 " devices (each has its own IOTLB); raise run.max_devices",
				s->cfg->max_devices);
	struct sim_iotlb *t = iotlb_of(s, dev);
	if (!t)
		return sim_fail(s, "out of memory (IOTLB)");
	s->cur = fn_of(s, dev);
	s->op_cycles = 0;
	uint64_t addr = iova;
	bool unprot = false;
	if (bus) {
		/* The bus address the driver handed the device when the DMA was issued (relaxed translation:
		 * gpa + window start, fixed at map time; a later IOVA unmap cannot change it). */
		if (*bus == NO_BUS_ADDR) {
			/* No bus address for it (an IOVA the guest had not mapped): nothing to translate. */
			struct sim_xlate x = {.fault = s->fmt->fault_invalid, .frame = 0, .page_bytes = 4096, .writable = false};
			return finish_translation(s, dev, iova, NO_BUS_ADDR, write, false, &x, s->recno);
		}
		addr = *bus & ~BUS_RO;
		unprot = write && (*bus & BUS_RO); /* relaxed translation: the guest's read-only mapping does not stop it */
	}
	sim_charge(s, COMP_IOTLB, s->cfg->iotlb_cycles);
	uint64_t v = 0;
	bool hit = sacache_lookup(&t->size[0], fn_tag(s) | addr >> 12, &v);
	return translate_looked_up(s, dev, iova, addr, write, unprot, hit, v);
}

/* A translation after its IOTLB lookup (charged; hit: its payload v): a hit's result, or the walk now
 * or queued for a walker slot. */
static int translate_looked_up(struct sim *s, uint16_t dev, uint64_t iova, uint64_t addr, bool write, bool unprot,
			       bool hit, uint64_t v)
{
	unsigned shift = 12;
	if (!hit && s->nsizes > 1)
		hit = iotlb_lookup_large(s, dev, addr, &v, &shift);
	if (hit) {
		s->st.ops[OP_IOTLB_HITS]++;
		uint64_t bytes = 1ull << shift;
		struct sim_xlate x = {.fault = IW_FAULT_NONE, .frame = v & ~(bytes - 1), .page_bytes = bytes, .writable = v & 1};
		if (write && !x.writable)
			x.fault = s->fmt->fault_protection;
		return finish_translation(s, dev, iova, addr, write, unprot, &x, s->recno);
	}
	s->st.ops[OP_IOTLB_MISSES]++;
	struct pending_walk p = {.arrival = s->now, .iova = iova, .addr = addr, .dev = dev, .write = write, .unprot = unprot,
				 .recno = s->recno};
	int slot = s->walkq_len == 0 ? free_walker(s) : -1;
	if (slot >= 0)
		return do_walk(s, &p, s->op_cycles, false, (unsigned)slot);
	/* All walker slots busy: queue; the IOTLB lookup's cycles travel with it. */
	if (s->walkq_len == s->walkq_cap &&
	    ring_grow(&s->walkq, sizeof(*s->walkq), &s->walkq_head, s->walkq_len, &s->walkq_cap, 64) < 0)
		return sim_fail(s, "out of memory (walk queue)");
	s->walkq[(s->walkq_head + s->walkq_len++) % s->walkq_cap] = p;
	s->queued_cycles += s->op_cycles;
	s->st.ops[OP_WALKS_QUEUED]++;
	return push_releases(s);
}

/* The earliest streaming DMA (NULL when none). */
static inline const struct stream *stream_first(const struct sim *s)
{
	return s->stream_len ? &s->streams[s->stream_head] : NULL;
}

/* Whether DMA stream st comes before event e (NULL: none) in the event order. */
static inline bool stream_before_ev(const struct stream *st, const struct ev *e)
{
	return !e || st->cycle < e->cycle || (st->cycle == e->cycle && st->seq < e->seq);
}

/* The ring of streams, twice as large (the order kept). */
static int streams_grow(struct sim *s)
{
	if (ring_grow(&s->streams, sizeof(*s->streams), &s->stream_head, s->stream_len, &s->stream_cap, 16) < 0)
		return sim_fail(s, "out of memory (DMA streams)");
	return 0;
}

/* Puts x in the ring after every stream due at or before its cycle (its sequence number is the
 * largest: it goes after every equal cycle); the ring has room. Its place (0: first). */
static inline uint64_t stream_insert(struct sim *s, const struct stream *x)
{
	uint64_t m = s->stream_cap - 1, i = s->stream_len;
	for (; i > 0 && s->streams[(s->stream_head + i - 1) & m].cycle > x->cycle; i--)
		s->streams[(s->stream_head + i) & m] = s->streams[(s->stream_head + i - 1) & m];
	s->streams[(s->stream_head + i) & m] = *x;
	s->stream_len++;
	return i;
}

/* Schedules the rest of a DMA (npages from page pfn, the first due at cycle): a sequence number is taken
 * as a pushed event's would be. */
static inline int stream_add(struct sim *s, uint64_t cycle, uint16_t dev, bool write, uint64_t pfn, uint64_t npages,
			     uint64_t recno, uint64_t *bus)
{
	if (s->stream_len == s->stream_cap && streams_grow(s) < 0)
		return -1;
	struct stream x = {.cycle = cycle, .seq = evq_reserve_seq(&s->q), .pfn = pfn, .npages = npages, .recno = recno,
			   .bus = bus, .dev = dev, .write = write};
	stream_insert(s, &x);
	return 0;
}

/* IOTLB hits that needed nothing but their lookup, counted at once: n translations of the current
 * function, each of the lookup's cycles alone (what translate_page() and finish_translation() count
 * for each). */
static void count_hits(struct sim *s, uint64_t n)
{
	if (!n)
		return;
	s->st.comp[COMP_IOTLB] += n * s->cfg->iotlb_cycles;
	s->st.ops[OP_IOTLB_HITS] += n;
	count_translations(s, s->cfg->iotlb_cycles, n);
}

/* Page pfn of a DMA of function f, at s->now; c: the device's IOTLB where hits may be counted in runs
 * (stream_iotlb()), else NULL (the whole translation, which creates the IOTLB on first use). A hit with
 * nothing else to do (no bus address to compute, no check, no fault) is only counted in *run
 * (count_hits() adds the run later); each still looks the IOTLB up (its LRU order) in its turn. Asserting builds take the same path: their per-translation check
 * compares with the full reference map, which only --check keeps, and --check takes the slow path.
 * 0 (such a hit), 1 (translated in full) or -1 (the run stops). */
static inline int stream_page(struct sim *s, struct sim_fn *f, struct sacache *c, uint16_t dev, bool write, uint64_t pfn,
			      uint64_t recno, const uint64_t *bus, uint64_t *run)
{
	if (!c)
		return translate_page(s, dev, pfn << 12, write, recno, bus ? bus_of(bus, pfn) : NULL) < 0 ? -1 : 1;
	s->cur = f;
	uint64_t v = 0;
	bool hit = sacache_lookup(c, fn_tag(s) | pfn, &v);
	if (hit && (!write || (v & 1))) {
		++*run;
		return 0;
	}
	count_hits(s, *run);
	*run = 0;
	s->recno = recno;
	s->op_cycles = 0;
	sim_charge(s, COMP_IOTLB, s->cfg->iotlb_cycles);
	return translate_looked_up(s, dev, pfn << 12, pfn << 12, write, false, hit, v) < 0 ? -1 : 1;
}

/* The IOTLB whose hits stream_page() may count in runs: the device's, once it exists, with no check and
 * no bus address to compute (sim.hits_fast). */
static inline struct sacache *stream_iotlb(const struct sim *s, uint16_t dev)
{
	return s->hits_fast ? iotlb_4k(s, dev) : NULL;
}

/* *tk = the time of page k of a DMA whose pages from start are gap apart (page k - 1 at prev), or the
 * run stops (-1) where that would pass SIM_TIME_MAX (npages: the pages streamed from start). */
static inline int stream_next_time(struct sim *s, uint64_t start, uint64_t prev, uint64_t gap, uint64_t k,
				   uint64_t npages, uint64_t *tk)
{
	if (gap <= SIM_TIME_MAX - prev) {
		*tk = prev + gap;
		return 0;
	}
	if (k > SIM_TIME_MAX / gap || time_add(s, start, k * gap, tk) < 0)
		return sim_fail(s, "simulated time would pass 2^63 cycles streaming a DMA of %" PRIu64 " pages", npages);
	return 0; /* not reached: start + k * gap > SIM_TIME_MAX */
}

/* A plain IOTLB hit of a page (present, and writable when the DMA writes) is taken: its line's LRU place
 * refreshed and the hit counted; anything else touches nothing (the page then goes the whole way, which
 * looks it up again and counts it). true when taken. */
static ALWAYS_INLINE bool take_plain_hit(struct sacache *c, uint64_t key, bool write)
{
	int64_t line = sacache_find(c, key);
	if (line < 0 || (write && !(c->vals[line] & 1)))
		return false;
	sacache_hit(c, line);
	return true;
}

/* A DMA streams its pages in place while they are due before this: the horizon (the next record), the
 * next event and the next stream, whichever is first. */
static inline uint64_t in_place_until(const struct sim *s)
{
	const struct ev *next = evq_peek(&s->q);
	const struct stream *ns = stream_first(s);
	uint64_t until = s->horizon;
	if (next && next->cycle < until)
		until = next->cycle;
	if (ns && ns->cycle < until)
		until = ns->cycle;
	return until;
}

/* A stretch of a DMA streaming in place from page k (page k - 1 was at s->now, a plain hit): the pages
 * due before anything else can happen (the horizon, the next event, the next stream; within SIM_TIME_MAX)
 * that are plain IOTLB hits are only looked up, counted in *run, and the time set once after them. The
 * pages taken; the first that is not a plain hit goes as any page. */
static inline uint64_t stretch_pages(struct sim *s, struct sim_fn *f, struct sacache *c, bool write, uint64_t pfn,
				     uint64_t k, uint64_t npages, uint64_t *run)
{
	const uint64_t gap = s->cfg->page_gap_cycles, k0 = k, until = in_place_until(s);
	const uint64_t lim = until < SIM_TIME_MAX + 1 ? until : SIM_TIME_MAX + 1;
	uint64_t t = s->now;
	s->cur = f;
	const uint64_t tag = fn_tag(s);
	for (; k < npages && t < lim && gap < lim - t; k++) {
		if (!take_plain_hit(c, tag | (pfn + k), write))
			break;
		t += gap;
	}
	if (k > k0) {
		*run += k - k0;
		set_now(s, t);
		s->pos_seq = UINT64_MAX; /* in place: every release at or before t is done */
	}
	return k - k0;
}

/* Translates npages consecutive pages of a DMA (its record's) from page number pfn, the first at s->now
 * and each next one device.page_gap_cycles later. A page is translated right away when nothing else can
 * happen before its time (no earlier event or DMA stream, no earlier record: the result is the same as
 * through the queue); otherwise the rest of the DMA is scheduled as a stream (stream_add()), which
 * stream_turns() takes up. After a plain hit, the pages that follow go in a stretch (stretch_pages()). */
static int stream_pages(struct sim *s, uint16_t dev, bool write, uint64_t pfn, uint64_t npages, uint64_t recno,
			uint64_t *bus)
{
	uint64_t start = s->now, gap = s->cfg->page_gap_cycles, run = 0;
	struct sim_fn *f = fn_of(s, dev);
	struct sacache *c = stream_iotlb(s, dev);
	for (uint64_t k = 0; k < npages; k++) {
		if (k > 0) {
			uint64_t tk;
			if (stream_next_time(s, start, s->now, gap, k, npages, &tk) < 0)
				goto fail;
			if (tk >= in_place_until(s)) {
				s->cur = f;
				count_hits(s, run);
				if (stream_add(s, tk, dev, write, pfn + k, npages - k, recno, bus) < 0)
					goto fail;
				return 0; /* the stream owns bus now */
			}
			set_now(s, tk);
			s->pos_seq = UINT64_MAX; /* in place: every release at or before tk is done */
		}
		int rc = stream_page(s, f, c, dev, write, pfn + k, recno, bus, &run);
		if (rc < 0)
			goto fail;
		if (rc > 0 && !c)
			c = stream_iotlb(s, dev);
		if (rc == 0 && k + 1 < npages) /* a plain hit: the pages after it may go in a stretch */
			k += stretch_pages(s, f, c, write, pfn, k + 1, npages, &run);
	}
	s->cur = f;
	count_hits(s, run);
	iw_free(bus);
	return 0;
fail:
	iw_free(bus);
	return -1;
}

/* A strategy with dma_addr: the bus addresses of a DMA's npages pages from pfn, taken when its record is
 * applied (the driver hands the device its addresses when it issues the DMA), for its stream; with the
 * check, each must be the guest's mapping of its IOVA now. 0 and *busp (struct stream.bus), or -1. */
static int bus_take(struct sim *s, uint16_t dev, uint64_t pfn, uint64_t npages, uint64_t **busp)
{
	*busp = NULL;
	if (npages > (SIZE_MAX / sizeof(uint64_t)) - 1)
		return sim_fail(s, "out of memory (bus addresses of a DMA of %" PRIu64 " pages)", npages);
	uint64_t *bus = iw_malloc((npages + 1) * sizeof(uint64_t));
	if (!bus)
		return sim_fail(s, "out of memory (bus addresses of a DMA of %" PRIu64 " pages)", npages);
	bus[0] = pfn;
	s->cur = fn_of(s, dev);
	for (uint64_t k = 0; k < npages; k++) {
		uint64_t iova = (pfn + k) << 12, addr = 0;
		bool ro = false;
		bool have = s->ops->dma_addr(s->cur->strat, iova, &addr, &ro);
		/* The bus address must be the guest's current mapping of iova (the reference's guest view). */
		uint64_t want = checker_guest(&s->cur->ref, iova >> 12);
		if (s->check && (have ? !want || (want >> 2) << 12 != addr : want != 0)) {
			iw_free(bus);
			s->check_failed = true;
			return sim_fail(s, "check failed: strategy %s, DMA dev %u iova 0x%" PRIx64 ": bus address %s, the guest maps it to %s 0x%" PRIx64,
					s->ops->name, dev, iova, have ? "given" : "none", want ? "gpa" : "nothing", (want >> 2) << 12);
		}
		bus[1 + k] = have ? addr | (ro ? BUS_RO : 0) : NO_BUS_ADDR;
	}
	*busp = bus;
	return 0;
}

/* A turn of function sf: when the hits counted in *run so far were another function's (*f), they are
 * counted for it, and the run and s->cur become sf's. */
static inline void turn_of(struct sim *s, struct sim_fn **f, struct sim_fn *sf, uint64_t *run)
{
	if (sf == *f)
		return;
	if (*f) {
		s->cur = *f;
		count_hits(s, *run);
	}
	*run = 0;
	*f = sf;
	s->cur = sf;
}

/* Where the DMA streams take turns, state that lives across turns: the function whose hits are counted
 * in run, the device of the last turn and its function, and the pages the current stream streams in
 * place (from start, npages of them: the overflow message's; in_place: the next turn continues them). */
struct turns {
	uint64_t run, start, npages;
	struct sim_fn *f, *sf;
	uint32_t dev;
	bool in_place;
};

/* Rings of at most STRETCH_STREAMS streams are first looked over for a stretch of turns without checks. */
#define STRETCH_STREAMS 64

/* Turns that are IOTLB hits needing nothing else (sim.hits_fast), taken round by round without moving a
 * stream after each: with one page gap for every stream, each stream is due within a gap of the ring's
 * first (a stream's next page is a gap after its last, which was at or before now), so the stream just
 * handled goes last and the ring turns round. The k streams' turns are then turn j = r * k + i: stream i
 * of the ring at its cycle + r gaps, with the sequence number the one-by-one turns would have reserved
 * for it (base + (r - 1) * k + i; its own from r = 0). The ring is brought up to date (cycles, pages,
 * sequence numbers, order) when a stream ends or the rounds stop: before the first turn that is not
 * such a hit (not looked up: the turn one by one does it), due at or after the horizon or not before the
 * next event, or whose next page would pass SIM_TIME_MAX. first: the ring's first is due without a
 * check (advance() found it). The turns taken (0: none, the ring as it was). */
static uint64_t stream_rounds(struct sim *s, struct turns *tu, const struct ev *next, bool first)
{
	/* Locals for what stays the same over the rounds (stores to the IOTLB's lines could otherwise alias
	 * them). No next event: one at the end of time, after everything. */
	const uint64_t gap = s->cfg->page_gap_cycles, horizon = s->horizon;
	const uint64_t ev_cycle = next ? next->cycle : UINT64_MAX, ev_seq = next ? next->seq : UINT64_MAX;
	uint64_t m = s->stream_cap - 1, done = 0, run = tu->run, start = tu->start, npages = tu->npages, now = s->now;
	struct sim_fn *f = tu->f, *sf = tu->sf;
	uint32_t dev = tu->dev;
	bool in_place = tu->in_place;
	struct sacache *c = dev != UINT32_MAX ? iotlb_4k(s, dev) : NULL;
again:;
	struct stream *ring = s->streams;
	uint64_t k = s->stream_len, h = s->stream_head, base = s->q.next_seq, r = 0, roff = 0, i = 0;
	if (!k || ring[(h + k - 1) & m].cycle - ring[h].cycle > gap)
		goto out; /* not a ring that turns round (never seen; the turns one by one handle it) */
	if (k == 1 && !in_place) { /* its turns will continue in place from here (if it has any) */
		start = ring[h].cycle;
		npages = ring[h].npages;
	}
	/* Turns due before both are taken without a closer look; t_safe: the last time whose next page is
	 * within SIM_TIME_MAX. */
	const uint64_t limit = horizon < ev_cycle ? horizon : ev_cycle, t_safe = SIM_TIME_MAX - gap;
	bool ended = false;
	if (k <= STRETCH_STREAMS) {
		/* A stretch without the checks: streams of one device, every turn of the rounds due before the
		 * limit and at most t_safe, up to the first last page (turn e). Each of its turns is only the
		 * lookup (the streams' next pages and directions copied to locals first); the first that is not
		 * a plain hit stops it as it stops the turns below. */
		uint16_t d0 = ring[h].dev;
		uint64_t npmin = UINT64_MAX, pmin = 0, pfn[STRETCH_STREAMS];
		bool wr[STRETCH_STREAMS];
		for (uint64_t p = 0; p < k; p++) {
			const struct stream *sp = &ring[(h + p) & m];
			if (sp->dev != d0)
				goto careful;
			if (sp->npages < npmin) { /* the first of the fewest pages ends first */
				npmin = sp->npages;
				pmin = p;
			}
			pfn[p] = sp->pfn;
			wr[p] = sp->write;
		}
		uint64_t e = (npmin - 1) * k + pmin; /* its last turn (npages <= 2^52: no overflow) */
		if (d0 != dev) {
			dev = d0;
			sf = fn_of(s, dev);
			c = iotlb_4k(s, dev);
		}
		if (!c)
			goto careful;
		/* The turns of the stretch: up to e when the rounds it spans (npmin) are all clear, the latest
		 * turn of the last of them due at tmax + (npmin - 1) gaps; else the clear rounds only. */
		uint64_t tmax = ring[(h + k - 1) & m].cycle, J = e + 1, span;
		if (__builtin_mul_overflow(npmin - 1, gap, &span) || span > t_safe || tmax > t_safe - span ||
		    tmax + span >= limit) {
			uint64_t rl = tmax >= limit ? 0 : gap ? (limit - tmax - 1) / gap + 1 : UINT64_MAX;
			uint64_t rs = tmax > t_safe ? 0 : gap ? (t_safe - tmax) / gap + 1 : UINT64_MAX;
			uint64_t rounds = rl < rs ? rl : rs;
			if (rounds < npmin) /* rounds * k < J */
				J = rounds * k;
		}
		if (J) {
			turn_of(s, &f, sf, &run);
			const uint64_t tag = fn_tag(s);
			uint64_t j = 0;
			for (; j < J; j++) {
				if (!take_plain_hit(c, tag | (pfn[i] + r), wr[i]))
					break;
				if (++i == k) {
					i = 0;
					r++;
					roff += gap;
				}
			}
			run += j;
			if (j) {
				first = false;
				now = i ? ring[(h + i - 1) & m].cycle + roff : ring[(h + k - 1) & m].cycle + roff - gap;
				IW_INVARIANT(!IW_INVARIANTS_ON || (now < limit && now <= t_safe),
					     "DMA streams: a turn at cycle %" PRIu64 " taken without its checks (limit %" PRIu64 ")",
					     now, limit);
				if (j == e + 1) {
					ended = true;
					goto taken;
				}
			}
			if (j < J)
				goto taken; /* a turn that is not a plain hit: the turn one by one takes it */
		}
	}
careful:
	for (;; first = false) {
		const struct stream *st = &ring[(h + i) & m];
		uint64_t t = st->cycle + roff;
		if (t >= limit && !first) {
			uint64_t seq = r ? base + (r - 1) * k + i : st->seq;
			if (t >= horizon || t > ev_cycle || (t == ev_cycle && seq > ev_seq))
				break;
		}
		bool last = st->npages == r + 1;
		if (t > t_safe && !last)
			break; /* its next page would pass SIM_TIME_MAX: the turn one by one says so */
		if (st->dev != dev) {
			dev = st->dev;
			sf = fn_of(s, dev);
			c = iotlb_4k(s, dev);
		}
		if (!c)
			break;
		turn_of(s, &f, sf, &run);
		if (!take_plain_hit(c, fn_tag(s) | (st->pfn + r), st->write))
			break;
		run++;
		now = t;
		if (++i == k) {
			i = 0;
			r++;
			roff += gap; /* at most t + gap: within SIM_TIME_MAX (checked above) */
		}
		if (last) { /* the stream ends: the ring brought up to date without it */
			ended = true;
			break;
		}
	}
	/* Bring the ring up to date: stream p has had r + (p < i) turns (the last of them its last page if it
	 * ended), and the i first go last (ring order after the turns one by one). */
taken:;
	uint64_t turns = r * k + i;
	if (!turns)
		goto out;
	in_place = k == 1 && !ended; /* one stream: its next turn continues its pages in place */
	if (ended && i == 0) { /* the one that ended closed a round: it was the last of the ring */
		r--;
		i = k;
	}
	for (uint64_t p = 0; p < k; p++) {
		struct stream *st = &ring[(h + p) & m];
		uint64_t d = r + (p < i);
		if (!d || (ended && p == i - 1))
			continue;
		st->cycle += d * gap; /* its last turn's cycle + gap: within SIM_TIME_MAX (checked) */
		st->pfn += d;
		st->npages -= d;
		st->seq = base + (d - 1) * k + p;
	}
	s->q.next_seq = base + turns - ended;
	if (i < k) {
		/* Rotate by i: the first i go after the last (room made first: the ring has k + i slots). */
		while (s->stream_cap < k + i) {
			if (streams_grow(s) < 0)
				return UINT64_MAX;
			m = s->stream_cap - 1;
			h = s->stream_head;
			ring = s->streams;
		}
		for (uint64_t p = 0; p < i; p++)
			ring[(h + k + p) & m] = ring[(h + p) & m];
		s->stream_head = (h + i) & m;
	}
	if (ended)
		s->stream_len--; /* it is the ring's last now */
	done += turns;
	if (ended) {
		first = false;
		goto again;
	}
out:
	if (done)
		set_now(s, now);
	tu->run = run;
	tu->start = start;
	tu->npages = npages;
	tu->f = f;
	tu->sf = sf;
	tu->dev = dev;
	tu->in_place = in_place;
	return done;
}

/* The DMA streams take turns, page by page, from the ring's first (which advance() found due, before the
 * next event): after each page a stream's rest goes back in the ring with a new sequence number (what a
 * pushed event would get then), and the ring's first is handled next while it is due before the
 * horizon and before the next event. A stream that comes first again right after its page continues in
 * place (as stream_pages() would: every release at or before its time is done); one taken in turn has
 * its sequence number as its place. Hits of one function are counted in one run. */
static int stream_turns(struct sim *s)
{
	uint64_t gap = s->cfg->page_gap_cycles;
	struct turns tu = {.dev = UINT32_MAX};
	const struct ev *next = evq_peek(&s->q);
	bool rounds = s->hits_fast; /* whether the next turn may start rounds */
	for (bool first = true;; first = false) {
		struct stream *st = &s->streams[s->stream_head];
		if (!first && (!s->stream_len || st->cycle >= s->horizon || !stream_before_ev(st, next)))
			break;
		if (rounds) {
			uint64_t n = stream_rounds(s, &tu, next, first);
			if (n == UINT64_MAX)
				return -1;
			if (n) { /* they stopped before a turn they could not take: it goes one by one */
				rounds = false;
				continue;
			}
		}
		rounds = s->hits_fast;
		set_now(s, st->cycle);
		if (tu.in_place) {
			s->pos_seq = UINT64_MAX;
		} else { /* a new turn: the pages it streams in place count from here */
			s->pos_seq = st->seq;
			tu.start = st->cycle;
			tu.npages = st->npages;
		}
		if (st->dev != tu.dev) {
			tu.dev = st->dev;
			tu.sf = fn_of(s, st->dev);
		}
		turn_of(s, &tu.f, tu.sf, &tu.run);
		int rc = stream_page(s, tu.f, stream_iotlb(s, st->dev), st->dev, st->write, st->pfn, st->recno, st->bus, &tu.run);
		if (rc < 0)
			return -1;
		if (rc > 0) /* translated in full: events may have come or gone */
			next = evq_peek(&s->q);
		struct stream x = *st;
		s->stream_head = (s->stream_head + 1) & (s->stream_cap - 1);
		s->stream_len--;
		tu.in_place = false;
		if (x.npages == 1) {
			iw_free(x.bus);
			continue;
		}
		if (stream_next_time(s, tu.start, x.cycle, gap, tu.npages - x.npages + 1, tu.npages, &x.cycle) < 0)
			return -1;
		x.seq = evq_reserve_seq(&s->q);
		x.pfn++;
		x.npages--;
		tu.in_place = stream_insert(s, &x) == 0;
	}
	s->cur = tu.f;
	count_hits(s, tu.run);
	return 0;
}

/* ---- RPCIT on the vCPU ---- */

/* How an RPCIT comes about: the trace's, the final flush after the trace, or the flush-queue flush of a
 * guest that does not refresh after maps (which that guest always issues). */
enum rpcit_kind { RPCIT_TRACE, RPCIT_DRAIN, RPCIT_FQ };

/* Function f's flush queue (a refresh-off guest's) is empty: nothing queued, its timer not armed. */
static inline void fq_empty(struct sim_fn *f)
{
	f->fq_queued = 0;
	f->fq_armed = false;
}

static int start_rpcit(struct sim *s, const struct pending_rpcit *p, enum rpcit_kind kind)
{
	uint64_t updates, unmapped;
	if (checker_rpcit(&s->cur->ref, p->iova, p->len, &updates, &unmapped) < 0)
		return sim_fail(s, "out of memory (reference map)");
	s->st.ops[OP_UPDATES] += updates;
	s->cur->st.updates += updates;
	if (kind == RPCIT_DRAIN)
		s->st.ops[OP_DRAIN_UPDATES] += updates;
	bool issued = s->refresh == IW_REFRESH_ALL || (s->refresh == IW_REFRESH_UNMAPS && (unmapped > 0 || kind == RPCIT_FQ));
	if (kind == RPCIT_TRACE && s->refresh == IW_REFRESH_UNMAPS && issued && checker_unmapped_pending(&s->cur->ref) == 0) {
		/* The trace's flush left no unmap pending: a strict guest, whose unmaps never wait in the flush
		 * queue (the queue's own flushes leave its timer as Linux does: armed by the first entry). */
		fq_empty(s->cur);
	}
	if (!issued) {
		/* This strategy's guest does not issue it: its updates became visible at no cost. */
		s->st.ops[OP_RPCITS_SKIPPED]++;
		if (updates)
			hist_add(&s->st.update, 0, updates);
		return 0;
	}
	s->op_cycles = 0;
	uint64_t wait = s->now - p->arrival;
	sim_charge(s, COMP_QUEUE, wait);
	const struct iw_inval inv = {.scope = IW_INVAL_RANGE, .addr = p->iova, .len = p->len};
	s->ops->invalidate(s->cur->strat, &inv);
	uint64_t lat = s->op_cycles;
	s->st.rpcit_cycles += lat;
	s->cur->st.rpcit_cycles += lat;
	s->cur->st.rpcits++;
	hist_add(&s->st.rpcit, lat, 1);
	if (updates)
		hist_add(&s->st.update, lat / updates, updates);
	s->st.ops[OP_RPCITS]++;
	return time_add(s, s->now, lat - wait, &s->vcpu_free_at);
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
		rc = do_walk(s, &p, s->cfg->iotlb_cycles, true, (unsigned)e->arg);
	}
	s->pos_seq = UINT64_MAX;
	return rc;
}

/* Runs the events due at or before t (the time of the record about to be handled). While it does, the
 * horizon is t + 1: a DMA resumed from the queue streams in place only the pages due at or before t; a
 * page due later waits in the queue until the record at t has been applied (the order invariant:
 * nothing is simulated out of time order). */
static int advance(struct sim *s, uint64_t t)
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
	const char *why = s->model->guest_new(s->host, s->vm, r->a, r->flags, &f->guest);
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
	memcpy(comp, s->st.comp, sizeof(comp));
	memcpy(ops, s->st.ops, sizeof(ops));
	s->op_cycles = 0;
	s->cur = f;
	f->strat = s->ops->create(s->ops, s, err, sizeof(err));
	if (!f->strat)
		return sim_fail(s, "%s: %s", s->ops->name, err);
	/* Its cycles and its operations are the set-up's, in no component and no path count. */
	memcpy(s->st.comp, comp, sizeof(comp));
	for (unsigned i = 0; i < IW_MAX_COUNTERS; i++) {
		s->st.setup_ops[i] += s->st.ops[i] - ops[i];
		s->st.ops[i] = ops[i];
	}
	s->st.setup_cycles += s->op_cycles;
	if (s->nfns == 1) {
		s->refresh = s->ops->refresh ? s->ops->refresh(s->cfg) : IW_REFRESH_ALL;
		/* The root domain (one per VM, shared by its functions) maps and pins all guest RAM. */
		if (s->ops->pins_guest_ram)
			for (unsigned i = 0; i < vm_nslots(s->vm); i++)
				pin_upfront(s, vm_slot(s->vm, i)->npages);
	}
	return 0;
}

/* Validates and indexes the memslots added since the last commit. Lookups are only correct on a
 * committed set, so this runs before any simulated work that may look a gpa up: before the next
 * non-MEMSLOT record, before queued work runs past a MEMSLOT record, and before the final drain. */
static int commit_memslots(struct sim *s)
{
	if (!s->memslots_dirty)
		return 0;
	char why[256];
	s->memslots_dirty = false;
	const char *w = vm_commit_memslots(s->vm, why, sizeof(why));
	return w ? sim_fail(s, "%s", w) : 0;
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
	s->cur = f;
	struct pending_rpcit p = {.arrival = s->now, .iova = iova, .len = len, .recno = s->recno};
	return start_rpcit(s, &p, kind);
}

/* The final flush of the current function. */
static int drain_fn(struct sim *s)
{
	struct sim_fn *f = s->cur;
	fq_empty(f);
	return flush_all(s, f, s->now, RPCIT_DRAIN);
}

/* A guest that does not refresh after maps queues its unmaps in Linux dma-iommu's per-CPU flush queue
 * (IOVA_DEFAULT_FQ_SIZE, IOVA_DEFAULT_FQ_TIMEOUT; the refresh-on guest a trace records uses one queue of
 * 32768 and 1 s, shadow_on_flush): fq_flush_timeout() flushes all when the timer armed by the first
 * unmap queued runs out. The timers due by time t fire, in time order. */
static int fq_timers(struct sim *s, uint64_t t)
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
		s->st.ops[OP_FQ_FLUSHES]++;
	}
}

/* An UNMAP record of the current function, for a guest that does not refresh after maps: queue_iova()
 * flushes all when the ring is full (N - 1 entries) before queueing this one, and arms the timer for
 * the first entry. */
static int fq_unmap(struct sim *s)
{
	struct sim_fn *f = s->cur;
	if (s->refresh != IW_REFRESH_UNMAPS)
		return 0;
	if (f->fq_queued + 1 >= s->cfg->fq_entries) {
		f->fq_queued = 0;
		if (flush_all(s, f, s->now, RPCIT_FQ) < 0)
			return -1;
		s->st.ops[OP_FQ_FLUSHES]++;
		s->cur = f;
	}
	f->fq_queued++;
	if (!f->fq_armed) {
		uint64_t us = s->cfg->fq_timeout_us, d;
		if (__builtin_mul_overflow(us, s->cfg->cpu_clock_mhz, &d) || time_add(s, s->now, d, &f->fq_timer) < 0)
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
		s->cur = s->fns[i];
		if (drain_fn(s) < 0)
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
	for (unsigned i = 0; i < s->cfg->walkers; i++)
		if (s->walkers[i].busy && s->walkers[i].done > s->now)
			set_now(s, s->walkers[i].done);
	/* The statistics window ends when the last work does (the vCPU's last RPCIT included). */
	s->st.window_end = s->now > s->vcpu_free_at ? s->now : s->vcpu_free_at;
	if (s->st.window_end < s->st.window_start)
		s->st.window_end = s->st.window_start;
	pinned_until(s, s->st.window_end);
	check_invariants(s, true);
	return 0;
}

/* A valid mapping of the current function's guest changed (struct iw_guest_cb.changed). */
static void guest_changed(void *ctx, uint64_t iova)
{
	struct sim *s = ctx;
	checker_changed(&s->cur->ref, iova);
}

/* The guest's vCPU reads or writes an entry of its IO table at gpa (struct iw_guest_cb.touch): a CPU
 * reference through the caches the hypervisor's intercept handler then runs on (the same vCPU's L1 and
 * L2, and the shared L3 the device reads), charged to no path: the guest pays it under every design. */
static void guest_touch(void *ctx, uint64_t gpa)
{
	struct sim *s = ctx;
	uint64_t hpa;
	if (vm_gpa_to_hpa(s->vm, gpa, &hpa)) {
		memsys_cpu(&s->mem, hpa);
		s->st.ops[OP_GUEST_TABLE_REFS]++;
	}
}

int sim_record(struct sim *s, const struct trace_rec *r, uint64_t recno)
{
	if (s->failed)
		return -1;
	s->recno = recno;
	/* Closed-loop replay: the guest's vCPU is blocked while its RPCIT is handled, so a record the
	 * trace places before the RPCIT is done, and everything after it, moves later by the excess. */
	uint64_t t = SIM_TIME_MAX;
	if (time_add(s, r->time_cycles, s->stall_cycles, &t) < 0)
		return -1;
	if (!s->started) {
		/* The statistics window (pinned memory over time) starts with the first record. */
		s->started = true;
		s->st.window_start = s->pinned_since = t;
	}
	/* The guest's flush-queue timers that ran out before this record (refresh-off guests). */
	if (fq_timers(s, t) < 0)
		return -1;
	if (t < s->vcpu_free_at) {
		s->stall_cycles += s->vcpu_free_at - t;
		s->st.ops[OP_GUEST_STALLS]++;
		s->st.guest_stall_cycles += s->vcpu_free_at - t;
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
	const char *why = NULL;
	if ((r->kind == TRACE_MAP || r->kind == TRACE_DMA) && r->c > (s->cfg->max_record_mib << 20))
		return sim_fail(s, "%s of %" PRIu64 " bytes exceeds the per-record limit of %llu bytes (run.max_record_mib)",
				trace_kind_name(r->kind), r->c, (unsigned long long)(s->cfg->max_record_mib << 20));
	switch (r->kind) {
	case TRACE_MEMSLOT:
		why = s->model->memslot_check(s->host, r->a, r->b, r->c);
		if (!why)
			why = vm_add_memslot(s->vm, r->id, r->a, r->b, r->c);
		if (!why && s->nfns && s->ops->pins_guest_ram)
			pin_upfront(s, r->b); /* the root domain maps and pins RAM added later too */
		s->memslots_dirty = true;
		break;
	case TRACE_IOAT:
		if (vm_nslots(s->vm) == 0)
			return sim_fail(s, "IOAT before any MEMSLOT (the guest table must live in guest RAM)");
		if (s->version < 2 && s->nfns)
			return sim_fail(s, "IOAT: a second IOAT (format v1 has one IO address space; format v2 gives each PCI function its own)");
		if (fn_of(s, r->dev))
			return sim_fail(s, "IOAT: function %u registered its IOAT already (re-registration is not supported)", r->dev);
		if (s->nfns >= s->cfg->max_functions)
			return sim_fail(s, "IOAT: more than %" PRIu64 " PCI functions (run.max_functions; each has its own tables, caches and"
					   " strategy state): raise it if the trace is right", s->cfg->max_functions);
		if (s->shared_caches && s->nfns == SIM_MAX_SHARED_FNS)
			return sim_fail(s, "IOAT: more than %u functions with shared caches (device.shared_caches=1)", SIM_MAX_SHARED_FNS);
		if (register_fn(s, r) < 0)
			return -1;
		break;
	case TRACE_MAP:
	case TRACE_UNMAP:
	case TRACE_RPCIT:
		if (!(s->cur = fn_of(s, r->dev)))
			return s->version < 2 ? sim_fail(s, "%s before IOAT", trace_kind_name(r->kind))
					      : sim_fail(s, "%s of function %u, which registered no IOAT", trace_kind_name(r->kind), r->dev);
		struct checker *ref = &s->cur->ref;
		/* Without the full reference map, the model says which valid mappings a record changed; the
		 * guest's vCPU reads and writes its table through its caches (a strategy whose guest
		 * translates nothing writes no table: relaxed translation). */
		const struct iw_guest_cb cb = {.changed = ref->full ? NULL : guest_changed,
					       .touch = s->refresh == IW_REFRESH_NONE ? NULL : guest_touch,
					       .ctx = s};
		if (r->kind == TRACE_MAP) {
			why = s->model->guest_map(s->cur->guest, r->a, r->b, r->c, r->flags == TRACE_PROT_READ, &cb);
			if (!why && checker_map(ref, r->a, r->b, r->c, r->flags == TRACE_PROT_READ) < 0)
				why = "out of memory (reference map)";
		} else if (r->kind == TRACE_UNMAP) {
			s->model->guest_unmap(s->cur->guest, r->a, r->c, &cb);
			if (checker_unmap(ref, r->a, r->c) < 0)
				why = "out of memory (reference map)";
			else if (fq_unmap(s) < 0)
				return -1;
		} else {
			struct sim_fn *f = s->cur;
			uint64_t ap = s->fmt->aperture(s->model->guest_table(f->guest));
			uint64_t len = r->c;
			if (ap && r->a >= ap)
				return sim_fail(s, "RPCIT outside the IOAT's aperture");
			if (ap && len > ap - r->a)
				len = ap - r->a; /* the refresh covers what the aperture holds */
			if (len > f->widest_len) {
				f->widest_iova = r->a;
				f->widest_len = len;
			}
			struct pending_rpcit p = {.arrival = s->now, .iova = r->a, .len = len, .recno = recno};
			if (start_rpcit(s, &p, RPCIT_TRACE) < 0)
				return -1;
		}
		if (!why && ref->failed)
			why = "out of memory (changed pages)";
		break;
	case TRACE_DMA: {
		if (!fn_of(s, r->dev))
			return s->version < 2 ? sim_fail(s, "DMA before IOAT")
					      : sim_fail(s, "DMA by function %u, which registered no IOAT", r->dev);
		s->st.ops[OP_DMAS]++;
		/* The device streams the transfer: page k is translated k * device.page_gap_cycles later. */
		uint64_t first = r->a >> 12, npages = ((r->a + (r->c - 1)) >> 12) - first + 1;
		uint64_t *bus = NULL;
		if (s->ops->dma_addr && bus_take(s, r->dev, first, npages, &bus) < 0)
			return -1;
		if (stream_pages(s, r->dev, r->flags == TRACE_DMA_WRITE, first, npages, recno, bus) < 0)
			return -1;
		s->recno = recno;
		break;
	}
	default:
		return sim_fail(s, "unknown record kind %u", r->kind);
	}
	if (why)
		return sim_fail(s, "%s: %s", trace_kind_name(r->kind), why);
	if (vm_failed(s->vm))
		return sim_fail(s, "%s", vm_failure(s->vm));
	/* What a small trace can make the simulation hold (sparse maps in deep tables: 16 KiB a level). */
	uint64_t mib = physmem_frames(vm_physmem(s->vm)) >> 8;
	if (mib > s->cfg->max_memory_mib)
		return sim_fail(s, "%s: the simulation holds %" PRIu64 " MiB of simulated memory (tables, shadow tables, structures),"
				   " more than run.max_memory_mib=%" PRIu64 ": raise it if the trace is right",
				trace_kind_name(r->kind), mib, s->cfg->max_memory_mib);
	check_invariants(s, false);
	return 0;
}
