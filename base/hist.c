/* hist: see hist.h. */
#include "hist.h"

#include <string.h>

void hist_init(struct hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

uint64_t hist_bucket_high(unsigned b)
{
	if (b < HIST_EXACT)
		return b;
	unsigned shift = (b - HIST_EXACT) / HIST_SUB + 1;
	uint64_t mant = (b - HIST_EXACT) % HIST_SUB + HIST_SUB;
	uint64_t low = mant << shift;
	uint64_t high = low + ((1ull << shift) - 1);
	return high < low ? UINT64_MAX : high;
}

uint64_t hist_quantile(const struct hist *h, double q)
{
	if (h->count == 0)
		return 0;
	if (q <= 0)
		return h->min;
	/* rank: the smallest value with at least ceil(q * count) values at or below it. */
	double want = q * (double)h->count;
	uint64_t rank = (uint64_t)want;
	if ((double)rank < want)
		rank++;
	if (rank == 0)
		rank = 1;
	uint64_t seen = 0;
	for (unsigned b = 0; b < HIST_BUCKETS; b++) {
		seen += h->b[b];
		if (seen >= rank) {
			uint64_t v = hist_bucket_high(b);
			if (v > h->max)
				v = h->max;
			if (v < h->min)
				v = h->min;
			return v;
		}
	}
	return h->max;
}
