/* sim: a simulation's lifecycle: creation, functions, statistics reset, invariants, accessors (sim.h, sim_impl.h). */
#include "sim_impl.h"

#include "alloc.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int time_add(struct sim *s, uint64_t t, uint64_t d, uint64_t *out)
{
	*out = SIM_TIME_MAX;
	if (t > SIM_TIME_MAX || d > SIM_TIME_MAX - t)
		return sim_fail(s, "simulated time would pass 2^63 cycles (%" PRIu64 " + %" PRIu64
				"): the trace's times and the replay's stalls leave no headroom", t, d);
	*out = t + d;
	return 0;
}

int sim_fail(struct sim *s, const char *fmt, ...)
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
int cache_init(struct sacache *c, uint64_t entries, uint64_t ways)
{
	return sacache_init(c, entries, (uint32_t)(entries < ways ? (entries ? entries : 1) : ways));
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
		config_get(s->c.cfg, f->wc_param[l], &e); /* a format's parameter is registered with its model */
		s->wc_level[s->nwc] = l;
		s->wc_shift[s->nwc] = f->level_shift[l];
		s->wc_entries[s->nwc++] = e;
	}
	s->nsizes = f->nleaf_sizes ? f->nleaf_sizes : 1;
	s->size_shift[0] = 12;
	s->size_entries[0] = s->c.cfg->iotlb_entries;
	for (unsigned i = 1; i < s->nsizes; i++) {
		uint64_t e = 0;
		config_get(s->c.cfg, f->iotlb_param[i], &e);
		s->size_shift[i] = f->leaf_shift[i];
		s->size_entries[i] = e;
	}
	for (unsigned i = 0; i < s->nsizes; i++)
		s->iotlb_fills |= s->size_entries[i] > 0;
}

/* The device's caches of configuration structures, sized by the format's parameters. */
static int cfg_caches_init(struct sim *s)
{
	for (unsigned i = 0; i < s->fmt->ncfg_caches; i++) {
		uint64_t e = 0;
		config_get(s->c.cfg, s->fmt->cfg_cache[i].entries_param, &e);
		s->cfgc_misses[i] = stats_counter_index(s->fmt->cfg_cache[i].miss_counter);
		if (cache_init(&s->cfgc[i], e, s->c.cfg->wc_ways) < 0)
			return -1;
	}
	return 0;
}

void fn_free(struct sim *s, struct sim_fn *f)
{
	if (f->strat)
		s->ops->destroy(f->strat);
	walk_caches_destroy(s, f->wc);
	wc_curves_destroy(s, f->wcc);
	for (unsigned i = 0; i < SIM_MRC_OWN; i++)
		mrc_curve_free(f->own[i]);
	checker_destroy(&f->ref);
	if (f->guest)
		s->model->guest_free(f->guest);
	iw_free(f);
}

void sim_set_trace_version(struct sim *s, unsigned version) { s->version = version; }

void iotlb_free(const struct sim *s, struct sim_iotlb *t)
{
	if (!t)
		return;
	for (unsigned i = 0; i < s->nsizes; i++)
		sacache_destroy(&t->size[i]);
	mrc_curve_free(t->curve);
	iw_free(t);
}

