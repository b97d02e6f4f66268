/* sim_impl: the engine's private view of a simulation: struct sim and its parts, the helpers its files
 * share, and the one place a strategy's operation is entered. Only sim/ (and tests) include it; models
 * and the front end see struct sim through sim.h's services and accessors.
 * The engine's files follow the life of a record (docs/architecture.md):
 *   sim.c          lifecycle: creation, functions, statistics reset, invariants, accessors
 *   sim_record.c   record dispatch: one apply_*() per record kind, memslot commits
 *   sim_vcpu.c     the guest vCPU's invalidation path, flush queues, the final drain and finish
 *   sim_events.c   event order, the clock and the device's walker slots
 *   sim_stream.c   DMA streams: in place, in turns and in rounds
 *   sim_xlate.c    one page's translation: IOTLB, walk, reference check
 *   sim_walk.c     the device walk, the walk caches and invalidation
 *   sim_check.c    the reference check of a translation
 *   sim_services.c services for strategies: memslot search, pins, the pinned-memory gauge
 */
#ifndef IOWALK_SIM_SIM_IMPL_H
#define IOWALK_SIM_SIM_IMPL_H

#include "invariant.h"
#include "sim.h"
#include "mrc.h"

#include <inttypes.h>
#include <stddef.h>

enum { EV_WALK_DONE = 1 };

/* A DMA whose IOVA gives no bus address (struct strategy_ops.dma_addr said none). */
#define NO_BUS_ADDR UINT64_MAX
/* A page's bus address as a strategy with dma_addr gave it when the DMA record was applied: the address,
 * with BUS_RO set when the guest had mapped it read-only, or NO_BUS_ADDR (none: the DMA faults). */
#define BUS_RO 1ull

/* The steps of a walk the engine runs itself (walk-cache lookup, charging the entries read, the walker
 * slot, counting the translation) are inlined into their callers: their calls (argument passing,
 * register saves) were about a tenth of a walk's instructions. */
#define ALWAYS_INLINE inline __attribute__((always_inline))

/* Simulated time never goes past SIM_TIME_MAX (traces start at most at TRACE_MAX_TIME, 2^62): every sum
 * of a time and a duration goes through time_add(), which stops the run with a reason instead of
 * wrapping. */
#define SIM_TIME_MAX (1ull << 63)

/* Cache keys of a function are tagged by its address space when the bridge's caches are shared (an IOVA
 * page number has at most 52 bits; at most SIM_MAX_SHARED_FNS functions). */
#define SIM_MAX_SHARED_FNS 4096u

struct pending_walk {
	uint64_t arrival, iova, addr; /* addr: what the device puts on the bus (iova unless dma_addr) */
	uint16_t dev;
	bool write;
	bool unprot; /* a write the guest's mapping would refuse, by a strategy that does not (dma_addr) */
	uint64_t recno;
};

struct pending_rpcit {
	uint64_t arrival, iova, len, recno;
	enum iw_inval_scope scope; /* a trace's domain or global invalidation (v3) covers [iova, iova+len) = the aperture */
	bool leaf_only;
};

/* A device's IOTLB: one structure per page size (sim.nsizes), looked up in parallel; size[0] holds 4 KiB
 * pages (the hot path's). A key is the page number at that size, tagged above bit 52 when shared. */
struct sim_iotlb {
	struct sacache size[IW_MAX_LEAF_SIZES];
	struct mrc_curve *curve; /* iowalk mrc: its 4 KiB structure's hits at every size (sim_enable_mrc()) */
	uint64_t large_hits;     /* iowalk mrc: lookups its larger page sizes' structures served (hits at
				    every size of the 4 KiB one, which device.iotlb_entries sets) */
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
	struct mrc_curve *wcc[IW_MAX_LEVELS]; /* iowalk mrc: their curves (made at first use) */
	struct mrc_curve *own[SIM_MRC_OWN]; /* iowalk mrc: the curves of its strategy's own caches */
	struct sim_fn_stats st;
};

