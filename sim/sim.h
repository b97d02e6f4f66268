/* sim: one simulated system running one translation strategy over a trace: the VM's memory, the
 * guest's IO table, the CPU caches, the device's IOTLBs and walk caches, walker slots, the vCPU, the
 * reference checker, and the statistics. The engine feeds every instance the same records.
 * Notes:
 *  - Time is simulated cycles. A record is handled at its time plus the replay's accumulated stall: an
 *    RPCIT blocks the guest's vCPU (the instruction is synchronous), so when handling it takes longer
 *    than the trace leaves before the next record, that record and all later ones move later (closed-
 *    loop replay; counted as guest_stalls). Walks already in flight proceed meanwhile. A DMA's pages are
 *    translated as the device streams it (device.page_gap_cycles apart); a translation that misses the
 *    IOTLB needs a walker slot and waits (component `queue`) when all are busy.
 *  - An operation's functional effect happens when it starts; its latency is what was charged to it.
 *  - Strategies plug in through struct strategy_ops, each belonging to an architecture model
 *    (model.h: table format, host tables, guest IO table); sim never sees a strategy's or a model's
 *    private state, and walks, caches and invalidates only through the model's format (format.h).
 */
#ifndef IOWALK_SIM_SIM_H
#define IOWALK_SIM_SIM_H

#include "checker.h"
#include "config.h"
#include "evq.h"
#include "format.h"
#include "memsys.h"
#include "model.h"
#include "sacache.h"
#include "stats.h"
#include "trace.h"
#include "vm.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIM_MAX_DEVS 65536u

/* A translation's result as the device sees it. */
struct sim_xlate {
	unsigned fault;      /* IW_FAULT_NONE or the format's fault code */
	uint64_t frame;      /* host-physical frame (page_bytes aligned) when fault == IW_FAULT_NONE */
	uint64_t page_bytes;
	bool writable;
};

struct sim;

/* The first member of every strategy's instance: the engine holds instances as struct strategy and each
 * strategy recovers its own from it with container_of(). */
