/* stats: what a run measures, per strategy: cycles by component (every charged cycle belongs to exactly
 * one), operation counts, faults by kind, and latency histograms. */
#ifndef IOWALK_SIM_STATS_H
#define IOWALK_SIM_STATS_H

#include "format.h"
#include "hist.h"

#include <stdint.h>

#define COMPONENTS(X)                                                                                      \
	X(INTERCEPT, "intercept", "SIE exit/entry or exit to the VMM, instruction dispatch")                 \
	X(SW, "sw", "software steps: calls, locks, SRCU, allocation, hash and vfio bookkeeping")             \
	X(GUEST_READ, "guest_read", "reads of guest IO table entries")                                     \
	X(MEMSLOT, "memslot", "memslot search: last-used slot and tree probes")                              \
	X(HOST_WALK, "host_walk", "GUP-fast walk of the VMM's host page tables")                             \
	X(PIN, "pin", "page refcount increment (gfn_to_page / vfio pin)")                                    \
	X(UNPIN, "unpin", "page refcount decrement (kvm_release_pfn_dirty / vfio unpin)")                    \
	X(ROOT_WALK, "root_walk", "walk of the root (stage-2) IO table by software")                         \
	X(SHADOW_WRITE, "shadow_write", "walk and update of the host (shadow) IO table")                     \
	X(RPCIT, "rpcit", "host RPCIT instruction and device IOTLB invalidation")                            \
	X(IOTLB, "iotlb", "device IOTLB lookups")                                                            \
	X(DEVICE_WALK, "device_walk", "device-side table walks (walk caches, bridge, LLC/DRAM)")             \
	X(QUEUE, "queue", "waiting for a walker slot")

enum comp {
#define X(id, name, help) COMP_##id,
	COMPONENTS(X)
#undef X
	COMP_COUNT
};

#define OPCOUNTS(X)                                                                                        \
	X(RPCITS, "rpcits", "guest RPCIT instructions handled")                                              \
	X(RPCITS_SKIPPED, "rpcits_skipped", "RPCITs of the trace this strategy's guest does not issue (refresh off)") \
	X(FQ_FLUSHES, "fq_flushes", "RPCITs of the refresh-off guest's own flush queue (full, or its timer) that the trace's guest did not issue") \
	X(UPDATES, "iopte_updates", "guest IOPTE changes made visible (by an RPCIT, issued or not)")         \
	X(DRAIN_UPDATES, "drain_updates", "of them, made visible by the end-of-trace flush (not with --no-drain)") \
	X(PAGES_SCANNED, "pages_scanned", "4 KiB pages of RPCIT ranges examined")                            \
	X(GUEST_READS, "guest_table_reads", "guest IO table entries read")                                   \
	X(GUEST_TABLE_REFS, "guest_vcpu_refs", "guest IO table entries the guest's vCPU read or wrote on MAP and UNMAP (through the CPU caches, charged to no path)") \
	X(MEMSLOT_SEARCHES, "memslot_searches", "gfn -> memslot lookups")                                    \
	X(MEMSLOT_CACHE_HITS, "memslot_cache_hits", "lookups answered by the last-used slot")                \
	X(MEMSLOT_PROBES, "memslot_probes", "memory references made by memslot lookups")                     \
	X(PINS, "pins", "page references taken")                                                             \
	X(UNPINS, "unpins", "page references dropped")                                                       \
	X(SHADOW_WRITES, "shadow_writes", "host IOPTEs written")                                             \
	X(HOST_RPCITS, "host_rpcits", "RPCITs issued by the host to the hardware")                           \
	X(DMAS, "dmas", "DMA records")                                                                       \
	X(DMA_PAGES, "dma_translations", "DMA page translations")                                            \
	X(IOTLB_HITS, "iotlb_hits", "translations served by the IOTLB")                                      \
	X(IOTLB_MISSES, "iotlb_misses", "translations that needed a walk")                                   \
	X(DEVICE_WALK_REFS, "device_walk_refs", "memory references of device walks")                         \
	X(WALK_CACHE_HITS, "walk_cache_hits", "device walk-cache hits")                                      \
	X(WALKS_QUEUED, "walks_queued", "translations that waited for a walker slot")                        \
	X(UNPROTECTED_WRITES, "unprotected_writes", "DMA writes through a read-only guest mapping that succeeded (no isolation)") \
	X(GUEST_STALLS, "guest_stalls", "records delayed because the vCPU was still handling an RPCIT")      \
	X(CHECKED, "checked", "translations compared with the reference map")

