/* test_sacache: hit/miss/eviction sequences computed by hand; IOTLB-style replacement. */
#include "check.h"
#include "sacache.h"

static void test_lru_sequence(void)
{
	/* 2 sets x 2 ways. Keys map to set key % 2. */
	struct sacache c;
	CHECK(sacache_init(&c, 4, 2) == 0);
	uint64_t v = 0;
	CHECK(!sacache_lookup(&c, 0, &v)); /* miss */
	sacache_fill(&c, 0, 10);
	CHECK(!sacache_lookup(&c, 2, &v));
	sacache_fill(&c, 2, 12);           /* set 0 = {0, 2} */
	CHECK(sacache_lookup(&c, 0, &v));  /* hit, 0 is now MRU */
	CHECK_EQ_U64(v, 10);
	sacache_fill(&c, 4, 14);           /* evicts 2 (LRU) */
	CHECK_EQ_U64(c.evictions, 1);
	CHECK(!sacache_lookup(&c, 2, &v));
	CHECK(sacache_lookup(&c, 4, &v));
	CHECK(sacache_lookup(&c, 0, &v));
	CHECK(!sacache_lookup(&c, 1, &v)); /* set 1 untouched */
	CHECK_EQ_U64(c.hits, 3);
	CHECK_EQ_U64(c.misses, 4);
	sacache_fill(&c, 0, 99);           /* update in place, no eviction */
	CHECK_EQ_U64(c.evictions, 1);
	CHECK(sacache_lookup(&c, 0, &v));
	CHECK_EQ_U64(v, 99);
	sacache_destroy(&c);
}

static void test_zero_and_odd_sets(void)
{
	struct sacache c;
	CHECK(sacache_init(&c, 0, 4) == 0);
	sacache_fill(&c, 5, 1);
	CHECK(!sacache_lookup(&c, 5, NULL));
	CHECK_EQ_U64(c.misses, 1);
	sacache_destroy(&c);
	/* 3 sets x 1 way: keys 0, 3, 6 share set 0. */
	CHECK(sacache_init(&c, 3, 1) == 0);
	sacache_fill(&c, 0, 1);
	sacache_fill(&c, 1, 1);
	sacache_fill(&c, 3, 1);
	CHECK(!sacache_lookup(&c, 0, NULL));
	CHECK(sacache_lookup(&c, 1, NULL));
	CHECK(sacache_lookup(&c, 3, NULL));
	sacache_destroy(&c);
	CHECK(sacache_check(6, 4) != NULL);
	CHECK(sacache_check(8, 0) != NULL);
	CHECK(sacache_check(0, 0) == NULL);
}

static void test_invalidate_range(void)
{
	struct sacache c;
	CHECK(sacache_init(&c, 64, 4) == 0);
	for (uint64_t k = 100; k < 140; k++)
		sacache_fill(&c, k, k);
	CHECK_EQ_U64(sacache_invalidate_range(&c, 110, 119), 10);
	CHECK(!sacache_lookup(&c, 115, NULL));
	CHECK(sacache_lookup(&c, 120, NULL));
	CHECK_EQ_U64(sacache_invalidate_range(&c, 0, UINT64_MAX - 1), 30); /* walks the lines */
	CHECK(!sacache_lookup(&c, 139, NULL));
	sacache_destroy(&c);
}

/* sacache_find_all() (every way compared) finds what sacache_find() (the first match) finds, across
 * fills, evictions and invalidations, for 1, 4 and 8 ways and a non-power-of-two set count; lookups
 * through either give the same hits and LRU order. */
static void test_find_all(void)
{
	const uint32_t ways[] = {1, 4, 8, 4};
	const uint64_t entries[] = {16, 64, 64, 12};
	for (unsigned t = 0; t < 4; t++) {
		struct sacache a, b;
		CHECK(sacache_init(&a, entries[t], ways[t]) == 0);
		CHECK(sacache_init(&b, entries[t], ways[t]) == 0);
		uint64_t x = 12345 + t;
		for (unsigned i = 0; i < 20000; i++) {
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			uint64_t key = (x >> 33) % 97, v1 = 0, v2 = 0;
			CHECK_EQ_U64((uint64_t)sacache_find_all(&a, key), (uint64_t)sacache_find(&a, key));
			bool h1 = sacache_lookup(&a, key, &v1), h2 = sacache_lookup_all(&b, key, &v2);
			CHECK(h1 == h2);
			CHECK_EQ_U64(v1, v2);
			if (!h1) {
				sacache_fill(&a, key, key * 3);
				sacache_fill(&b, key, key * 3);
			}
			if ((x >> 20) % 16 == 0) {
				sacache_invalidate(&a, key / 2);
				sacache_invalidate(&b, key / 2);
			}
		}
		CHECK_EQ_U64(a.hits, b.hits);
		CHECK_EQ_U64(a.evictions, b.evictions);
		CHECK(a.hits > 1000 && a.evictions > 1000);
		sacache_destroy(&a);
		sacache_destroy(&b);
	}
}

CHECK_MAIN(CASE(test_lru_sequence), CASE(test_zero_and_odd_sets), CASE(test_invalidate_range), CASE(test_find_all))
