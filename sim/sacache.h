/* sacache: a set-associative cache of u64 keys with u64 payloads and true LRU replacement. It models
 * the IOTLB (key = page number) and walk caches (key = address prefix); the CPU caches, which need no
 * payload or invalidation, are memsys.h's memcache (the same LRU, tested against this one). Zero entries
 * is allowed (every lookup misses); sets need not be a power of two.
 * Notes:
 *  - LRU is kept with a per-set use counter stamped on each hit or fill: exact LRU, deterministic.
 */
#ifndef IOWALK_SIM_SACACHE_H
#define IOWALK_SIM_SACACHE_H

#include <stdbool.h>
#include <stdint.h>

struct sacache {
	uint64_t sets;     /* >= 1 unless entries == 0 */
	uint32_t ways;
	uint64_t *keys;    /* sets * ways; key + 1, 0 = empty */
	uint64_t *vals;
	uint64_t *stamp;   /* last use, per line */
	uint64_t clock;
	uint64_t hits, misses, evictions;
};

/* entries = sets * ways; returns NULL or a reason (ways == 0 with entries, entries % ways != 0). */
const char *sacache_check(uint64_t entries, uint32_t ways);
int sacache_init(struct sacache *c, uint64_t entries, uint32_t ways); /* 0 or -1 (out of memory) */
void sacache_destroy(struct sacache *c);
/* The set of key in a cache of `sets` sets (>= 1): low bits index the set, as hardware does; modulo
 * keeps non-power-of-two set counts exact. (The CPU caches' memcache indexes so too.) */
static inline uint64_t cache_set_index(uint64_t sets, uint64_t key)
{
	return (sets & (sets - 1)) == 0 ? (key & (sets - 1)) : key % sets;
}
static inline uint64_t sacache_set_of(const struct sacache *c, uint64_t key) { return cache_set_index(c->sets, key); }
/* The line holding key (its index in keys[]), or -1: no LRU update, nothing counted. */
static inline int64_t sacache_find(const struct sacache *c, uint64_t key)
{
	if (!c->keys)
		return -1;
	uint64_t base = sacache_set_of(c, key) * c->ways, k = key + 1;
	for (uint32_t w = 0; w < c->ways; w++)
		if (c->keys[base + w] == k)
			return (int64_t)(base + w);
	return -1;
}
/* sacache_find() without a branch per way: every way of the set is compared (keys are unique in a set).
 * For lookups whose hit way is unpredictable (the walk caches), where an early exit mispredicts. */
static inline int64_t sacache_find_all(const struct sacache *c, uint64_t key)
{
	if (!c->keys)
		return -1;
	uint64_t base = sacache_set_of(c, key) * c->ways, k = key + 1;
	const uint64_t *p = c->keys + base;
	int64_t at = -1;
	for (uint32_t w = 0; w < c->ways; w++)
		at = p[w] == k ? (int64_t)(base + w) : at;
	return at;
}
/* A hit on line i (from sacache_find()): refreshes its LRU place, counts it; its payload. */
static inline uint64_t sacache_hit(struct sacache *c, int64_t i)
{
	c->stamp[i] = ++c->clock;
	c->hits++;
	return c->vals[i];
}
/* Counts a lookup whose sacache_find() or sacache_find_all() gave line i: a miss (i < 0), or a hit that
 * refreshes its LRU place and stores the payload in *val (when val). true on a hit. */
static inline bool sacache_looked_up(struct sacache *c, int64_t i, uint64_t *val)
{
	if (i < 0) {
		c->misses++;
		return false;
	}
	uint64_t v = sacache_hit(c, i);
	if (val)
		*val = v;
	return true;
}
/* Looks up key; on a hit refreshes LRU and stores the payload in *val. Counts hits and misses. (Inline:
 * the IOTLB's lookup of every translation.) */
static inline bool sacache_lookup(struct sacache *c, uint64_t key, uint64_t *val)
{
	return sacache_looked_up(c, sacache_find(c, key), val);
}
/* sacache_lookup() by sacache_find_all(). */
static inline bool sacache_lookup_all(struct sacache *c, uint64_t key, uint64_t *val)
{
	return sacache_looked_up(c, sacache_find_all(c, key), val);
}
/* Inserts or updates key (evicting the LRU line of its set when full). */
void sacache_fill(struct sacache *c, uint64_t key, uint64_t val);
/* Looks key up and, on a miss, fills it (one scan of the set): a cache access. true on a hit. */
bool sacache_access(struct sacache *c, uint64_t key);
/* Removes key if present. */
bool sacache_invalidate(struct sacache *c, uint64_t key);
/* Removes every key in [first, last]; returns how many. */
uint64_t sacache_invalidate_range(struct sacache *c, uint64_t first, uint64_t last);
static inline uint64_t sacache_entries(const struct sacache *c) { return c->keys ? c->sets * c->ways : 0; }

#endif
