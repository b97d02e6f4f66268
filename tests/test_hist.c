/* test_hist: percentiles against a sorted-array reference, within the histogram's stated error. */
#include "check.h"
#include "hist.h"
#include "rng.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void against_sorted(uint64_t seed, uint64_t range)
{
	static struct hist h;
	hist_init(&h);
	enum { N = 20000 };
	static uint64_t v[N];
	struct rng r;
	rng_seed(&r, seed);
	for (int i = 0; i < N; i++) {
		v[i] = rng_below(&r, range) + (rng_below(&r, 10) == 0 ? rng_below(&r, range * 50) : 0);
		hist_add(&h, v[i], 1);
	}
	qsort(v, N, sizeof(v[0]), cmp_u64);
	const double qs[] = {0.5, 0.9, 0.99, 0.999, 1.0};
	for (int i = 0; i < 5; i++) {
		uint64_t rank = (uint64_t)(qs[i] * N + 0.999999);
		uint64_t truth = v[rank - 1];
		uint64_t got = hist_quantile(&h, qs[i]);
		/* Reported value is the top of the true value's bucket: >= truth, within 1/128 above. */
		CHECK(got >= truth);
		CHECK(got - truth <= truth / 128 + 1);
	}
	CHECK_EQ_U64(hist_quantile(&h, 1.0), v[N - 1]);
	CHECK_EQ_U64(h.count, N);
}

static void test_quantiles(void)
{
	against_sorted(1, 100);      /* exact region */
	against_sorted(2, 5000);     /* log-linear region */
	against_sorted(3, 10000000);
}

static void test_buckets(void)
{
	CHECK_EQ_U64(hist_bucket(0), 0);
	CHECK_EQ_U64(hist_bucket(255), 255);
	CHECK_EQ_U64(hist_bucket(256), 256);
	CHECK_EQ_U64(hist_bucket(257), 256);  /* width 2 above 256 */
	CHECK_EQ_U64(hist_bucket_high(256), 257);
	CHECK(hist_bucket(UINT64_MAX) < HIST_BUCKETS);
	CHECK_EQ_U64(hist_bucket_high(hist_bucket(UINT64_MAX)), UINT64_MAX);
	for (uint64_t v = 1; v < (1ull << 40); v = v * 3 + 1) {
		unsigned b = hist_bucket(v);
		CHECK(hist_bucket_high(b) >= v);
		CHECK(b == 0 || hist_bucket_high(b - 1) < v);
	}
	struct hist h;
	hist_init(&h);
	CHECK_EQ_U64(hist_quantile(&h, 0.5), 0);
	hist_add(&h, 1000, 3);
	CHECK_EQ_U64(hist_quantile(&h, 0.5), 1000); /* clamped to max */
	CHECK_EQ_U64(h.sum, 3000);
}

CHECK_MAIN(CASE(test_quantiles), CASE(test_buckets))
