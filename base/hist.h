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
void hist_add(struct hist *h, uint64_t v, uint64_t weight);
/* The value at quantile q in [0, 1] (0 when empty). */
uint64_t hist_quantile(const struct hist *h, double q);
unsigned hist_bucket(uint64_t v);
uint64_t hist_bucket_high(unsigned b);

#endif
