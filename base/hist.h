/* hist: a log-linear latency histogram (HDR-style). Values below 2^(HIST_SUB_BITS+1) are exact; above,
 * each power-of-two range is split into 2^HIST_SUB_BITS buckets, so a reported percentile is within
 * 1/2^HIST_SUB_BITS (0.8%) of the true value. Fixed memory (58 KiB), O(1) record.
 * Notes:
 *  - A percentile reports the highest value of its bucket, clamped to the true maximum, so p100 == max.
 */
#ifndef IOWALK_SIM_HIST_H
#define IOWALK_SIM_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS 7
#define HIST_SUB (1u << HIST_SUB_BITS)           /* buckets per power of two */
#define HIST_EXACT (2u * HIST_SUB)               /* values below this are exact */
#define HIST_BUCKETS (HIST_EXACT + (64 - HIST_SUB_BITS - 1) * HIST_SUB)

struct hist {
	uint64_t count, sum, min, max;
	uint64_t b[HIST_BUCKETS];
};

void hist_init(struct hist *h);
/* The bucket of v (inline: one per translation on the hot path). */
static inline unsigned hist_bucket(uint64_t v)
{
	if (v < HIST_EXACT)
		return (unsigned)v;
	unsigned msb = 63u - (unsigned)__builtin_clzll(v);
	unsigned shift = msb - HIST_SUB_BITS; /* >= 1; v >> shift is in [HIST_SUB, 2 * HIST_SUB) */
	return HIST_EXACT + (shift - 1) * HIST_SUB + (unsigned)((v >> shift) - HIST_SUB);
}
/* Records weight values v. */
static inline void hist_add(struct hist *h, uint64_t v, uint64_t weight)
{
	if (weight == 0)
		return;
	h->b[hist_bucket(v)] += weight;
	h->count += weight;
	h->sum += v * weight;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}
/* The value at quantile q in [0, 1] (0 when empty). */
uint64_t hist_quantile(const struct hist *h, double q);
uint64_t hist_bucket_high(unsigned b);

#endif
