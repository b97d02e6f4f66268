/* format: the seam between the engine and an IO page-table format, in the spirit of Linux's io-pgtable
 * (drivers/iommu/io-pgtable.c: struct io_pgtable_ops, one init_fns entry per format). The engine walks,
 * caches and invalidates through it and never sees a format's entry bits; the s390 IOAT is the first
 * format. docs/architecture.md says how a second one is added.
 * Notes:
 *  - Levels are numbered from the top-most level the format can have (0) down to the 4 KiB leaf
 *    (nlevels - 1); a table with fewer levels starts lower. level_shift[l] is the number of address
 *    bits below level l's index: one entry of level l spans 2^level_shift[l] bytes. The device's walk
 *    caches and invalidations use only this.
 *  - A walk reads real entries from simulated memory and lists the address of every entry it read, so
 *    the engine can time each one; it ends in a translation or one of the format's named faults.
 */
#ifndef IOWALK_SIM_FORMAT_H
#define IOWALK_SIM_FORMAT_H

#include <stdbool.h>
#include <stdint.h>

/* A walk's references: at most (n+1)(m+1)-1 for a 2-D walk of n-level tables over m-level ones, 35 for
 * 5 over 5 (VT-d and x86 at 57 bits). A format states what its walks can read (max_walk_refs); the
 * arrays are never initialised as a whole, so a larger bound costs nothing on a walk that reads few. */
#define IW_WALK_MAX_REFS 36
#define IW_MAX_LEVELS 8
#define IW_MAX_LEAF_SIZES 4
#define IW_MAX_CFG_CACHES 4
#define IW_MAX_FAULTS 8
#define IW_FAULT_NONE 0u /* every format's fault code 0: translated */

/* One walk: the result and the entries read, top level first. */
struct iw_walk {
	unsigned fault;       /* IW_FAULT_NONE or the format's fault code */
	unsigned fault_level; /* the level whose entry faulted, when fault != IW_FAULT_NONE */
	uint64_t addr;        /* translated address (frame | offset) when fault == IW_FAULT_NONE */
	uint64_t page_bytes;  /* the size of the frame that translated it */
	bool writable;        /* nothing on the path forbids a write */
	unsigned nrefs;
	uint64_t refs[IW_WALK_MAX_REFS];
	unsigned ref_level[IW_WALK_MAX_REFS]; /* a 2-D walk: the stage-1 level (iw_walk_2d()) */
	/* For an entry the walk went through to a next level (i + 1 < nrefs): what walk_from() needs to go
	 * on below it, as a device's walk cache keeps it (the next table, and whether the path so far is
	 * read-only). Unset for the last entry read. */
	uint64_t resume[IW_WALK_MAX_REFS];
};

/* An invalidation of a device's translation caches, as the engine applies it: the s390 RPCIT is one
 * (a synchronous range), VT-d's queued IOTLB descriptors others. */
enum iw_inval_scope {
	IW_INVAL_RANGE,  /* [addr, addr + len) of one address space (page-selective) */
	IW_INVAL_DOMAIN, /* all of one address space (domain-selective; VT-d's fall-back above its mask) */
	IW_INVAL_GLOBAL, /* every address space */
};
struct iw_inval {
	enum iw_inval_scope scope;
	uint64_t addr, len;  /* IW_INVAL_RANGE */
	bool leaf_only;      /* only leaf entries: the walk caches are kept (VT-d's invalidation hint) */
	bool queued;         /* through an invalidation queue (descriptors, doorbell, wait), not a synchronous
				instruction: the caller charges what it costs, the engine counts it */
};

/* The memory a table lives in (the VM provides host-physical and guest-physical memory). */
struct iw_mem_ops {
	uint64_t (*read64)(void *ctx, uint64_t addr);
	void (*write64)(void *ctx, uint64_t addr, uint64_t val);
	/* A new block of `bytes` aligned to `bytes`, or UINT64_MAX when exhausted; NULL for read-only memory. */
	uint64_t (*alloc)(void *ctx, uint64_t bytes);
	/* Writes val to every 8-byte word of [addr, addr + bytes) at once (a new table's invalid entries);
	 * NULL: write64 word by word. Untimed, as write64. */
	void (*fill64)(void *ctx, uint64_t addr, uint64_t bytes, uint64_t val);
};

