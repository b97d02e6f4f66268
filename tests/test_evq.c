/* test_evq: heap order and deterministic ties. */
#include "check.h"
#include "evq.h"
#include "rng.h"

static void test_order_and_ties(void)
{
	struct evq q;
	CHECK(evq_init(&q, 2) == 0);
	/* Same cycle: pop in push order (sequence numbers). */
	CHECK(evq_push(&q, 10, 1, 100) == 0);
	CHECK(evq_push(&q, 5, 1, 200) == 0);
	CHECK(evq_push(&q, 10, 1, 101) == 0);
	CHECK(evq_push(&q, 10, 1, 102) == 0);
	CHECK(evq_push(&q, 1, 1, 300) == 0);
	const uint64_t want[] = {300, 200, 100, 101, 102};
	struct ev e;
	for (int i = 0; i < 5; i++) {
		CHECK(evq_pop(&q, &e));
		CHECK_EQ_U64(e.arg, want[i]);
	}
	CHECK(!evq_pop(&q, &e));
	evq_destroy(&q);
}

static void test_random_against_sort(void)
{
	struct evq q;
	CHECK(evq_init(&q, 16) == 0);
	struct rng r;
	rng_seed(&r, 42);
	enum { N = 5000 };
	static uint64_t cyc[N];
	for (int i = 0; i < N; i++) {
		cyc[i] = rng_below(&r, 100); /* many ties */
		CHECK(evq_push(&q, cyc[i], 0, (uint64_t)i) == 0);
	}
	uint64_t last_c = 0, last_i = 0;
	struct ev e;
	for (int i = 0; i < N; i++) {
		CHECK(evq_pop(&q, &e));
		CHECK_EQ_U64(e.cycle, cyc[e.arg]);
		CHECK(e.cycle >= last_c);
		if (i > 0 && e.cycle == last_c)
			CHECK(e.arg > last_i); /* ties in insertion order */
		last_c = e.cycle;
		last_i = e.arg;
	}
	CHECK(evq_empty(&q));
	evq_destroy(&q);
}

/* Pushes and pops interleaved, so events move through both the small side array and the heap: the
 * order is always the least (cycle, push order) pending, as a naive scan finds it. */
static void test_interleaved_against_scan(void)
{
	struct evq q;
	CHECK(evq_init(&q, 4) == 0);
	struct rng r;
	rng_seed(&r, 7);
	enum { N = 5000 };
	static uint64_t cyc[N];
	static bool done[N];
	int pushed = 0, popped = 0;
	uint64_t now = 0;
	while (pushed < N || !evq_empty(&q)) {
		if (pushed < N && (evq_empty(&q) || rng_below(&r, 3) != 0)) {
			cyc[pushed] = now + rng_below(&r, 40); /* never before the last popped: as the engine */
			CHECK(evq_push(&q, cyc[pushed], 0, (uint64_t)pushed) == 0);
			pushed++;
			continue;
		}
		int want = -1;
		for (int i = 0; i < pushed; i++)
			if (!done[i] && (want < 0 || cyc[i] < cyc[want]))
				want = i;
		CHECK(evq_peek(&q) != NULL && evq_peek(&q)->arg == (uint64_t)want);
		struct ev e;
		CHECK(evq_pop(&q, &e));
		CHECK_EQ_U64(e.arg, (uint64_t)want);
		done[e.arg] = true;
		popped++;
		CHECK_EQ_U64(evq_len(&q), (uint64_t)(pushed - popped));
		now = e.cycle;
	}
	evq_destroy(&q);
}

CHECK_MAIN(CASE(test_order_and_ties), CASE(test_random_against_sort), CASE(test_interleaved_against_scan))
