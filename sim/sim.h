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

struct strategy;
struct sim;

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

struct pending_walk {
	uint64_t arrival, iova, addr; /* addr: what the device puts on the bus (iova unless dma_addr) */
	uint16_t dev;
	bool write;
	bool unprot; /* a write the guest's mapping would refuse, by a strategy that does not (dma_addr) */
	uint64_t recno;
};

struct pending_rpcit {
	uint64_t arrival, iova, len, recno;
};

/* A device's IOTLB: one structure per page size (sim.nsizes), looked up in parallel; size[0] holds 4 KiB
 * pages (the hot path's). A key is the page number at that size, tagged above bit 52 when shared. */
struct sim_iotlb {
	struct sacache size[IW_MAX_LEAF_SIZES];
};

/* What a run measures per PCI function (the totals are in struct sim.st). */
struct sim_fn_stats {
	uint64_t translations, updates, rpcits, rpcit_cycles, dma_cycles, faults;
};

/* A PCI function with its own IO address space: its IOAT, the strategy's instance for it, its reference
 * map, walk caches (unless shared) and counts. Every function shares the VM: memslots, host tables, the
 * root domain, the CPU caches and the pinned-memory count. */
struct sim_fn {
	uint16_t fid;
	unsigned idx;                /* registration order; tags cache entries when caches are shared */
	void *guest;                 /* the model's guest IO address space */
	struct strategy *strat;
	struct checker ref;
	uint64_t widest_iova, widest_len; /* the widest RPCIT range seen (the guest's global flush) */
	/* The flush queue of a guest that does not refresh after maps (IW_REFRESH_UNMAPS; Linux
	 * dma-iommu's per-CPU queues): unmaps queued since its last flush, and its timer. */
	uint64_t fq_queued, fq_timer;
	bool fq_armed;
	unsigned asid;               /* its address space (sim.ntags: functions whose guest_asid() is the same
					share one, and the entries cached for it) */
	uint64_t asid_key;           /* model->guest_asid() (its index when the model has none) */
	uint64_t tag;                /* asid above bit 52 when the caches are shared (keys of the bridge's), else 0 */
	struct sacache wc[IW_MAX_LEVELS]; /* its walk caches, as sim.wc_level[] lists them (unless shared) */
	struct sim_fn_stats st;
};

