/* memsys: the memory hierarchy timing model. CPU-side references go through L1 -> L2 -> L3 -> DRAM
 * (inclusive, write-allocate, LRU); device-side references cross the host bridge and look up the L3
 * (coherent last-level cache) before DRAM, without allocating in CPU caches.
 * Notes:
 *  - Latencies are load-to-use from the level that hits; a write costs what a read of its line costs.
 *  - One CPU (the vCPU handling intercepts) and its private L1/L2 are modelled; L3 is shared.
 */
#ifndef IOWALK_SIM_MEMSYS_H
#define IOWALK_SIM_MEMSYS_H

#include "config.h"
#include "sacache.h"

#include <stdbool.h>
#include <stdint.h>

enum memsys_level { MEM_L1 = 0, MEM_L2, MEM_L3, MEM_DRAM, MEM_LEVELS };

/* One cache level: set-associative, true LRU, kept as each set's lines in order of use (the most
 * recently used first; empty ways, 0, last). The same hits, misses and evictions as struct sacache's
 * stamps (tests/test_memsys.c compares them); no payloads, and the common hit (a line used again soon)
 * is found at the front of its set. */
struct memcache {
	uint64_t sets;                     /* 0: no cache (every reference misses) */
	uint32_t ways;
	bool random;                       /* the victim of a full set is a random way (else the LRU) */
	uint64_t rng;                      /* its xorshift state (seeded: the same every run) */
	uint64_t *lines;                   /* sets * ways; line number + 1, 0 = empty */
	uint64_t hits, misses, evictions;
};
/* 0 or -1 (out of memory); random: random replacement (else LRU), seeded by seed. */
int memcache_init(struct memcache *c, uint64_t entries, uint32_t ways, bool random, uint64_t seed);
void memcache_destroy(struct memcache *c);
/* The lines of line's set. */
static inline uint64_t *memcache_set(const struct memcache *c, uint64_t line)
{
	return c->lines + cache_set_index(c->sets, line) * c->ways;
}
/* The way of its set (from memcache_set()) holding key (line + 1), or ways when none does. */
static inline uint32_t memcache_way(const uint64_t *set, uint32_t ways, uint64_t key)
{
	uint32_t w = 0;
	while (w < ways && set[w] != key)
		w++;
	return w;
}
/* Makes way w of set (the lines in order of use) the most recently used, holding key: the ways used since
 * move back one. */
static inline void memcache_front(uint64_t *set, uint32_t w, uint64_t key)
{
	for (; w > 0; w--)
		set[w] = set[w - 1];
	set[0] = key;
}
/* A miss of key in set, filled: it goes in as the most recently used, evicting the least recently used
 * of a full set (or a random way: the others keep their order). Out of line: a miss is the rare way, and
 * inlined it would cost every L1 hit of memsys_cpu() registers saved and restored. */
void memcache_fill(struct memcache *c, uint64_t *set, uint64_t key);
/* Looks line up; a hit becomes the most recently used. On a miss, fill puts it in as the most recently
 * used (evicting the least recently used of a full set). true on a hit. */
static inline bool memcache_access(struct memcache *c, uint64_t line, bool fill)
{
	if (!c->sets) {
		c->misses++;
		return false;
	}
	uint64_t *set = memcache_set(c, line);
	uint64_t k = line + 1;
	uint32_t w = memcache_way(set, c->ways, k);
	if (w < c->ways) {
		c->hits++;
		memcache_front(set, w, k);
		return true;
	}
	if (fill)
		memcache_fill(c, set, k);
	else
		c->misses++;
	return false;
}

struct memsys {
	struct memcache c[3];
	bool present[3];
	uint64_t cycles[MEM_LEVELS];
	unsigned line_shift;
	uint64_t bridge_cycles;
	bool device_allocates;              /* device.l3_allocate: a device read that misses fills the L3 */
	uint64_t cpu_served[MEM_LEVELS];    /* CPU references served by each level */
	uint64_t device_served[MEM_LEVELS]; /* device references served (L3 or DRAM) */
	uint64_t last_line;                 /* the line of the last CPU reference (UINT64_MAX: none) */
};

int memsys_init(struct memsys *m, const struct iw_config *cfg); /* 0 or -1 (out of memory) */
void memsys_destroy(struct memsys *m);
uint64_t memsys_cpu(struct memsys *m, uint64_t hpa);    /* cycles of one CPU reference */
uint64_t memsys_device(struct memsys *m, uint64_t hpa); /* cycles of one device reference */
const char *memsys_level_name(enum memsys_level l);

#endif