struct sim {
	struct sim_core c;           /* cfg, vm, host, op_cycles, st, mem, life_ops: what sim.h's inline services reach */
	const struct strategy_ops *ops;
	const struct iw_model *model;
	const struct iw_format *fmt; /* model->fmt */
	/* The device's walk caches: nwc levels of the format's (fmt->wc_param), the level nearest the leaf
	 * first; the span of each entry (log2 bytes) and the entries of each. */
	unsigned nwc, wc_level[IW_MAX_LEVELS], wc_shift[IW_MAX_LEVELS];
	uint64_t wc_entries[IW_MAX_LEVELS];
	/* The IOTLB's page sizes (fmt's leaf sizes): log2 bytes, smallest first, and each size's entries. */
	unsigned nsizes, size_shift[IW_MAX_LEAF_SIZES];
	bool iotlb_fills;            /* an IOTLB structure has entries (or mrc counts its curves): walks fill it */
	uint64_t size_entries[IW_MAX_LEAF_SIZES];
	struct sim_fn **fns;         /* the functions with an IOAT, in registration order */
	unsigned nfns;
	uint64_t fns_cap;
	struct sim_fn *cur;          /* the function whose strategy operation is running (set only by enter()) */
	uint32_t *fn_of_fid;         /* fid -> index + 1 (0: none) */
	unsigned version;            /* the trace's format: 1 (one function serves every device) or 2 */
	bool shared_caches;          /* device.shared_caches: one IOTLB and walk caches for the bridge */
	struct sim_iotlb **iotlb;    /* per device id (a DMA stream in v1, a function in v2), on first use */
	struct sim_iotlb *shared_iotlb; /* the bridge's IOTLB when caches are shared */
	uint16_t *devs;              /* the device ids that have an IOTLB, in creation order */
	unsigned ndevs;
	struct sacache wc[IW_MAX_LEVELS]; /* the bridge's walk caches when caches are shared */
	struct mrc_curve *wcc[IW_MAX_LEVELS]; /* iowalk mrc: their curves (made at first use) */
	struct sacache cfgc[IW_MAX_CFG_CACHES]; /* the device's caches of configuration structures */
	struct mrc_curve *cfgcc[IW_MAX_CFG_CACHES]; /* iowalk mrc: their curves (made at first use) */
	int cfgc_misses[IW_MAX_CFG_CACHES];     /* their miss counters (stats_counter_index()) */
	unsigned ntags;              /* address-space tags given (model->guest_asid(): functions that share one
					address space share its tag) */
	bool check;                  /* compare every translation with the reference map */
	bool hits_fast;              /* IOTLB hits may be counted in runs: no check, no bus address */
	uint64_t mrc_max;            /* iowalk mrc: the largest IOTLB size its curves count (0: none) */
	bool mrc_failed;             /* out of memory for a curve: the curves are incomplete */
	double mrc_rate;             /* the fully associative curves' SHARDS sampling rate (1: every key) */
	bool mrc_all;                /* also the configuration caches' and the strategy's own caches' curves */
	unsigned mrc_nown;           /* strategies' own caches reported (sim_mrc_own_lookup()): their names, ways */
	const char *mrc_own_name[SIM_MRC_OWN];
	unsigned mrc_own_ways[SIM_MRC_OWN];
	enum iw_refresh refresh;     /* which RPCITs this strategy's guest issues */
	uint64_t pinned;             /* guest pages pinned now (page references held, up-front pins) */
	uint64_t pinned_since;       /* when pinned last changed (cycles) */
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
	bool memslots_dirty;
	bool started;                /* a record was handled */
	bool failed;
	bool check_failed;           /* the failure is a translation that disagreed with the reference */
	bool refused;                /* the failure is the strategy's refusal of the trace (sim_refuse()) */
	const char *what_if;         /* NULL, or why the strategy's numbers on this trace are a what-if (a
					configuration no real system of the design reaches; sim_what_if()) */
	char err[512];
};

_Static_assert(offsetof(struct sim, c) == 0, "struct sim begins with its core (sim_core())");

/* ---- shared by the engine's files ---- */
__attribute__((format(printf, 2, 3))) int sim_fail(struct sim *s, const char *fmt, ...);
int time_add(struct sim *s, uint64_t t, uint64_t d, uint64_t *out);
int ring_grow(void *ringp, size_t size, uint64_t *head, uint64_t len, uint64_t *cap, uint64_t first);
int cache_init(struct sacache *c, uint64_t entries, uint64_t ways);
void check_invariants(struct sim *s, bool full);
void fn_free(struct sim *s, struct sim_fn *f);

/* The one place a strategy's operation is entered: function f becomes the current one (what the services
 * a strategy calls act on: its table, caches and reference map), and f's instance is returned. */
static inline struct strategy *enter(struct sim *s, struct sim_fn *f)
{
	s->cur = f;
	return f->strat;
}

/* The order invariant: simulated time never decreases. Every change of s->now goes through here; an
 * asserting build (IOWALK_INVARIANTS) stops on a violation. */
static inline void set_now(struct sim *s, uint64_t t)
{
	IW_INVARIANT(t >= s->now, "time goes back from %" PRIu64 " to %" PRIu64 " (record %" PRIu64 ")", s->now, t,
		     s->recno);
	s->now = t;
}

/* The function a record or device id names: the only one in format v1, the one of that fid from v2. */
static inline struct sim_fn *fn_of(const struct sim *s, uint16_t dev)
{
	if (s->version < 2)
		return s->nfns ? s->fns[0] : NULL;
	uint32_t i = s->fn_of_fid[dev];
	return i ? s->fns[i - 1] : NULL;
}

/* The i-th walk cache (sim.wc_level[i]) function f uses. */
static inline struct sacache *wc_of(struct sim *s, struct sim_fn *f, unsigned i)
{
	return s->shared_caches ? &s->wc[i] : &f->wc[i];
}