struct sim {
	const struct iw_config *cfg;
	const struct strategy_ops *ops;
	const struct iw_model *model;
	const struct iw_format *fmt; /* model->fmt */
	/* The device's walk caches: nwc levels of the format's (fmt->wc_param), the level nearest the leaf
	 * first; the span of each entry (log2 bytes) and the entries of each. */
	unsigned nwc, wc_level[IW_MAX_LEVELS], wc_shift[IW_MAX_LEVELS];
	uint64_t wc_entries[IW_MAX_LEVELS];
	/* The IOTLB's page sizes (fmt's leaf sizes): log2 bytes, smallest first, and each size's entries. */
	unsigned nsizes, size_shift[IW_MAX_LEAF_SIZES];
	uint64_t size_entries[IW_MAX_LEAF_SIZES];
	struct vm *vm;
	void *host;                  /* the model's host state (model->host_new) */
	struct sim_fn **fns;         /* the functions with an IOAT, in registration order */
	unsigned nfns;
	uint64_t fns_cap;
	struct sim_fn *cur;          /* the function whose work is being simulated */
	uint32_t *fn_of_fid;         /* fid -> index + 1 (0: none) */
	unsigned version;            /* the trace's format: 1 (one function serves every device) or 2 */
	bool shared_caches;          /* device.shared_caches: one IOTLB and walk caches for the bridge */
	struct memsys mem;
	struct sim_iotlb **iotlb;    /* per device id (a DMA stream in v1, a function in v2), on first use */
	struct sim_iotlb *shared_iotlb; /* the bridge's IOTLB when caches are shared */
	uint16_t *devs;              /* the device ids that have an IOTLB, in creation order */
	unsigned ndevs;
	struct sacache wc[IW_MAX_LEVELS]; /* the bridge's walk caches when caches are shared */
	unsigned ntags;              /* address-space tags given (model->guest_asid(): functions that share one
					address space share its tag) */
	bool check;                  /* compare every translation with the reference map */
	bool hits_fast;              /* IOTLB hits may be counted in runs: no check, no bus address */
	enum iw_refresh refresh;     /* which RPCITs this strategy's guest issues */
	uint64_t pinned;             /* guest pages pinned now (page references held, up-front pins) */
	uint64_t pinned_since;       /* when pinned last changed (cycles) */
	struct stats st;
	struct evq q;
	/* The DMAs still streaming (the rest of each, from its next page), in event order (cycle, then a
	 * sequence number of the queue's, taken when the rest was scheduled, as an event's would be): a ring,
	 * streams[(stream_head + i) & (stream_cap - 1)]. Ordered with the queue's events by the same key;
	 * kept apart because DMAs that overlap in time take turns page by page, and a turn here is a step
	 * of the ring (usually the next in turn is the oldest and the one that steps back the newest). */
	struct stream {
		uint64_t cycle, seq;   /* when its next page is due, and its place among equal cycles */
		uint64_t pfn, npages;  /* its next page and how many are left */
		uint64_t recno;        /* its DMA record */
		uint64_t *bus;         /* NULL, or (a strategy with dma_addr) its pages' bus addresses as taken when
					  the DMA was applied: bus[0] the DMA's first page number, bus[1 + k] page k's */
		uint16_t dev;
		bool write;
	} *streams;
	uint64_t stream_head, stream_len, stream_cap;
	uint64_t now;                /* cycle of the record or event being handled */
	uint64_t op_cycles;          /* charged to the operation in progress */
	uint64_t vcpu_free_at;       /* the guest vCPU is handling an RPCIT until then */
	uint64_t stall_cycles;       /* how far the replay runs behind the trace's times */
	uint64_t horizon;            /* when the next record will be handled (UINT64_MAX: none known) */
	/* The device's walker slots: a walk holds one until `done`. Its release is an event only when a
	 * translation waits for a slot (`pushed`); otherwise it is taken as done lazily, at the place in the
	 * event order (done, seq) its event would have had (seq reserved when the walk started). */
	struct walker {
		uint64_t done, seq;
		bool busy, pushed;
	} *walkers;
	uint64_t pos_seq;            /* the sequence number of the event being handled (UINT64_MAX: none) */
	struct pending_walk *walkq;  /* FIFO ring of translations waiting for a walker */
	uint64_t walkq_head, walkq_len, walkq_cap;
	uint64_t recno;              /* record being handled (1-based) */
	uint64_t queued_cycles;      /* cycles of queued translations charged to components, not yet to a path */
	uint64_t life_ops[IW_MAX_COUNTERS]; /* operation counts never reset by warm-up (asserting builds only) */
	bool memslots_dirty;
	bool started;                /* a record was handled */
	bool failed;
	bool check_failed;           /* the failure is a translation that disagreed with the reference */
	bool refused;                /* the failure is the strategy's refusal of the trace (sim_refuse()) */
	const char *what_if;         /* NULL, or why the strategy's numbers on this trace are a what-if (a
					configuration no real system of the design reaches; sim_what_if()) */
	char err[512];
};

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
static inline const struct iw_config *sim_cfg(const struct sim *s) { return s->cfg; }
static inline struct vm *sim_vm(const struct sim *s) { return s->vm; }
/* The model's host state (model->host_new) and the guest's registered table (a table of the format). */
static inline void *sim_model_host(const struct sim *s) { return s->host; }
static inline const void *sim_guest_table(const struct sim *s) { return s->model->guest_table(s->cur->guest); }
/* For messages: the strategy's name and the record being handled. */
static inline const char *sim_strategy_name(const struct sim *s) { return s->ops->name; }
static inline uint64_t sim_record_number(const struct sim *s) { return s->recno; }
/* Operation counts since the start (never reset by warm-up; asserting builds only). */
static inline uint64_t sim_lifetime_ops(const struct sim *s, unsigned o) { return s->life_ops[o]; }

static inline void sim_charge(struct sim *s, enum comp c, uint64_t cycles)
{
	s->st.comp[c] += cycles;
	s->op_cycles += cycles;
}
/* Counts n of operation o: an enum opcount, or a registered counter's index (stats_counter_index()). */
static inline void sim_op(struct sim *s, unsigned o, uint64_t n)
{
	s->st.ops[o] += n;
#ifdef IOWALK_INVARIANTS
	s->life_ops[o] += n;
#endif
}
/* A CPU memory reference at hpa, charged to c. */
static inline void sim_cpu_ref(struct sim *s, enum comp c, uint64_t hpa) { sim_charge(s, c, memsys_cpu(&s->mem, hpa)); }
/* A device memory reference at hpa, charged to c. */
static inline void sim_dev_ref(struct sim *s, enum comp c, uint64_t hpa)
{
	sim_charge(s, c, memsys_device(&s->mem, hpa));
	s->st.ops[OP_DEVICE_WALK_REFS]++;
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
static inline void sim_refuse(struct sim *s) { s->refused = true; }
/* A strategy that runs a configuration no real system of its design reaches says why (a static string):
 * reports mark its numbers as a what-if. */
static inline void sim_what_if(struct sim *s, const char *why) { s->what_if = why; }

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
static inline void sim_spinlock(struct sim *s) { sim_charge(s, COMP_SW, s->cfg->c_spinlock); }
/* Address of the mm_struct's pinned_vm/locked_vm counters (accounting of long-term pins). */
#define SIM_MM_COUNTERS_HPA ((1ull << 50) - 4096)

#endif
