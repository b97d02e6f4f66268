/* checker: a reference map of the guest's IO mappings, kept independently of any table, against which
 * every translation the model makes is compared (--check).
 * Notes:
 *  - Two views per IOVA page: `guest` (what MAP/UNMAP wrote) and `synced` (what the last RPCIT covering
 *    the page made visible). A DMA is entitled to the synced view; for a page changed since its last
 *    RPCIT, any mapping the page has had since then is architecturally allowed (the device may hold a
 *    translation it fetched at any point): the last CHECK_HISTORY of them are kept; a page changed more
 *    often than that without an RPCIT is not checked until its next RPCIT.
 */
#ifndef IOWALK_SIM_CHECKER_H
#define IOWALK_SIM_CHECKER_H

#include "u64map.h"

#include <stdbool.h>
#include <stdint.h>

/* A page's mapping: 0 = unmapped; else (gpa_pfn << 2) | CHECK_RO | CHECK_VALID. */
#define CHECK_VALID 1ull
#define CHECK_RO 2ull
#define CHECK_HISTORY 4

/* A page changed since its last RPCIT, with the mappings it had in between (not the current one). */
struct checker_dirty {
	uint64_t pfn;
	uint64_t seen[CHECK_HISTORY];
	uint8_t nseen;
	bool overflow;
	bool unmapped; /* a mapping was removed (UNMAP) since the last RPCIT: the guest's flush is an unmap flush */ /* more intermediate mappings than kept: anything goes until the next RPCIT */
};

struct checker {
	bool full;       /* keeps the guest and synced views (--check, asserting builds); else only the
			    pages changed since their last RPCIT, which is what update counts need */
	bool failed;     /* out of memory in checker_changed() */
	struct u64map guest, synced, dirty_idx;
	struct checker_dirty *dirty; /* full: pages changed since their last RPCIT (in no particular order) */
	uint64_t ndirty, dirty_cap;  /* pages changed since their last RPCIT (both kinds) */
	uint64_t nunmapped;          /* of them, pages a mapping was removed from (both kinds) */
	/* Without full: the changed pages as bitmaps of 64 pages (a few bits per page however many change). */
	struct checker_chunk *chunks;
	uint64_t nchunks, chunks_cap;
};

struct checker_chunk {
	uint64_t chunk;          /* page number >> 6 */
	uint64_t dirty, unmapped; /* bit i: page chunk * 64 + i changed; a mapping of it was removed */
};

int checker_init(struct checker *c, bool full);
void checker_destroy(struct checker *c);
/* A MAP: every page changes. Without full, only that (the model reports, through checker_changed(),
 * the pages whose valid mapping it replaced). */
int checker_map(struct checker *c, uint64_t iova, uint64_t gpa, uint64_t len, bool readonly);
/* An UNMAP (full only; without full the model reports each page it invalidated to checker_changed()). */
int checker_unmap(struct checker *c, uint64_t iova, uint64_t len);
/* Without full: the model's report that the valid mapping of the page at iova was replaced or removed
 * (ctx: the checker). Sets c->failed when out of memory. */
void checker_changed(void *ctx, uint64_t iova);
/* Makes the guest view of [iova, iova+len) visible; *updates = pages whose mapping changed, *unmapped =
 * those of them from which a mapping was removed (an RPCIT a guest issues after unmapping). 0 or -1. */
int checker_rpcit(struct checker *c, uint64_t iova, uint64_t len, uint64_t *updates, uint64_t *unmapped);
/* Pages a mapping was removed from (UNMAP) since their last RPCIT: what an unmap flush must cover. */
static inline uint64_t checker_unmapped_pending(const struct checker *c) { return c->nunmapped; }
/* The lowest and highest page changed since its last RPCIT; false when every page is in sync. */
bool checker_dirty_span(const struct checker *c, uint64_t *first_pfn, uint64_t *last_pfn);
uint64_t checker_guest(const struct checker *c, uint64_t iova_pfn);
uint64_t checker_synced(const struct checker *c, uint64_t iova_pfn);
bool checker_in_sync(const struct checker *c, uint64_t iova_pfn);
/* Whether the page was mapped since its last RPCIT and nothing was unmapped from it since: a new
 * mapping the guest has not flushed (both kinds). */
bool checker_mapped_unflushed(const struct checker *c, uint64_t iova_pfn);
/* For a page changed since its last RPCIT: the intermediate mappings it had (NULL when in sync). */
const struct checker_dirty *checker_dirty_of(const struct checker *c, uint64_t iova_pfn);

#endif
