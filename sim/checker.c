/* checker: reference map (see checker.h). */
#include "sim/checker.h"

#include "sim/alloc.h"

int checker_init(struct checker *c)
{
	c->dirty = NULL;
	c->ndirty = c->dirty_cap = 0;
	if (u64map_init(&c->guest, 1024) < 0)
		return -1;
	if (u64map_init(&c->synced, 1024) < 0 || u64map_init(&c->dirty_idx, 256) < 0) {
		checker_destroy(c);
		return -1;
	}
	return 0;
}

void checker_destroy(struct checker *c)
{
	u64map_destroy(&c->guest);
	u64map_destroy(&c->synced);
	u64map_destroy(&c->dirty_idx);
	iw_free(c->dirty);
	c->dirty = NULL;
}

static int mark_dirty(struct checker *c, uint64_t pfn)
{
	uint64_t idx;
	if (u64map_get(&c->dirty_idx, pfn, &idx))
		return 0;
	if (c->ndirty == c->dirty_cap) {
		uint64_t cap = c->dirty_cap ? c->dirty_cap * 2 : 256;
		uint64_t *n = iw_realloc(c->dirty, cap * sizeof(*n));
		if (!n)
			return -1;
		c->dirty = n;
		c->dirty_cap = cap;
	}
	c->dirty[c->ndirty] = pfn;
	return u64map_put(&c->dirty_idx, pfn, c->ndirty++);
}

int checker_map(struct checker *c, uint64_t iova, uint64_t gpa, uint64_t len, bool readonly)
{
	for (uint64_t off = 0; off < len; off += 4096) {
		uint64_t pfn = (iova + off) >> 12;
		uint64_t v = (((gpa + off) >> 12) << 2) | CHECK_VALID | (readonly ? CHECK_RO : 0);
		if (u64map_put(&c->guest, pfn, v) < 0 || mark_dirty(c, pfn) < 0)
			return -1;
	}
	return 0;
}

int checker_unmap(struct checker *c, uint64_t iova, uint64_t len)
{
	for (uint64_t off = 0; off < len; off += 4096) {
		uint64_t pfn = (iova + off) >> 12;
		if (u64map_del(&c->guest, pfn) && mark_dirty(c, pfn) < 0)
			return -1;
	}
	return 0;
}

int checker_rpcit(struct checker *c, uint64_t iova, uint64_t len, uint64_t *updates)
{
	*updates = 0;
	uint64_t first = iova >> 12, last = (iova + (len - 1)) >> 12;
	uint64_t keep = 0;
	for (uint64_t i = 0; i < c->ndirty; i++) {
		uint64_t pfn = c->dirty[i];
		if (pfn < first || pfn > last) {
			c->dirty[keep] = pfn;
			if (u64map_put(&c->dirty_idx, pfn, keep++) < 0)
				return -1;
			continue;
		}
		u64map_del(&c->dirty_idx, pfn);
		(*updates)++;
		uint64_t v;
		if (u64map_get(&c->guest, pfn, &v)) {
			if (u64map_put(&c->synced, pfn, v) < 0)
				return -1;
		} else {
			u64map_del(&c->synced, pfn);
		}
	}
	c->ndirty = keep;
	return 0;
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

bool checker_in_sync(const struct checker *c, uint64_t pfn)
{
	uint64_t idx;
	return !u64map_get(&c->dirty_idx, pfn, &idx);
}
