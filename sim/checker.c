/* checker: reference map (see checker.h). */
#include "checker.h"

#include "alloc.h"

#include <stdlib.h>

int checker_init(struct checker *c, bool full)
{
	c->dirty = NULL;
	c->ndirty = c->dirty_cap = 0;
	c->full = full;
	c->failed = false;
	c->chunks = NULL;
	c->nchunks = c->chunks_cap = 0;
	if (u64map_init(&c->guest, full ? 1024 : 1) < 0)
		return -1;
	if (u64map_init(&c->synced, full ? 1024 : 1) < 0 || u64map_init(&c->dirty_idx, 256) < 0) {
		checker_destroy(c);
		return -1;
	}
	return 0;
}

void checker_destroy(struct checker *c)
{
	iw_free(c->chunks);
	c->chunks = NULL;
	c->nchunks = c->chunks_cap = 0;
	u64map_destroy(&c->guest);
	u64map_destroy(&c->synced);
	u64map_destroy(&c->dirty_idx);
	iw_free(c->dirty);
	c->dirty = NULL;
}

/* ---- without full: the changed pages as 64-page bitmaps (dirty_idx maps a chunk to its index) ---- */

static int light_mark(struct checker *c, uint64_t pfn, bool unmap)
{
	uint64_t idx, bit = 1ull << (pfn & 63);
	if (!u64map_get(&c->dirty_idx, pfn >> 6, &idx)) {
		if (iw_grow(&c->chunks, &c->chunks_cap, c->nchunks, sizeof(*c->chunks), 64) < 0)
			return -1;
		idx = c->nchunks++;
		c->chunks[idx] = (struct checker_chunk){.chunk = pfn >> 6};
		if (u64map_put(&c->dirty_idx, pfn >> 6, idx) < 0)
			return -1;
	}
	struct checker_chunk *k = &c->chunks[idx];
	c->ndirty += !(k->dirty & bit);
	k->dirty |= bit;
	if (unmap) {
		c->nunmapped += !(k->unmapped & bit);
		k->unmapped |= bit;
	}
	return 0;
}

/* Makes the pages of chunk index idx in mask visible (counting them); drops the chunk when none is left
 * (the last chunk moves into its place). */
static int light_sync(struct checker *c, uint64_t idx, uint64_t mask, uint64_t *updates, uint64_t *unmapped)
{
	struct checker_chunk *k = &c->chunks[idx];
	uint64_t d = k->dirty & mask;
	*updates += (uint64_t)__builtin_popcountll(d);
	*unmapped += (uint64_t)__builtin_popcountll(k->unmapped & d);
	c->ndirty -= (uint64_t)__builtin_popcountll(d);
	k->dirty &= ~d;
	k->unmapped &= ~d;
	if (k->dirty)
		return 0;
	u64map_del(&c->dirty_idx, k->chunk);
	uint64_t last = --c->nchunks;
	if (idx != last) {
		c->chunks[idx] = c->chunks[last];
		if (u64map_put(&c->dirty_idx, c->chunks[idx].chunk, idx) < 0)
			return -1;
	}
	return 0;
}

static uint64_t range_mask(uint64_t chunk, uint64_t first, uint64_t last)
{
	uint64_t lo = chunk << 6, m = ~0ull;
	if (first > lo)
		m &= ~0ull << (first - lo);
	if (last < lo + 63)
		m &= ~0ull >> (63 - (last - lo));
	return m;
}

static int light_rpcit(struct checker *c, uint64_t first, uint64_t last, uint64_t *updates, uint64_t *unmapped)
{
	if ((last >> 6) - (first >> 6) < c->nchunks) {
		for (uint64_t ch = first >> 6;; ch++) {
			uint64_t idx;
			if (u64map_get(&c->dirty_idx, ch, &idx) && light_sync(c, idx, range_mask(ch, first, last), updates, unmapped) < 0)
				return -1;
			if (ch == last >> 6)
				break;
		}
		return 0;
	}
	for (uint64_t i = 0; i < c->nchunks;) {
		uint64_t ch = c->chunks[i].chunk, n = c->nchunks;
		if (ch < first >> 6 || ch > last >> 6) {
			i++;
			continue;
		}
		if (light_sync(c, i, range_mask(ch, first, last), updates, unmapped) < 0)
			return -1;
		if (c->nchunks == n)
			i++; /* the chunk stays (pages outside the range): go on; else another moved into i */
	}
	return 0;
}

