/* sim_walk: the device walk through the walk caches, and invalidation of the device's caches. */
#include "sim_impl.h"

#include "alloc.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

int walk_caches_init(const struct sim *s, struct sacache *wc)
{
	for (unsigned i = 0; i < s->nwc; i++)
		if (cache_init(&wc[i], s->wc_entries[i], s->c.cfg->wc_ways) < 0)
			return -1;
	return 0;
}

void walk_caches_destroy(const struct sim *s, struct sacache *wc)
{
	for (unsigned i = 0; i < s->nwc; i++)
		sacache_destroy(&wc[i]);
}

void wc_curves_destroy(const struct sim *s, struct mrc_curve **wcc)
{
	for (unsigned i = 0; i < s->nwc; i++) {
		mrc_curve_free(wcc[i]);
		wcc[i] = NULL;
	}
}

struct mrc_curve *small_curve(struct sim *s, unsigned ways)
{
	struct mrc_curve *c = mrc_curve_new(s->mrc_max < MRC_WC_MAX ? s->mrc_max : MRC_WC_MAX, ways, s->mrc_rate);
	if (!c)
		s->mrc_failed = true;
	return c;
}

struct mrc_curve *wc_curve(struct sim *s, struct sim_fn *f, unsigned i)
{
	struct mrc_curve **at = s->shared_caches ? &s->wcc[i] : &f->wcc[i];
	if (*at || s->mrc_failed)
		return *at;
	/* Walk caches hold tens of entries: their curves stop at MRC_WC_MAX (or the IOTLB's bound). */
	return *at = small_curve(s, s->c.cfg->wc_ways);
}


/* The keys a cache keyed by (tag | address >> shift) drops for inv: its range, or everything of the tag
 * (a domain) or every entry (global). */
static void inval_keys(const struct iw_inval *inv, uint64_t tag, unsigned shift, bool tagged, uint64_t *first,
		       uint64_t *last)
{
	if (inv->scope == IW_INVAL_GLOBAL || (inv->scope == IW_INVAL_DOMAIN && !tagged)) {
		*first = 0;
		*last = UINT64_MAX - 1; /* every key a cache holds (keys are below 2^64 - 1) */
	} else if (inv->scope == IW_INVAL_DOMAIN) {
		*first = tag;
		*last = tag | ((1ull << 52) - 1);
	} else {
		*first = tag | inv->addr >> shift;
		*last = tag | (inv->addr + (inv->len - 1)) >> shift;
	}
}

/* Removes what a cache keyed by (tag | address >> shift) holds for inv (and from its curve, when one). */
static void inval_cache(struct sacache *c, struct mrc_curve *curve, const struct iw_inval *inv, uint64_t tag,
			unsigned shift, bool tagged)
{
	uint64_t first, last;
	inval_keys(inv, tag, shift, tagged, &first, &last);
	sacache_invalidate_range(c, first, last);
	if (curve)
		mrc_curve_invalidate_range(curve, first, last);
}

static void inval_iotlb(struct sim *s, struct sim_iotlb *t, const struct iw_inval *inv, uint64_t tag)
{
	for (unsigned k = 0; k < s->nsizes; k++)
		inval_cache(&t->size[k], k == 0 ? t->curve : NULL, inv, tag, s->size_shift[k], s->shared_caches);
}

void sim_invalidate(struct sim *s, const struct iw_inval *given)
{
	struct iw_inval inv = *given;
	if (inv.scope == IW_INVAL_RANGE && s->fmt->inval_round)
		s->fmt->inval_round(&inv);
	if (inv.scope == IW_INVAL_RANGE && inv.len == 0)
		return;
	sim_op(s, OP_HOST_RPCITS, 1);
	const struct sim_fn *f = s->cur;
	uint64_t tag = f->tag;
	/* The function's IOTLBs: its devices' (v1: every DMA stream), or its entries in the bridge's. */
	if (s->shared_caches) {
		if (s->shared_iotlb)
			inval_iotlb(s, s->shared_iotlb, &inv, tag);
	} else {
		for (unsigned i = 0; i < s->ndevs; i++)
			if (inv.scope == IW_INVAL_GLOBAL || fn_of(s, s->devs[i])->asid == f->asid)
				inval_iotlb(s, s->iotlb[s->devs[i]], &inv, tag);
	}
	if (inv.leaf_only)
		return;
	for (unsigned w = 0; w < s->nwc; w++) {
		if (s->shared_caches)
			inval_cache(&s->wc[w], s->wcc[w], &inv, tag, s->wc_shift[w], true);
		else
			for (unsigned k = 0; k < s->nfns; k++)
				if (inv.scope == IW_INVAL_GLOBAL || s->fns[k]->asid == f->asid)
					inval_cache(&s->fns[k]->wc[w], s->fns[k]->wcc[w], &inv, tag, s->wc_shift[w], false);
	}
}

