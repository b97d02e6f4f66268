/* mrc: the hits of a fully associative LRU cache at every size up to a bound, in one pass over its
 * reference stream (docs/mrc.md). Mattson et al.'s stack algorithm (IBM Systems Journal 9(2), 1970): a
 * reference hits a cache of C entries iff its stack distance (its depth in the LRU stack) is at most C;
 * the depth is counted with a Fenwick tree over the references' times (O(log n) a reference).
 *
 * Invalidation: a removed entry leaves a hole at its depth (removing it outright would revive, at the
 * sizes that had evicted them, the entries below it). A reference at depth D (a miss: D infinite) moves
 * the topmost hole above D to D, where the referenced entry was (a miss consumes it): a cache of C
 * entries with an empty slot fills it rather than evict, and keeps it when the reference hits. This
 * rule gives, at every size at once, what a separate LRU cache of that size gives (tests/test_mrc.c
 * checks it against per-size simulations).
 *
 * A lookup and its fill are two calls, as the engine makes them: mrc_lookup() counts the reference at
 * its depth; mrc_fill() (after a miss, or a refill) makes the key the most recent. A lookup whose fill
 * never comes (a fault, a translation held by another structure) is exact when the key was absent; when
 * it was present (a hit at the sizes above its depth), it is counted in `unpaired` (docs/mrc.md). */
#ifndef IOWALK_SIM_MRC_H
#define IOWALK_SIM_MRC_H

#include "u64map.h"

#include <stdbool.h>
#include <stdint.h>

struct mrc {
	uint64_t max_entries;       /* the largest size counted (depths beyond it are misses everywhere) */
	uint64_t *hits_at;          /* [d]: references at depth d (1..max_entries) */
	uint64_t references, unpaired, late_fills; /* late: a fill whose lookup was not the last one */
	/* The stack: every live key's time, holes' times, a Fenwick tree of markers by time. */
	struct u64map key_time;     /* key -> time */
	struct u64map time_key;     /* time -> key + 1, or 0 for a hole */
	uint64_t *fen;              /* Fenwick tree over times 1..cap */
	uint64_t cap, now, markers;
	uint64_t *holes;            /* a max-heap of hole times */
	uint64_t nholes, holes_cap;
	bool pending;               /* a lookup of pend_key, not yet filled */
	uint64_t pend_key, pend_depth; /* its depth (0: absent) */
	bool failed;                /* out of memory: the counts stopped */
	/* SHARDS (Waldspurger, Park, Garthwaite and Ahmad, FAST '15): only keys whose hash falls below
	 * sample_t (of 2^24) are tracked, each standing for 2^24 / sample_t keys; 0: every key. */
	uint64_t sample_t, sampled_refs;
};

int mrc_init(struct mrc *m, uint64_t max_entries); /* 0 or -1 */
/* Samples the keys at `rate` (0 < rate <= 1) by a hash of the key (SHARDS' fixed rate): the stack then
 * holds about rate x the keys, and mrc_hits() scales distances and counts back. Before the first call. */
void mrc_sample(struct mrc *m, double rate);
void mrc_destroy(struct mrc *m);
/* A lookup of key: counted at its depth; a fill, or the next lookup, ends it. */
void mrc_lookup(struct mrc *m, uint64_t key);
/* key is filled (after its lookup missed at some size): it becomes the most recent. */
void mrc_fill(struct mrc *m, uint64_t key);
/* key is removed at every size: a hole where it was. */
void mrc_invalidate(struct mrc *m, uint64_t key);
/* Every key in [first, last]. */
void mrc_invalidate_range(struct mrc *m, uint64_t first, uint64_t last);
/* Every key. */
void mrc_invalidate_all(struct mrc *m);
/* Hits of a cache of `entries` entries (1 .. max_entries). */
uint64_t mrc_hits(const struct mrc *m, uint64_t entries);

/* The curves of one cache structure (an IOTLB, a walk cache): the fully associative one by the stack
 * above, and set associative ones (ways 1 and 4, every power-of-two size from 1 to max_entries; below 4
 * entries the 4-way one is fully associative, as the engine clamps a cache's ways) by one small cache
 * each, fed the same lookups, fills and invalidations (for every set count at a fixed associativity,
 * as Hill and Smith's all-associativity simulation does, one cache a set count). */
#include "sacache.h"
#define MRC_WAYS_SETS 3     /* the associativities: 1, 4 and the configured one (when another) */
#define MRC_MAX_SIZES 20    /* sizes 1 .. 2^19 */
#define MRC_WC_MAX 512      /* a walk cache's curves stop here (real ones hold 2 to 64 entries) */
struct mrc_curve {
	struct mrc full;
	unsigned nsizes;
	uint64_t size[MRC_MAX_SIZES];
	struct sacache sa[MRC_WAYS_SETS][MRC_MAX_SIZES];
	uint64_t sa_hits[MRC_WAYS_SETS][MRC_MAX_SIZES];
	bool sa_missed[MRC_WAYS_SETS][MRC_MAX_SIZES]; /* the pending lookup missed there */
	uint64_t pend_key;
	bool pending;
	unsigned nways, ways[MRC_WAYS_SETS]; /* the set-associative curves' ways */
};
/* max_entries: a power of two; ways: the structure's configured associativity (a curve of its own when
 * it is neither 1 nor 4). 0 or -1. */
int mrc_curve_init(struct mrc_curve *c, uint64_t max_entries, unsigned ways);
void mrc_curve_destroy(struct mrc_curve *c);
/* A curve allocated and initialized (mrc_curve_init()), its fully associative curves sampled at rate
 * when below 1; NULL when out of memory. Freed by mrc_curve_free() (NULL: nothing). */
struct mrc_curve *mrc_curve_new(uint64_t max_entries, unsigned ways, double rate);
void mrc_curve_free(struct mrc_curve *c);
void mrc_curve_lookup(struct mrc_curve *c, uint64_t key);
/* The lookup's translation is in the structure now: found there, or filled after a walk. */
void mrc_curve_fill(struct mrc_curve *c, uint64_t key);
void mrc_curve_invalidate_range(struct mrc_curve *c, uint64_t first, uint64_t last);

#endif