struct iw_format {
	const char *name;
	unsigned nlevels;
	unsigned level_shift[IW_MAX_LEVELS];
	unsigned nfaults;                         /* codes 0 .. nfaults-1 */
	const char *fault_names[IW_MAX_FAULTS];   /* [0] = "ok"; report keys */
	unsigned fault_invalid;                   /* an invalid entry (unmapped) */
	unsigned fault_protection;                /* a write through a read-only mapping */
	unsigned fault_out_of_range;              /* an address beyond the table's aperture */
	unsigned max_walk_refs;                   /* the most entries one walk of it reads (<= IW_WALK_MAX_REFS) */
	/* The page sizes the device's IOTLB holds, log2 of bytes, smallest first ([0] the 4 KiB base page):
	 * a page-size-indexed IOTLB, one structure per size looked up in parallel (one probe each), as
	 * VT-d's and x86's TLBs keep large pages apart. 0 sizes: 4 KiB only. A translation of a size not
	 * listed is held as 4 KiB pieces. iotlb_param[i] (i > 0) names the parameter with the entries of
	 * size i's structure (its ways: device.iotlb_ways); size 0's is device.iotlb_entries. */
	unsigned nleaf_sizes;
	unsigned leaf_shift[IW_MAX_LEAF_SIZES];
	const char *iotlb_param[IW_MAX_LEAF_SIZES];
	/* The device's walk caches (paging-structure caches): wc_param[l] names the parameter with the
	 * entries of the cache of level l's entries (NULL: level l's entries are not cached); their ways
	 * are device.wc_ways and a lookup of all of them (in parallel) costs device.wc_cycles. A cache entry
	 * is keyed by the address bits above level l's span and keeps what walk_from() needs below it. */
	const char *wc_param[IW_MAX_LEVELS];
	/* Caches of the configuration structures a translation goes through before the page tables (VT-d's
	 * context cache and PASID cache; s390 has none): for each, its name, the parameter with its entries
	 * (ways: device.wc_ways) and the counter of its misses (registered by the model). A strategy looks
	 * them up with sim_cfg_cache_lookup() and reads the structure on a miss. */
	unsigned ncfg_caches;
	struct iw_cfg_cache {
		const char *name, *entries_param, *miss_counter;
	} cfg_cache[IW_MAX_CFG_CACHES];
	/* Rounds a range invalidation as the hardware's descriptor can express it (optional; NULL: exact):
	 * the format's power-of-two page ranges, a wider granularity above what one can express. */
	void (*inval_round)(struct iw_inval *inv);
	/* Translates addr through `table` (a table of this format); write asks for write permission. */
	void (*walk)(const void *table, uint64_t addr, bool write, struct iw_walk *w);
	/* The same walk from level `level` on, as a walk cache hit starts it: resume is what an earlier walk
	 * of an address under the same entry gave for the entry above `level` (iw_walk.resume). The same
	 * result, and the same entries from `level`, as walk() while that entry has not changed. NULL: the
	 * format has none (walks always start at the root). */
	void (*walk_from)(const void *table, uint64_t addr, bool write, unsigned level, uint64_t resume,
			  struct iw_walk *w);
	/* Bytes of IO address space the table translates, from 0; 0 means all of 2^64. */
	uint64_t (*aperture)(const void *table);
	/* Valid 4 KiB leaves reachable from the root (a full scan; invariant checks only). */
	uint64_t (*count_leaves)(const void *table);
};

static inline unsigned iw_leaf_level(const struct iw_format *f) { return f->nlevels - 1; }
static inline const char *iw_fault_name(const struct iw_format *f, unsigned fault)
{
	return fault < f->nfaults ? f->fault_names[fault] : "?";
}

/* Range iteration over [first, last] (inclusive, so a range may end at 2^64 - 1), one step per entry:
 * the address after a when a's entry is at `level` (the leaf for a page; a level above it when that
 * entry is invalid and nothing below it is mapped, so its whole span is skipped, as Linux and QEMU walk
 * ranges). 0 when the iteration is done: past last, or wrapped past 2^64. */
static inline uint64_t iw_range_step(const struct iw_format *f, uint64_t a, uint64_t last, unsigned level)
{
	uint64_t span = 1ull << f->level_shift[level];
	uint64_t next = (a & ~(span - 1)) + span;
	return next == 0 || next > last || next <= a ? 0 : next;
}

/* The same, from the walk of a: an invalid entry above the leaf skips its span. */
static inline uint64_t iw_range_next(const struct iw_format *f, uint64_t a, uint64_t last, const struct iw_walk *w)
{
	unsigned level = iw_leaf_level(f);
	if (w->fault == f->fault_invalid && w->fault_level != level)
		level = w->fault_level;
	return iw_range_step(f, a, last, level);
}

/* A 2-D walk (nested translation, as VT-d's and SMMUv3's nested modes and x86's EPT do it): iova
 * through stage-1 table t1 of format f1, whose entries and output are addresses in the input space of
 * stage-2 table t2 of format f2 (a guest's table in guest-physical memory over the host's second
 * stage). Every stage-1 entry is read at the address stage 2 translates it to, and the output is
 * translated by stage 2, so w lists every entry read, in order, as the address it was read at: for each
 * stage-1 entry its stage-2 walk then the entry itself, then the output's stage-2 walk; (n+1)(m+1)-1 for
 * n and m levels. ref_level: a stage-1 entry's level, or IW_STAGE2 + the level of a stage-2 entry. The
 * result: stage 1's fault, or stage 2's with fault_level IW_STAGE2 + its level (a stage-1 table or output
 * stage 2 does not map); else the output's host address, the smaller page of the two stages, writable
 * when both are. resume[] is not set (a 2-D walk's walk caches are the strategy's). */
#define IW_STAGE2 16u
void iw_walk_2d(const struct iw_format *f1, const void *t1, const struct iw_format *f2, const void *t2, uint64_t iova,
		bool write, struct iw_walk *w);

#endif
