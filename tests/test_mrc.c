/* test_mrc: the one-pass stack algorithm against separate LRU caches of every size, fed the same
 * references, lookups without a fill, refills and invalidations (single keys, ranges, all), across
 * the compactions of its time axis; and a hand-worked stack with a hole. */
#include "check.h"
#include "mrc.h"
#include "rng.h"
#include "sacache.h"

#define MAXC 48

/* Stack [A, hole, B, X] (A most recent), then X: a 2-entry cache holds A and the empty slot, so X
 * misses and fills it (A stays); a 3-entry cache holds A, B and the slot: X misses, fills it, and B
 * stays; a 4-entry cache hits. So after X, A hits in caches of 2 or more, B in 3 or more. */
static void test_hole_by_hand(void)
{
	struct mrc m;
	CHECK(mrc_init(&m, 8) == 0);
	const uint64_t X = 1, B = 2, H = 3, A = 4;
	uint64_t seq[] = {X, B, H, A};
	for (unsigned i = 0; i < 4; i++) {
		mrc_lookup(&m, seq[i]);
		mrc_fill(&m, seq[i]);
	}
	mrc_invalidate(&m, H);
	uint64_t before4 = mrc_hits(&m, 4);
	mrc_lookup(&m, X);
	mrc_fill(&m, X);
	CHECK_EQ_U64(mrc_hits(&m, 4) - before4, 1); /* X at depth 4: the hole counts as a place */
	CHECK_EQ_U64(mrc_hits(&m, 3) - before4, 0);
	uint64_t h1 = mrc_hits(&m, 1), h2 = mrc_hits(&m, 2);
	mrc_lookup(&m, A);
	mrc_fill(&m, A);
	CHECK_EQ_U64(mrc_hits(&m, 1) - h1, 0);
	CHECK_EQ_U64(mrc_hits(&m, 2) - h2, 1); /* A at depth 2 */
	uint64_t h3 = mrc_hits(&m, 3), h2b = mrc_hits(&m, 2);
	mrc_lookup(&m, B);
	mrc_fill(&m, B);
	CHECK_EQ_U64(mrc_hits(&m, 3) - h3, 1); /* B at depth 3: not evicted by X's fill of the slot */
	CHECK_EQ_U64(mrc_hits(&m, 2) - h2b, 0);
	mrc_destroy(&m);
}

/* Random references over a small universe, against MAXC separate fully associative LRU caches. */
static void against_caches(uint64_t seed, unsigned universe, unsigned nops, unsigned inval_per_mille)
{
	struct mrc m;
	CHECK(mrc_init(&m, MAXC) == 0);
	struct sacache c[MAXC + 1];
	uint64_t hits[MAXC + 1] = {0};
	for (unsigned s = 1; s <= MAXC; s++)
		CHECK(sacache_init(&c[s], s, s) == 0);
	struct rng r;
	rng_seed(&r, seed);
	for (unsigned i = 0; i < nops; i++) {
		uint64_t k = rng_below(&r, universe), op = rng_below(&r, 1000);
		if (op < inval_per_mille) {
			mrc_invalidate(&m, k);
			for (unsigned s = 1; s <= MAXC; s++)
				sacache_invalidate(&c[s], k);
		} else if (op < inval_per_mille + 5) {
			uint64_t last = k + rng_below(&r, 8);
			mrc_invalidate_range(&m, k, last);
			for (unsigned s = 1; s <= MAXC; s++)
				sacache_invalidate_range(&c[s], k, last);
		} else if (op < inval_per_mille + 6) {
			mrc_invalidate_all(&m);
			for (unsigned s = 1; s <= MAXC; s++)
				sacache_invalidate_range(&c[s], 0, UINT64_MAX - 1);
		} else if (op < inval_per_mille + 20) {
			/* A lookup whose fill never comes (a fault), of a key none of the caches holds. */
			uint64_t absent = universe + rng_below(&r, 1000);
			mrc_lookup(&m, absent);
			for (unsigned s = 1; s <= MAXC; s++)
				CHECK(!sacache_lookup(&c[s], absent, NULL));
		} else {
			mrc_lookup(&m, k);
			for (unsigned s = 1; s <= MAXC; s++) {
				bool hit = sacache_lookup(&c[s], k, NULL);
				hits[s] += hit;
				if (!hit)
					sacache_fill(&c[s], k, 0);
			}
			mrc_fill(&m, k);
		}
	}
	CHECK(!m.failed);
	CHECK_EQ_U64(m.unpaired, 0);
	unsigned bad = 0;
	for (unsigned s = 1; s <= MAXC; s++)
		bad += mrc_hits(&m, s) != hits[s];
	CHECK_EQ_U64(bad, 0);
	for (unsigned s = 1; s <= MAXC; s++)
		if (mrc_hits(&m, s) != hits[s]) {
			fprintf(stderr, "seed %" PRIu64 " size %u: one pass %" PRIu64 ", separate %" PRIu64 "\n", seed, s,
				mrc_hits(&m, s), hits[s]);
			break;
		}
	for (unsigned s = 1; s <= MAXC; s++)
		sacache_destroy(&c[s]);
	mrc_destroy(&m);
}

static void test_rare_invalidations(void) { against_caches(1, 80, 20000, 0); } /* ranges and all only */
static void test_invalidations(void)
{
	for (uint64_t seed = 1; seed <= 6; seed++)
		against_caches(seed, 30 + 20 * (unsigned)seed, 15000, 30 + 30 * (unsigned)(seed % 3));
}

CHECK_MAIN(CASE(test_hole_by_hand), CASE(test_rare_invalidations), CASE(test_invalidations))