/* Records that pfn changes away from `old` (its guest mapping before this change). The first change
 * after an RPCIT needs no history: the old value is the synced one. */
static int mark_dirty(struct checker *c, uint64_t pfn, uint64_t old, bool unmap)
{
	if (!c->full)
		return light_mark(c, pfn, unmap);
	uint64_t idx;
	if (u64map_get(&c->dirty_idx, pfn, &idx)) {
		struct checker_dirty *d = &c->dirty[idx];
		c->nunmapped += unmap && !d->unmapped;
		d->unmapped |= unmap;
		if (d->nseen < CHECK_HISTORY)
			d->seen[d->nseen++] = old;
		else
			d->overflow = true;
		return 0;
	}
	if (iw_grow(&c->dirty, &c->dirty_cap, c->ndirty, sizeof(*c->dirty), 256) < 0)
		return -1;
	c->dirty[c->ndirty] = (struct checker_dirty){.pfn = pfn, .unmapped = unmap};
	c->nunmapped += unmap;
	return u64map_put(&c->dirty_idx, pfn, c->ndirty++);
}

int checker_map(struct checker *c, uint64_t iova, uint64_t gpa, uint64_t len, bool readonly)
{
	if (!c->full) {
		for (uint64_t off = 0; off < len; off += 4096)
			if (mark_dirty(c, (iova + off) >> 12, 0, false) < 0)
				return -1;
		return 0;
	}
	for (uint64_t off = 0; off < len; off += 4096) {
		uint64_t pfn = (iova + off) >> 12;
		uint64_t v = (((gpa + off) >> 12) << 2) | CHECK_VALID | (readonly ? CHECK_RO : 0);
		uint64_t old = checker_guest(c, pfn);
		if (u64map_put(&c->guest, pfn, v) < 0 || mark_dirty(c, pfn, old, old != 0) < 0)
			return -1;
	}
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

void checker_changed(void *ctx, uint64_t iova)
{
	struct checker *c = ctx;
	if (mark_dirty(c, iova >> 12, 0, true) < 0)
		c->failed = true;
}

int checker_unmap(struct checker *c, uint64_t iova, uint64_t len)
{
	if (!c->full)
		return 0;
	uint64_t first = iova >> 12, last = (iova + (len - 1)) >> 12;
	if (last - first >= c->guest.len) {
		/* A range larger than what is mapped: visit the mapped pages, in address order. */
		uint64_t n = 0, *keys = iw_malloc((c->guest.len ? c->guest.len : 1) * sizeof(*keys));
		if (!keys)
			return -1;
		for (uint64_t i = 0; i < c->guest.cap; i++) {
			uint64_t k = c->guest.keys[i];
			if (k && k - 1 >= first && k - 1 <= last)
				keys[n++] = k - 1;
		}
		qsort(keys, n, sizeof(*keys), cmp_u64);
		int rc = 0;
		for (uint64_t i = 0; i < n && rc == 0; i++) {
			uint64_t old = checker_guest(c, keys[i]);
			if (u64map_del(&c->guest, keys[i]) && mark_dirty(c, keys[i], old, true) < 0)
				rc = -1;
		}
		iw_free(keys);
		return rc;
	}
	for (uint64_t off = 0; off < len; off += 4096) {
		uint64_t pfn = (iova + off) >> 12;
		uint64_t old = checker_guest(c, pfn);
		if (u64map_del(&c->guest, pfn) && mark_dirty(c, pfn, old, true) < 0)
			return -1;
	}
	return 0;
}

/* Makes the guest view of the dirty page at index idx visible and drops it from the dirty set (the last
 * entry moves into its place: the set has no order that matters). 0 or -1. */
static int sync_one(struct checker *c, uint64_t idx)
{
	uint64_t pfn = c->dirty[idx].pfn, v;
	u64map_del(&c->dirty_idx, pfn);
	if (!c->full) {
		/* nothing to make visible: only the set of changed pages is kept */
	} else if (u64map_get(&c->guest, pfn, &v)) {
		if (u64map_put(&c->synced, pfn, v) < 0)
			return -1;
	} else {
		u64map_del(&c->synced, pfn);
	}
	uint64_t last = --c->ndirty;
	if (idx != last) {
		c->dirty[idx] = c->dirty[last];
		if (u64map_put(&c->dirty_idx, c->dirty[idx].pfn, idx) < 0)
			return -1;
	}
	return 0;
}

static int rpcit_pages(struct checker *c, uint64_t first, uint64_t last, uint64_t *updates, uint64_t *unmapped);

int checker_rpcit(struct checker *c, uint64_t iova, uint64_t len, uint64_t *updates, uint64_t *unmapped)
{
	*updates = *unmapped = 0;
	int rc = rpcit_pages(c, iova >> 12, (iova + (len - 1)) >> 12, updates, unmapped);
	c->nunmapped -= *unmapped;
	return rc;
}

static int rpcit_pages(struct checker *c, uint64_t first, uint64_t last, uint64_t *updates, uint64_t *unmapped)
{
	if (!c->full)
		return light_rpcit(c, first, last, updates, unmapped);
	/* Work proportional to the smaller of the range and the dirty set. */
	if (last - first < c->ndirty) {
		for (uint64_t pfn = first;; pfn++) {
			uint64_t idx;
			if (u64map_get(&c->dirty_idx, pfn, &idx)) {
				*unmapped += c->dirty[idx].unmapped;
				if (sync_one(c, idx) < 0)
					return -1;
				(*updates)++;
			}
			if (pfn == last)
				break;
		}
		return 0;
	}
	for (uint64_t i = 0; i < c->ndirty;) {
		uint64_t pfn = c->dirty[i].pfn;
		if (pfn < first || pfn > last) {
			i++;
			continue;
		}
		*unmapped += c->dirty[i].unmapped;
		if (sync_one(c, i) < 0)
			return -1;
		(*updates)++;
	}
	return 0;
}

bool checker_dirty_span(const struct checker *c, uint64_t *first_pfn, uint64_t *last_pfn)
{
	if (c->ndirty == 0)
		return false;
	uint64_t lo = UINT64_MAX, hi = 0;
	if (!c->full) {
		for (uint64_t i = 0; i < c->nchunks; i++) {
			uint64_t a = c->chunks[i].chunk << 6 | (uint64_t)__builtin_ctzll(c->chunks[i].dirty);
			uint64_t b = c->chunks[i].chunk << 6 | (63 - (uint64_t)__builtin_clzll(c->chunks[i].dirty));
			lo = a < lo ? a : lo;
			hi = b > hi ? b : hi;
		}
		*first_pfn = lo;
		*last_pfn = hi;
		return true;
	}
	for (uint64_t i = 0; i < c->ndirty; i++) {
		lo = c->dirty[i].pfn < lo ? c->dirty[i].pfn : lo;
		hi = c->dirty[i].pfn > hi ? c->dirty[i].pfn : hi;
	}
	*first_pfn = lo;
	*last_pfn = hi;
	return true;
}

uint64_t checker_guest(const struct checker *c, uint64_t pfn)
{
	uint64_t v = 0;
	u64map_get(&c->guest, pfn, &v);
	return v;
}

uint64_t checker_synced(const struct checker *c, uint64_t pfn)
{
	uint64_t v = 0;
	u64map_get(&c->synced, pfn, &v);
	return v;
}

const struct checker_dirty *checker_dirty_of(const struct checker *c, uint64_t pfn)
{
	uint64_t idx;
	return u64map_get(&c->dirty_idx, pfn, &idx) ? &c->dirty[idx] : NULL;
}

bool checker_mapped_unflushed(const struct checker *c, uint64_t pfn)
{
	uint64_t idx;
	if (c->full)
		return u64map_get(&c->dirty_idx, pfn, &idx) && checker_guest(c, pfn) != 0 && !c->dirty[idx].unmapped;
	if (!u64map_get(&c->dirty_idx, pfn >> 6, &idx))
		return false;
	uint64_t bit = 1ull << (pfn & 63);
	return (c->chunks[idx].dirty & bit) && !(c->chunks[idx].unmapped & bit);
}

bool checker_in_sync(const struct checker *c, uint64_t pfn)
{
	uint64_t idx;
	return !u64map_get(&c->dirty_idx, pfn, &idx);
}
