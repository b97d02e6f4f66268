/* test_evq: heap order and deterministic ties. */
#include "check.h"
#include "evq.h"
#include "rng.h"

static void test_order_and_ties(void)
{
	struct evq q;
	CHECK(evq_init(&q, 2) == 0);
	/* Same cycle: pop in push order (sequence numbers). */
	CHECK(evq_push(&q, 10, 1, 0, 100, 0, 0) == 0);
	CHECK(evq_push(&q, 5, 1, 0, 200, 0, 0) == 0);
	CHECK(evq_push(&q, 10, 1, 0, 101, 0, 0) == 0);
	CHECK(evq_push(&q, 10, 1, 0, 102, 0, 0) == 0);
	CHECK(evq_push(&q, 1, 1, 0, 300, 0, 0) == 0);
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
		CHECK(evq_push(&q, cyc[i], 0, 0, (uint64_t)i, 0, 0) == 0);
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
			CHECK(evq_push(&q, cyc[pushed], 0, 0, (uint64_t)pushed, 0, 0) == 0);
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

/* evq_exchange() is a push then a pop: two queues, one exchanging, the other pushing and popping, give
 * the same events in the same order (sequence numbers included), in the side array and past it. */
static void test_exchange_as_push_pop(void)
{
	struct evq a, b;
	CHECK(evq_init(&a, 4) == 0);
	CHECK(evq_init(&b, 4) == 0);
	struct rng r;
	rng_seed(&r, 11);
	uint64_t now = 0, exchanged = 0, refused = 0;
	for (int i = 0; i < 20000; i++) {
		unsigned op = (unsigned)rng_below(&r, 4);
		uint64_t cyc = now + rng_below(&r, 30);
		if (evq_len(&a) > 12) /* around the side array's size: both parts in use */
			op = 1;
		if (op == 0 || evq_empty(&a)) {
			CHECK(evq_push(&a, cyc, 2, 0, (uint64_t)i, 0, 0) == 0);
			CHECK(evq_push(&b, cyc, 2, 0, (uint64_t)i, 0, 0) == 0);
		} else if (op == 1) {
			struct ev x, y;
			CHECK(evq_pop(&a, &x) && evq_pop(&b, &y));
			CHECK(x.cycle == y.cycle && x.seq == y.seq && x.arg == y.arg);
			now = x.cycle;
		} else {
			struct ev x, y;
			if (evq_exchange(&a, cyc, 2, 1, (uint64_t)i, 0, 0, &x)) {
				exchanged++;
				CHECK(evq_push(&b, cyc, 2, 1, (uint64_t)i, 0, 0) == 0);
				CHECK(evq_pop(&b, &y));
				CHECK(x.cycle == y.cycle && x.seq == y.seq && x.arg == y.arg && x.arg32 == y.arg32);
				now = x.cycle;
			} else {
				refused++; /* the next event is in the heap, or after the new one: nothing changed */
			}
		}
		CHECK_EQ_U64(evq_len(&a), evq_len(&b));
	}
	struct ev x, y;
	while (evq_pop(&a, &x)) {
		CHECK(evq_pop(&b, &y));
		CHECK(x.cycle == y.cycle && x.seq == y.seq && x.arg == y.arg);
	}
	CHECK(evq_empty(&b));
	CHECK(exchanged > 1000 && refused > 1000);
	evq_destroy(&a);
	evq_destroy(&b);
}

CHECK_MAIN(CASE(test_order_and_ties), CASE(test_random_against_sort), CASE(test_interleaved_against_scan),
	   CASE(test_exchange_as_push_pop))