/* iowalk mrc: the curve of the i-th walk cache function f uses, made at its first use; NULL without mrc
 * (or out of memory: the curves then stop, sim_mrc_point() says so). */
struct mrc_curve *wc_curve(struct sim *s, struct sim_fn *f, unsigned i);
/* A new curve of a cache smaller than the IOTLB (up to MRC_WC_MAX entries) of `ways` ways; NULL when out
 * of memory (the curves then stop: sim.mrc_failed). */
struct mrc_curve *small_curve(struct sim *s, unsigned ways);

/* The 4 KiB structure of device dev's IOTLB (NULL before its first use): every IOTLB's first probe. */
static inline struct sacache *iotlb_4k(const struct sim *s, uint16_t dev)
{
	struct sim_iotlb *t = s->iotlb[dev];
	return t ? &t->size[0] : NULL;
}

/* n translations of function f, of `cycles` each, on the DMA path. */
static inline void count_translations(struct sim *s, struct sim_fn *f, uint64_t cycles, uint64_t n)
{
	s->c.st.dma_cycles += n * cycles;
	hist_add(&s->c.st.dma, cycles, n);
	s->c.st.ops[OP_DMA_PAGES] += n;
	f->st.translations += n;
	f->st.dma_cycles += n * cycles;
}

/* IOTLB hits that needed nothing but their lookup, counted at once: n translations of function f, each
 * of the lookup's cycles alone (what translate_page() and finish_translation() count for each). */
static inline void count_hits(struct sim *s, struct sim_fn *f, uint64_t n)
{
	if (!n)
		return;
	s->c.st.comp[COMP_IOTLB] += n * s->c.cfg->iotlb_cycles;
	s->c.st.ops[OP_IOTLB_HITS] += n;
	count_translations(s, f, s->c.cfg->iotlb_cycles, n);
}

/* sim_events.c */
int advance(struct sim *s, uint64_t t);
int free_walker(struct sim *s);
int push_releases(struct sim *s);
/* sim_xlate.c */
struct sim_iotlb *iotlb_of(struct sim *s, uint16_t dev);
void iotlb_free(const struct sim *s, struct sim_iotlb *t);
int translate_page(struct sim *s, uint16_t dev, uint64_t iova, bool write, uint64_t recno, const uint64_t *bus);
int translate_looked_up(struct sim *s, struct sim_fn *f, uint16_t dev, uint64_t iova, uint64_t addr, bool write,
			bool unprot, bool hit, uint64_t v);
int do_walk(struct sim *s, const struct pending_walk *p, uint64_t pre_cycles, bool was_queued, unsigned slot);
/* sim_stream.c */
int stream_pages(struct sim *s, uint16_t dev, bool write, uint64_t pfn, uint64_t npages, uint64_t recno, uint64_t *bus);
int stream_turns(struct sim *s);
int bus_take(struct sim *s, uint16_t dev, uint64_t pfn, uint64_t npages, uint64_t **busp);
/* The earliest streaming DMA (NULL when none). */
static inline const struct stream *stream_first(const struct sim *s)
{
	return s->stream_len ? &s->streams[s->stream_head] : NULL;
}
/* Whether DMA stream st comes before event e (NULL: none) in the event order. */
static inline bool stream_before_ev(const struct stream *st, const struct ev *e)
{
	return !e || st->cycle < e->cycle || (st->cycle == e->cycle && st->seq < e->seq);
}
/* The entry of page pfn in a DMA's bus addresses (struct stream.bus). */
static inline const uint64_t *bus_of(const uint64_t *bus, uint64_t pfn) { return &bus[1 + (pfn - bus[0])]; }
/* sim_walk.c */
void walk_caches_destroy(const struct sim *s, struct sacache *wc);
int walk_caches_init(const struct sim *s, struct sacache *wc);
void wc_curves_destroy(const struct sim *s, struct mrc_curve **wcc);
/* sim_check.c */
bool xlate_allowed(struct sim *s, struct sim_fn *f, uint64_t iova, uint64_t addr, bool write, bool ro_write,
		   const struct sim_xlate *x);
int check_xlate(struct sim *s, struct sim_fn *f, uint16_t dev, uint64_t iova, uint64_t addr, bool write, bool ro_write,
		const struct sim_xlate *x, uint64_t recno);
/* sim_vcpu.c */
/* How an RPCIT comes about: the trace's, the final flush after the trace, or the flush-queue flush of a
 * guest that does not refresh after maps (which that guest always issues). */
enum rpcit_kind { RPCIT_TRACE, RPCIT_DRAIN, RPCIT_FQ };
int start_rpcit(struct sim *s, struct sim_fn *f, const struct pending_rpcit *p, enum rpcit_kind kind);
int fq_timers(struct sim *s, uint64_t t);
int fq_unmap(struct sim *s, struct sim_fn *f);
int commit_memslots(struct sim *s);
/* sim_services.c */
void pinned_until(struct sim *s, uint64_t t);
void pin_upfront(struct sim *s, uint64_t npages);

#endif