struct sim *sim_new(const struct iw_config *cfg, const struct strategy_ops *ops, bool check, char *err,
		    size_t errlen)
{
	struct sim *s = iw_calloc(1, sizeof(*s));
	if (!s)
		goto oom;
	s->c.cfg = cfg;
	s->ops = ops;
	s->model = ops->model;
	s->fmt = ops->model->fmt;
	cache_geometry(s);
	s->check = check;
	s->hits_fast = !check && !ops->dma_addr;
	struct vm_config vc = {.max_memslots = cfg->max_memslots};
	s->c.vm = vm_new(&vc, err, errlen);
	if (!s->c.vm) {
		iw_free(s);
		return NULL;
	}
	/* The model's host tables come first in the host pool, before any record allocates. */
	s->c.host = s->model->host_new(s->c.vm, cfg, err, errlen);
	if (!s->c.host) {
		vm_free(s->c.vm);
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
	if (!s->iotlb || !s->devs || !s->fn_of_fid || !s->walkers || !s->streams || memsys_init(&s->c.mem, cfg) < 0 || walk_caches_init(s, s->wc) < 0 || cfg_caches_init(s) < 0 ||
	    evq_init(&s->q, 64) < 0)
		goto oom_free;
	stats_init(&s->c.st);
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
	memsys_destroy(&s->c.mem);
	walk_caches_destroy(s, s->wc);
	wc_curves_destroy(s, s->wcc);
	for (unsigned i = 0; i < s->fmt->ncfg_caches; i++) {
		sacache_destroy(&s->cfgc[i]);
		mrc_curve_free(s->cfgcc[i]);
	}
	evq_destroy(&s->q);
	for (uint64_t i = 0; s->streams && i < s->stream_len; i++)
		iw_free(s->streams[(s->stream_head + i) & (s->stream_cap - 1)].bus);
	iw_free(s->streams);
	iw_free(s->walkq);
	if (s->c.host)
		s->model->host_free(s->c.host);
	vm_free(s->c.vm);
	iw_free(s);
}

void sim_reset_stats(struct sim *s)
{
	/* Set-up is one-time: it is kept; the pinned-memory window starts now. */
	uint64_t setup = s->c.st.setup_cycles, setup_pages = s->c.st.setup_pinned_pages, setup_ops[IW_MAX_COUNTERS];
	memcpy(setup_ops, s->c.st.setup_ops, sizeof(setup_ops));
	stats_init(&s->c.st);
	s->c.st.setup_cycles = setup;
	s->c.st.setup_pinned_pages = setup_pages;
	memcpy(s->c.st.setup_ops, setup_ops, sizeof(setup_ops));
	pinned_until(s, s->now);
	s->c.st.pinned_area = 0;
	s->c.st.pinned_peak = s->c.st.pinned_end = s->pinned;
	s->c.st.window_start = s->pinned_since;
	for (unsigned i = 0; i < s->nfns; i++)
		s->fns[i]->st = (struct sim_fn_stats){0};
	/* Translations still waiting for a walker are counted when they start, with their IOTLB lookup. */
	s->c.st.comp[COMP_IOTLB] = s->queued_cycles;
}

/* The invariants an asserting build checks after every record (base/invariant.h). */
void check_invariants(struct sim *s, bool full)
{
	if (!IW_INVARIANTS_ON)
		return;
	uint64_t sum = stats_component_sum(&s->c.st), total = stats_total(&s->c.st);
	IW_INVARIANT(sum == total + s->queued_cycles,
		     "%s: components sum to %" PRIu64 " cycles, the paths to %" PRIu64 " (+ %" PRIu64
		     " queued), record %" PRIu64, s->ops->name, sum, total, s->queued_cycles, s->recno);
	IW_INVARIANT(s->c.st.dma.sum == s->c.st.dma_cycles && s->c.st.rpcit.sum == s->c.st.rpcit_cycles,
		     "%s: histogram sums differ from the path totals, record %" PRIu64, s->ops->name, s->recno);
	uint64_t held = 0;
	for (unsigned i = 0; i < s->nfns; i++) {
		if (s->fns[i]->strat && s->ops->check_invariants)
			s->ops->check_invariants(enter(s, s->fns[i]), full);
		if (s->fns[i]->strat && s->ops->pins_held)
			held += s->ops->pins_held(enter(s, s->fns[i]));
	}
	uint64_t pins = s->c.life_ops[OP_PINS], unpins = s->c.life_ops[OP_UNPINS];
	IW_INVARIANT(unpins <= pins && pins - unpins == held,
		     "%s: %" PRIu64 " pins - %" PRIu64 " unpins, but the functions' instances hold %" PRIu64 " (record %" PRIu64 ")",
		     s->ops->name, pins, unpins, held, s->recno);
}

/* Doubles the room of a ring of elements of `size` bytes (`first` elements when it has none): its len
 * elements from *head move, in order, to the start of the new array at *ringp (a pointer to the ring's
 * pointer). 0, or -1 (out of memory or an overflowing size; the ring kept). The walk queue and the DMA
 * streams grow so. */
int ring_grow(void *ringp, size_t size, uint64_t *head, uint64_t len, uint64_t *cap, uint64_t first)
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

/* ---- accessors (sim.h) ---- */
const struct stats *sim_stats(const struct sim *s) { return &s->c.st; }
const struct strategy_ops *sim_strategy(const struct sim *s) { return s->ops; }
const struct iw_format *sim_format(const struct sim *s) { return s->fmt; }
const struct memsys *sim_memsys(const struct sim *s) { return &s->c.mem; }
const char *sim_what_if_reason(const struct sim *s) { return s->what_if; }
unsigned sim_nfunctions(const struct sim *s) { return s->nfns; }
uint16_t sim_function_id(const struct sim *s, unsigned i) { return s->fns[i]->fid; }
const struct sim_fn_stats *sim_function_stats(const struct sim *s, unsigned i) { return &s->fns[i]->st; }
const char *sim_error(const struct sim *s) { return s->err; }
bool sim_check_failed(const struct sim *s) { return s->check_failed; }
bool sim_refused(const struct sim *s) { return s->refused; }

/* ---- services a strategy's operation reaches its function through (enter() made it current) ---- */
const void *sim_guest_table(const struct sim *s) { return s->model->guest_table(s->cur->guest); }
const char *sim_strategy_name(const struct sim *s) { return s->ops->name; }
uint64_t sim_record_number(const struct sim *s) { return s->recno; }
void sim_refuse(struct sim *s) { s->refused = true; }
void sim_what_if(struct sim *s, const char *why) { s->what_if = why; }

void sim_enable_mrc(struct sim *s, uint64_t max_entries)
{
	s->mrc_max = max_entries;
	s->mrc_rate = 1.0;
	s->iotlb_fills = true; /* the curves see every fill */
	s->hits_fast = false;
}

void sim_mrc_sample(struct sim *s, double rate) { s->mrc_rate = rate; }
void sim_mrc_all(struct sim *s) { s->mrc_all = true; }

unsigned sim_mrc_structures(const struct sim *s)
{
	return 1 + s->nwc + (s->mrc_all ? s->fmt->ncfg_caches + s->mrc_nown : 0);
}

const char *sim_mrc_structure_name(const struct sim *s, unsigned k, char *buf, size_t len)
{
	if (k == 0) {
		snprintf(buf, len, "iotlb");
		return buf;
	}
	if (k > s->nwc + s->fmt->ncfg_caches) {
		snprintf(buf, len, "%s", s->mrc_own_name[k - 1 - s->nwc - s->fmt->ncfg_caches]); /* a strategy's own */
		return buf;
	}
	if (k > s->nwc) {
		snprintf(buf, len, "cc_%s", s->fmt->cfg_cache[k - 1 - s->nwc].name); /* a configuration cache */
		return buf;
	}
	const char *p = s->fmt->wc_param[s->wc_level[k - 1]], *dot = strchr(p, '.');
	p = dot ? dot + 1 : p;
	if (p[0] == 'p' && strncmp(p, "pwc_", 4) == 0)
		p++; /* VT-d's paging-structure caches: wc_pd, wc_pdpt, ... */
	size_t n = strlen(p);
	if (n > 8 && strcmp(p + n - 8, "_entries") == 0)
		n -= 8;
	snprintf(buf, len, "%.*s", (int)n, p);
	return buf;
}

unsigned sim_mrc_ways(const struct sim *s, unsigned k, unsigned ways[4])
{
	unsigned n = 0;
	ways[n++] = 0;
	ways[n++] = 1;
	ways[n++] = 4;
	unsigned nbase = 1 + s->nwc + s->fmt->ncfg_caches;
	unsigned cw = (unsigned)(k == 0 ? s->c.cfg->iotlb_ways : k >= nbase ? s->mrc_own_ways[k - nbase] : s->c.cfg->wc_ways);
	if (cw != 1 && cw != 4 && cw > 0)
		ways[n++] = cw;
	return n;
}

void sim_out_of_memory(struct sim *s, const char *what) { sim_fail(s, "%s: out of memory (%s)", s->ops->name, what); }

int sim_mrc_structure_of(const struct sim *s, const char *param, unsigned *ways)
{
	if (strcmp(param, "device.iotlb_entries") == 0) {
		*ways = (unsigned)s->c.cfg->iotlb_ways;
		return 0;
	}
	for (unsigned k = 0; k < s->nwc; k++)
		if (strcmp(s->fmt->wc_param[s->wc_level[k]], param) == 0) {
			*ways = (unsigned)s->c.cfg->wc_ways;
			return (int)k + 1;
		}
	return -1;
}

/* One curve's counts into the sums; false when its point is not counted. */
static bool add_point(const struct mrc_curve *c, uint64_t entries, unsigned ways, uint64_t *lookups, uint64_t *hits,
		      uint64_t *inexact)
{
	*lookups += c->full.references;
	*inexact += c->full.unpaired + c->full.late_fills;
	if (ways == 0) {
		*hits += mrc_hits(&c->full, entries);
		return true;
	}
	unsigned w = 0, k = 0;
	while (w < c->nways && c->ways[w] != ways)
		w++;
	while (k < c->nsizes && c->size[k] != entries)
		k++;
	if (w == c->nways || k == c->nsizes)
		return false;
	*hits += c->sa_hits[w][k];
	return true;
}

bool sim_mrc_point(const struct sim *s, unsigned k, uint64_t entries, unsigned ways, uint64_t *lookups, uint64_t *hits,
		   uint64_t *inexact)
{
	*lookups = *hits = *inexact = 0;
	if (!s->mrc_max || s->mrc_failed || entries > s->mrc_max || k >= sim_mrc_structures(s) ||
	    (k > 0 && entries > MRC_WC_MAX))
		return false;
	unsigned nbase = 1 + s->nwc + s->fmt->ncfg_caches;
	if (k >= nbase) {
		for (unsigned i = 0; i < s->nfns; i++)
			if (s->fns[i]->own[k - nbase] && !add_point(s->fns[i]->own[k - nbase], entries, ways, lookups, hits, inexact))
				return false;
		return true;
	}
	if (k > s->nwc)
		return !s->cfgcc[k - 1 - s->nwc] || add_point(s->cfgcc[k - 1 - s->nwc], entries, ways, lookups, hits, inexact);
	if (k > 0) {
		if (s->shared_caches)
			return !s->wcc[k - 1] || add_point(s->wcc[k - 1], entries, ways, lookups, hits, inexact);
		for (unsigned i = 0; i < s->nfns; i++)
			if (s->fns[i]->wcc[k - 1] && !add_point(s->fns[i]->wcc[k - 1], entries, ways, lookups, hits, inexact))
				return false;
		return true;
	}
	for (unsigned i = 0; i < s->ndevs; i++) {
		const struct sim_iotlb *t = s->iotlb[s->devs[i]];
		bool seen = false; /* shared: one IOTLB behind every device */
		for (unsigned j = 0; j < i && !seen; j++)
			seen = s->iotlb[s->devs[j]] == t;
		if (!seen && t->curve && !add_point(t->curve, entries, ways, lookups, hits, inexact))
			return false;
		if (!seen)
			*hits += t->large_hits; /* served by a larger page's structure, whatever the 4 KiB one's size */
	}
	return true;
}

/* The current function's curve of its strategy's own cache slot, made at its first use. */
static struct mrc_curve *own_curve(struct sim *s, unsigned slot, const char *name, unsigned ways)
{
	struct sim_fn *f = s->cur;
	if (!s->mrc_max || !s->mrc_all || slot >= SIM_MRC_OWN || !f || s->mrc_failed)
		return NULL;
	if (f->own[slot])
		return f->own[slot];
	struct mrc_curve *c = small_curve(s, ways);
	if (!c)
		return NULL;
	if (slot >= s->mrc_nown)
		s->mrc_nown = slot + 1;
	s->mrc_own_name[slot] = name;
	s->mrc_own_ways[slot] = ways;
	return f->own[slot] = c;
}

void sim_mrc_own_lookup(struct sim *s, unsigned slot, const char *name, unsigned ways, uint64_t key, bool hit)
{
	struct mrc_curve *c = s->mrc_max ? own_curve(s, slot, name, ways) : NULL;
	if (!c)
		return;
	mrc_curve_lookup(c, key);
	if (hit)
		mrc_curve_fill(c, key); /* found: the most recent now */
}

void sim_mrc_own_fill(struct sim *s, unsigned slot, uint64_t key)
{
	if (s->mrc_max && slot < SIM_MRC_OWN && s->cur && s->cur->own[slot])
		mrc_curve_fill(s->cur->own[slot], key);
}