struct strategy {
	const struct strategy_ops *ops;
};
/* The structure of type `type` whose member `member` is at ptr. */
#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* Which of the trace's RPCITs a strategy's guest issues: the zPCI refresh bit the hypervisor reports
 * (CLP query-PCI-function-group, vfio's VFIO_DEVICE_INFO_ZPCI_FLAG_REFRESH). */
enum iw_refresh {
	IW_REFRESH_ALL,    /* refresh on: after new mappings and after unmaps (a shadowing hypervisor needs it) */
	IW_REFRESH_UNMAPS, /* refresh off: only flushes after unmaps (Linux s390_iommu_iotlb_sync_map() skips
			      zpci_refresh_trans() when !zdev->tlb_refresh) */
	IW_REFRESH_NONE,   /* no guest translation at all (relaxed translation): the guest issues no RPCIT */
};

/* How a page reference is taken and dropped (sim_pin_page()). */
enum iw_pin {
	IW_PIN_GET,      /* GUP-fast with FOLL_GET (gfn_to_page()): a reference on the compound head, marked
			    referenced; dropped by kvm_release_pfn_dirty(): SetPageDirty + put_page */
	IW_PIN_LONGTERM, /* FOLL_PIN | FOLL_LONGTERM (pin_user_pages_fast(), vfio type1): the pin bias on the
			    head (and _pincount of a large folio), mm->pinned_vm and RLIMIT_MEMLOCK accounting;
			    dropped by unpin_user_pages_dirty_lock() with the same accounting */
};

struct strategy_ops {
	const char *name;
	const char *summary;
	/* NULL on failure with the reason in err. Called once the VM and guest IOAT exist; self is this
	 * strategy_ops (for impl). */
	struct strategy *(*create)(const struct strategy_ops *self, struct sim *s, char *err, size_t errlen);
	void (*destroy)(struct strategy *st);
	/* Handles an invalidation the guest issues on its vCPU (s390: an RPCIT of a range), charging every
	 * step (the guest's own IOTLB flush as the hypervisor sees it). */
	void (*invalidate)(struct strategy *st, const struct iw_inval *inv);
	/* The device's translation of iova on an IOTLB miss (walks, caches), charging every step. */
	void (*dma_walk)(struct strategy *st, uint64_t iova, bool write, struct sim_xlate *x);
	/* Asserting builds only (IOWALK_INVARIANTS): checks the strategy's invariants after a record; with
	 * full, also against a scan of its tables (end of run). NULL when it has none. */
	void (*check_invariants)(struct strategy *st, bool full);
	/* The page references this instance holds (NULL: none); the engine checks that the VM's pins minus
	 * unpins equal their sum over the functions (asserting builds). */
	uint64_t (*pins_held)(struct strategy *st);
	/* The guest's refresh policy under cfg (NULL: IW_REFRESH_ALL). */
	enum iw_refresh (*refresh)(const struct iw_config *cfg);
	/* The address the device puts on the bus for a DMA the trace makes to iova, when it is not iova
	 * (NULL): false when there is none (the DMA faults as invalid). Asked for every page of a DMA when
	 * its record is applied (the driver hands the device its addresses when it issues the DMA; a later
	 * unmap of the IOVA cannot change them); the IOTLB and dma_walk see it as the pages stream. */
	bool (*dma_addr)(struct strategy *st, uint64_t iova, uint64_t *addr, bool *guest_ro);
	/* All guest RAM is mapped and pinned up front (a root or stage-2 domain, relaxed translation): the
	 * engine charges it as set-up (cost.setup_pin_page per 4 KiB page, also for memslots added later)
	 * and counts it as pinned memory. */
	bool pins_guest_ram;
	/* The device is not held to the protection of the guest's mappings (relaxed translation): a write
	 * through a read-only mapping succeeds, counted as unprotected_writes, and the check requires it to
	 * succeed. Only with dma_addr (the guest's protection is known from the DMA's bus addresses). */
	bool unprotected;
	const struct iw_model *model; /* the architecture model it belongs to */
	const void *impl;             /* constant data of the implementation (a shadowing strategy's resolver) */
	const struct iw_param_group *params; /* the parameters it owns (NULL: none); registered at start-up */
	const struct iw_counter_group *counters; /* the counters it owns (NULL: none); registered at start-up */
};

/* What a run measures per PCI function (the totals are in its struct stats). */
struct sim_fn_stats {
	uint64_t translations, updates, rpcits, rpcit_cycles, dma_cycles, faults;
};

/* The part of a simulation the inline services below reach (the first member of struct sim, whose other
 * fields are the engine's own: sim_impl.h). Models and the front end use the services and accessors,
 * never these fields by name. */
struct sim_core {
	const struct iw_config *cfg;
	struct vm *vm;
	void *host;                  /* the model's host state (model->host_new) */
	uint64_t op_cycles;          /* charged to the operation in progress */
	struct stats st;
	struct memsys mem;
	uint64_t life_ops[IW_MAX_COUNTERS]; /* operation counts never reset by warm-up (asserting builds only) */
};
static inline struct sim_core *sim_core(struct sim *s) { return (struct sim_core *)(void *)s; }
static inline const struct sim_core *sim_core_c(const struct sim *s) { return (const struct sim_core *)(const void *)s; }

/* ---- what the front end reads of a finished run ---- */
const struct stats *sim_stats(const struct sim *s);
const struct strategy_ops *sim_strategy(const struct sim *s);
const struct iw_format *sim_format(const struct sim *s);
const struct memsys *sim_memsys(const struct sim *s);
/* NULL, or why its numbers are a what-if (sim_what_if()). */
const char *sim_what_if_reason(const struct sim *s);
/* The PCI functions that registered an IO address space, in registration order: their number and counts. */
unsigned sim_nfunctions(const struct sim *s);
uint16_t sim_function_id(const struct sim *s, unsigned i);
const struct sim_fn_stats *sim_function_stats(const struct sim *s, unsigned i);
/* After a failure: the reason, and whether a translation disagreed with the reference map or the
 * strategy refused the trace (sim_refuse()). */
const char *sim_error(const struct sim *s);
bool sim_check_failed(const struct sim *s);
bool sim_refused(const struct sim *s);

struct sim *sim_new(const struct iw_config *cfg, const struct strategy_ops *ops, bool check, char *err,
		    size_t errlen);
void sim_free(struct sim *s);
/* Handles one record (recno is 1-based). 0, or -1 with the reason in s->err. */
int sim_record(struct sim *s, const struct trace_rec *r, uint64_t recno);
/* The trace's format version (trace_reader_header()), before the first record: 1 (default) or 2. */
void sim_set_trace_version(struct sim *s, unsigned version);
/* Tells the simulation the trace time of the record after the one it is given next (UINT64_MAX at
 * the end or when unknown): work due before it may be done without the event queue. */
void sim_set_next_time(struct sim *s, uint64_t trace_time);
/* At the end of the trace: makes every IOPTE change not yet refreshed visible, as the guest's flush
 * queue does with its final flush (an RPCIT over the widest range the trace refreshed, or over the
 * changed pages when no refresh covered them), after the last record. 0 or -1. */
int sim_drain(struct sim *s);
/* Runs every pending event to completion. 0 or -1. */
int sim_finish(struct sim *s);
/* Forgets all statistics (after warm-up); the simulated state and caches stay. */
void sim_reset_stats(struct sim *s);

/* ---- the services strategies use (models reach a simulation only through these) ---- */
static inline const struct iw_config *sim_cfg(const struct sim *s) { return sim_core_c(s)->cfg; }
static inline struct vm *sim_vm(const struct sim *s) { return sim_core_c(s)->vm; }
/* The model's host state (model->host_new) and the guest's registered table of the function whose work
 * the strategy's instance is doing (a table of the format). */
static inline void *sim_model_host(const struct sim *s) { return sim_core_c(s)->host; }
const void *sim_guest_table(const struct sim *s);
/* For messages: the strategy's name and the record being handled. */
const char *sim_strategy_name(const struct sim *s);
uint64_t sim_record_number(const struct sim *s);
/* Operation counts since the start (never reset by warm-up; asserting builds only). */
static inline uint64_t sim_lifetime_ops(const struct sim *s, unsigned o) { return sim_core_c(s)->life_ops[o]; }

static inline void sim_charge(struct sim *s, enum comp c, uint64_t cycles)
{
	struct sim_core *k = sim_core(s);
	k->st.comp[c] += cycles;
	k->op_cycles += cycles;
}
/* Counts n of operation o: an enum opcount, or a registered counter's index (stats_counter_index()). */
static inline void sim_op(struct sim *s, unsigned o, uint64_t n)
{
	sim_core(s)->st.ops[o] += n;
#ifdef IOWALK_INVARIANTS
	sim_core(s)->life_ops[o] += n;
#endif
}
/* A CPU memory reference at hpa, charged to c. */
static inline void sim_cpu_ref(struct sim *s, enum comp c, uint64_t hpa) { sim_charge(s, c, memsys_cpu(&sim_core(s)->mem, hpa)); }
/* A device memory reference at hpa, charged to c. */
static inline void sim_dev_ref(struct sim *s, enum comp c, uint64_t hpa)
{
	sim_charge(s, c, memsys_device(&sim_core(s)->mem, hpa));
	sim_core(s)->st.ops[OP_DEVICE_WALK_REFS]++;
}
/* The host invalidates the device's IOTLBs and walk caches for the current function's address space
 * (inv->scope: a range, rounded as the format's descriptors express it; its whole space; every space),
 * the walk caches kept for a leaf-only one; counted (host_rpcits). Its cost is the caller's to charge
 * (the model's: an RPCIT instruction, a queued descriptor and its wait). */
void sim_invalidate(struct sim *s, const struct iw_inval *inv);
/* The device's walk caches (entries of the levels the format caches, keyed by IOVA, each with what the
 * walk needs to go on below it): the level a walk of iova must start reading at (the top level when
 * nothing is cached), and filling after reading the i-th entry of w. */
unsigned sim_walk_cache_lookup(struct sim *s, uint64_t iova);
void sim_walk_cache_fill(struct sim *s, uint64_t iova, const struct iw_walk *w, unsigned i);
/* The device's cache `which` of configuration structures (iw_format.cfg_cache[]): true on a hit of key; a
 * miss fills it and counts the format's miss counter (the strategy charges reading the structure). One
 * cache for the device (keys carry what tags them: a source id, a PASID). */
bool sim_cfg_cache_lookup(struct sim *s, unsigned which, uint64_t key);
/* Removes key from cache `which` (all its entries when all). */
void sim_cfg_cache_invalidate(struct sim *s, unsigned which, uint64_t key, bool all);
/* The device walks a host-memory table of the model's format (a shadow) with the walk caches, reading
 * only the entries below what they hold (the format's walk_from()); charges to device_walk. The table
 * must keep every entry above the leaf once it is valid (entries are only added there), so what the
 * walk caches hold is never stale: asserting builds compare each such walk with the whole walk. */
void sim_device_walk(struct sim *s, const void *table, uint64_t iova, bool write, struct sim_xlate *x);
/* The same for a walk the strategy already made (w, of iova): its references charged with the walk caches. */
void sim_device_walked(struct sim *s, uint64_t iova, const struct iw_walk *w, struct sim_xlate *x);
/* Address of the struct page of hpa (for refcount references). */
static inline uint64_t sim_struct_page(uint64_t hpa) { return (1ull << 50) + (hpa >> 12) * 64; }
/* CPU references to refs[0..n), each charged to c. */
void sim_cpu_refs(struct sim *s, enum comp c, const uint64_t *refs, unsigned n);

/* A strategy's create() that returns NULL because the design cannot take the trace's configuration (a
 * real system refuses it) says so first: the run then fails with its reason, or leaves the strategy out
 * and reports it as not run when every strategy was asked for. */
void sim_refuse(struct sim *s);
/* A strategy could not allocate its own host state (a map of its, not simulated memory): the run stops
 * with the reason, naming the strategy. */
void sim_out_of_memory(struct sim *s, const char *what);
/* A strategy that runs a configuration no real system of its design reaches says why (a static string):
 * reports mark its numbers as a what-if. */
void sim_what_if(struct sim *s, const char *why);

/* ---- host services: the architecture-neutral KVM and mm steps strategies share ---- */
/* KVM's gfn -> memslot lookup (____gfn_to_memslot: last-used slot, then the tree), counted, every probe
 * a CPU reference charged to memslot. The slot's index (vm_slot()) or -1. */
int sim_memslot_search(struct sim *s, uint64_t gfn);
/* A reference taken on a page of the folio whose head is at head (the page itself for a base page;
 * large: a compound page, whose FOLL_PIN also counts _pincount), of the given kind (enum iw_pin):
 * references to the head's struct page and the atomics, charged to pin. */
void sim_pin_page(struct sim *s, uint64_t head, bool large, enum iw_pin kind);
/* The reference dropped again: a call, the head's struct page and the atomics, charged to unpin. */
void sim_unpin_page(struct sim *s, uint64_t head, bool large, enum iw_pin kind);
/* A spin lock taken and released with interrupts off (spin_lock_irqsave/unlock_irqrestore), charged
 * to sw. */
static inline void sim_spinlock(struct sim *s) { sim_charge(s, COMP_SW, sim_cfg(s)->c_spinlock); }
/* Address of the mm_struct's pinned_vm/locked_vm counters (accounting of long-term pins). */
#define SIM_MM_COUNTERS_HPA ((1ull << 50) - 4096)

/* iowalk mrc (docs/mrc.md): the IOTLB's 4 KiB structure of every device also feeds its curves, the hits
 * at every size up to max_entries (a power of two >= 16), and each walk cache's, fully associative and with 1 and 4 ways. Before
 * the first record. IOTLB hits are then taken one by one (no runs). */
void sim_enable_mrc(struct sim *s, uint64_t max_entries);
/* iowalk mrc: a strategy's own cache of the current function (its slot below SIM_MRC_OWN, its name, its
 * ways) reports a lookup (hit or not) and a fill, so that its curves are counted too; nothing unless
 * mrc runs. */
#define SIM_MRC_OWN 2
void sim_mrc_own_lookup(struct sim *s, unsigned slot, const char *name, unsigned ways, uint64_t key, bool hit);
void sim_mrc_own_fill(struct sim *s, unsigned slot, uint64_t key);
/* Also the curves of the configuration caches and of the strategy's own caches (a pass then costs more). */
void sim_mrc_all(struct sim *s);
/* The fully associative curves sample their keys at rate (SHARDS; 1: every key; mrc.h). */
void sim_mrc_sample(struct sim *s, double rate);
/* The structures with curves: 0 the IOTLB (its 4 KiB structure's sizes; its hits include the lookups the
 * larger page sizes' structures serve, at every size), 1.. the walk caches (sim.wc_level[]
 * order, nearest the leaf first). Their names ("iotlb"; a walk cache by its entries parameter without
 * the "_entries": "wc_rt", "pwc_pd") into buf. */
unsigned sim_mrc_structures(const struct sim *s);
const char *sim_mrc_structure_name(const struct sim *s, unsigned k, char *buf, size_t len);
/* The associativities structure k has curves of, into ways[] (0: fully associative first; then 1, 4 and
 * the configured one when another): how many (at most 4). */
unsigned sim_mrc_ways(const struct sim *s, unsigned k, unsigned ways[4]);
/* Structure k's lookups, and the hits of one of `entries` entries of `ways` ways (0: fully associative;
 * 1 or 4 and entries a power of two from 1, as sim_enable_mrc() counts them), summed over its
 * instances (the devices' IOTLBs, the functions' walk caches; one when shared); *inexact: lookups whose
 * fill was not the next event of their structure (a walk that waited, faulted, or a larger page),
 * where the curve may differ from a run of that size. false when that point was not counted (a walk
 * cache's curves stop at 512 entries). */
bool sim_mrc_point(const struct sim *s, unsigned k, uint64_t entries, unsigned ways, uint64_t *lookups, uint64_t *hits,
		   uint64_t *inexact);
/* The structure (0 .. sim_mrc_structures() - 1) whose size the parameter `param` sets (device.iotlb_entries:
 * the IOTLB; a walk cache's entries parameter of the format: that cache), and its configured ways; -1
 * when param sizes none of them. */
int sim_mrc_structure_of(const struct sim *s, const char *param, unsigned *ways);

#endif
