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

CHECK_MAIN(CASE(test_lru_sequence), CASE(test_zero_and_odd_sets), CASE(test_invalidate_range))