/* The walk caches hold entries of the levels the format caches (sim.wc_level[], nearest the leaf first),
 * keyed by the IOVA bits above what an entry spans; each keeps what the walk found there to go on below
 * it (iw_walk.resume). They are looked up in parallel (one device.wc_cycles) and the hit nearest the leaf
 * wins. The level a walk of iova starts at (0: the root) and, when above 0, the resume value of the entry
 * above it. */
static ALWAYS_INLINE unsigned walk_cache_find(struct sim *s, struct sim_fn *f, uint64_t iova, uint64_t *resume)
{
	sim_charge(s, COMP_DEVICE_WALK, s->c.cfg->wc_cycles);
	uint64_t tag = f->tag;
	for (unsigned i = 0; i < s->nwc; i++) {
		uint64_t key = tag | iova >> s->wc_shift[i];
		bool hit = sacache_lookup_all(wc_of(s, f, i), key, resume);
		if (s->mrc_max) {
			struct mrc_curve *c = wc_curve(s, f, i);
			if (c) {
				mrc_curve_lookup(c, key);
				if (hit)
					mrc_curve_fill(c, key); /* found: the most recent now */
			}
		}
		if (hit) {
			sim_op(s, OP_WALK_CACHE_HITS, 1);
			return s->wc_level[i] + 1;
		}
	}
	return 0;
}

unsigned sim_walk_cache_lookup(struct sim *s, uint64_t iova)
{
	uint64_t resume;
	return walk_cache_find(s, s->cur, iova, &resume);
}

void sim_walk_cache_fill(struct sim *s, uint64_t iova, const struct iw_walk *w, unsigned i)
{
	/* Only entries the walk went through (a next level was read) are cached. */
	if (i + 1 >= w->nrefs)
		return;
	for (unsigned k = 0; k < s->nwc; k++)
		if (w->ref_level[i] == s->wc_level[k]) {
			sacache_fill(wc_of(s, s->cur, k), s->cur->tag | iova >> s->wc_shift[k], w->resume[i]);
			struct mrc_curve *c = s->mrc_max ? wc_curve(s, s->cur, k) : NULL;
			if (c)
				mrc_curve_fill(c, s->cur->tag | iova >> s->wc_shift[k]);
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
	unsigned from = walk_cache_find(s, s->cur, iova, &resume);
	if (from && s->fmt->walk_from) {
		/* What the walk caches hold is what the hardware goes on from: only the rest is read. */
		s->fmt->walk_from(table, iova, write, from, resume, &w);
		check_walk_from(s, table, iova, write, from, &w);
	} else {
		s->fmt->walk(table, iova, write, &w);
	}
	walked_from(s, iova, from, &w, x);
}

/* iowalk mrc: configuration cache which's curve, made at its first use (NULL without mrc). */
static struct mrc_curve *cfg_curve(struct sim *s, unsigned which)
{
	if (!s->mrc_max || !s->mrc_all || s->cfgcc[which] || s->mrc_failed)
		return s->cfgcc[which];
	return s->cfgcc[which] = small_curve(s, s->c.cfg->wc_ways);
}

bool sim_cfg_cache_lookup(struct sim *s, unsigned which, uint64_t key)
{
	struct mrc_curve *c = s->mrc_max ? cfg_curve(s, which) : NULL;
	if (c) {
		mrc_curve_lookup(c, key);
		mrc_curve_fill(c, key); /* a hit, or a miss filled at once */
	}
	if (sacache_lookup(&s->cfgc[which], key, NULL))
		return true;
	sacache_fill(&s->cfgc[which], key, 0);
	if (s->cfgc_misses[which] >= 0)
		sim_op(s, (unsigned)s->cfgc_misses[which], 1);
	return false;
}

void sim_cfg_cache_invalidate(struct sim *s, unsigned which, uint64_t key, bool all)
{
	if (all)
		sacache_invalidate_range(&s->cfgc[which], 0, UINT64_MAX);
	else
		sacache_invalidate(&s->cfgc[which], key);
	if (s->cfgcc[which])
		mrc_curve_invalidate_range(s->cfgcc[which], all ? 0 : key, all ? UINT64_MAX - 1 : key);
}
