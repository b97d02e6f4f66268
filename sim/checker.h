/* checker: a reference map of the guest's IO mappings, kept independently of any table, against which
 * every translation the model makes is compared (--check).
 * Notes:
 *  - Two views per IOVA page: `guest` (what MAP/UNMAP wrote) and `synced` (what the last RPCIT covering
 *    the page made visible). A DMA is entitled to the synced view; for a page changed since its last
 *    RPCIT either view is architecturally allowed (the device may hold a stale translation).
 */
#ifndef IOWALK_SIM_CHECKER_H
#define IOWALK_SIM_CHECKER_H

#include "sim/u64map.h"

#include <stdbool.h>
#include <stdint.h>

/* A page's mapping: 0 = unmapped; else (gpa_pfn << 2) | CHECK_RO | CHECK_VALID. */
#define CHECK_VALID 1ull
#define CHECK_RO 2ull

struct checker {
	struct u64map guest, synced, dirty_idx;
	uint64_t *dirty; /* IOVA page numbers changed since their last RPCIT, in change order */
	uint64_t ndirty, dirty_cap;
};

int checker_init(struct checker *c);
void checker_destroy(struct checker *c);
int checker_map(struct checker *c, uint64_t iova, uint64_t gpa, uint64_t len, bool readonly);
int checker_unmap(struct checker *c, uint64_t iova, uint64_t len);
/* Makes the guest view of [iova, iova+len) visible; *updates = pages whose mapping changed. 0 or -1. */
int checker_rpcit(struct checker *c, uint64_t iova, uint64_t len, uint64_t *updates);
uint64_t checker_guest(const struct checker *c, uint64_t iova_pfn);
uint64_t checker_synced(const struct checker *c, uint64_t iova_pfn);
bool checker_in_sync(const struct checker *c, uint64_t iova_pfn);

#endif