enum opcount {
#define X(id, name, help) OP_##id,
	OPCOUNTS(X)
#undef X
	OP_COUNT
};

/* Counters a model or a strategy owns, registered at start-up (like parameters, config.h); they follow
 * the engine's in every report, for every strategy (0 where a strategy does not count them). */
struct iw_counter {
	const char *name, *help;
};
struct iw_counter_group {
	const char *owner;
	const struct iw_counter *counters;
	unsigned n;
};
#define IW_MAX_EXT_COUNTERS 32
#define IW_MAX_COUNTERS (OP_COUNT + IW_MAX_EXT_COUNTERS)
/* Registers g (again: no effect). 0, or -1 when a name is taken or the table is full. */
int stats_register(const struct iw_counter_group *g);
/* The index (for sim_op() and stats.ops[]) of a counter by name, or -1. */
int stats_counter_index(const char *name);
/* Every counter, the engine's first: how many, and each one's name, help and owner (the group that
 * registered it; NULL for the engine's own). */
unsigned stats_ncounters(void);
const char *stats_counter_name(unsigned i);
const char *stats_counter_help(unsigned i);
const char *stats_counter_owner(unsigned i);
const struct iw_counter_group *stats_counter_group(unsigned i); /* NULL for the engine's own */

const char *comp_name(enum comp c);
const char *comp_help(enum comp c);
const char *op_name(enum opcount o);

struct stats {
	uint64_t comp[COMP_COUNT];
	uint64_t ops[IW_MAX_COUNTERS]; /* the engine's (enum opcount), then the registered ones */
	uint64_t faults[IW_MAX_FAULTS]; /* by the format's fault code */
	uint64_t rpcit_cycles, dma_cycles; /* the RPCIT path and the DMA path */
	uint64_t setup_cycles;             /* one-time: IOTA registration, up-front pinning (not in the total) */
	uint64_t setup_pinned_pages;       /* pages pinned up front (all guest RAM for a root domain) */
	uint64_t setup_ops[IW_MAX_COUNTERS]; /* operations of the set-up (IOTA registration: its memslot
					      * searches, host walks, pins), counted here, not in ops */
	/* Pinned guest pages over the statistics window [window_start, window_end] (simulated cycles). */
	uint64_t pinned_peak, pinned_end;
	unsigned __int128 pinned_area;     /* pinned pages x cycles */
	uint64_t window_start, window_end;
	uint64_t guest_stall_cycles;       /* replay delay caused by RPCIT handling (not charged) */
	struct hist dma;    /* per DMA page translation */
	struct hist update; /* per IOPTE update: an RPCIT's cycles / its updates, weighted by updates */
	struct hist rpcit;  /* per RPCIT */
};

void stats_init(struct stats *s);
/* The steady-state cost: both paths; set-up is reported on its own. */
static inline uint64_t stats_total(const struct stats *s) { return s->rpcit_cycles + s->dma_cycles; }
/* Cycles per IOPTE update: every RPCIT-path cycle (RPCITs that changed nothing included) over the updates
 * made visible, not truncated (0 when there was none). The one definition of the per-update mean: the
 * update histogram spreads each RPCIT's cycles over its updates for the percentiles only. */
static inline double stats_update_mean(const struct stats *s)
{
	return s->ops[OP_UPDATES] ? (double)s->rpcit_cycles / (double)s->ops[OP_UPDATES] : 0.0;
}
/* The average pinned bytes over the window, rounded down (the end value when the window is empty). */
uint64_t stats_pinned_avg_bytes(const struct stats *s);
/* Sum of the components (equals stats_total() once no walk is queued; checked by tests). */
uint64_t stats_component_sum(const struct stats *s);

#endif
