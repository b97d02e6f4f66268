/* vtd: the Intel VT-d IO page-table formats, bit-exact (Intel Virtualization Technology for Directed I/O
 * Architecture Specification, "Second-Stage Paging Entries" and "First-Stage Paging Entries"; Linux
 * drivers/iommu/generic_pt/fmt/vtdss.h and x86_64.h, drivers/iommu/intel/iommu.h):
 *  - second stage (SS): R bit 0, W bit 1, PS bit 7 (a leaf at the PDE, 2 MiB, or the PDPTE, 1 GiB), A bit
 *    8, D bit 9, SNP bit 11, output address bits 51:12; no present bit: an entry with neither R nor W is
 *    not present. Non-leaf entries are R|W|address. 3, 4 or 5 levels for 39, 48 or 57 bits.
 *  - first stage (FS), x86-64 paging: P bit 0, RW bit 1, U bit 2, A bit 5, D bit 6, PS bit 7 (PDE, PDPTE),
 *    output address bits 51:12, XD bit 63; 4 or 5 levels, the IOVA sign-extended from bit 47 or 56.
 * Levels are numbered as the engine numbers them (sim/format.h): 0 the PML5 level, 4 the PTE level (a
 * table of fewer levels starts lower); every table is 4 KiB of 512 entries.
 * Notes:
 *  - Faults are named as VT-d names its translation faults: not present, write to a read-only page,
 *    address beyond the width (for FS, a non-canonical address), a reserved field set (PS in a PML4E or
 *    PML5E), a supervisor-only first-stage page used by a request without PASID (which VT-d treats as a
 *    user access; Linux sets U in every first-stage entry, DMA_FL_PTE_US), and invalid context or PASID
 *    entries (set by the strategies that walk them).
 *  - Accessed and dirty bits are not set by a walk (the model's tables are read-only to the device).
 */
#ifndef IOWALK_MODELS_VTD_VTD_H
#define IOWALK_MODELS_VTD_VTD_H

#include "format.h"

#include <stdbool.h>
#include <stdint.h>

/* Second-stage entry bits. */
#define VTD_SS_R (1ull << 0)
#define VTD_SS_W (1ull << 1)
#define VTD_SS_PS (1ull << 7)
#define VTD_SS_A (1ull << 8)
#define VTD_SS_D (1ull << 9)
#define VTD_SS_SNP (1ull << 11)
/* First-stage entry bits. */
#define VTD_FS_P (1ull << 0)
#define VTD_FS_RW (1ull << 1)
#define VTD_FS_U (1ull << 2)
#define VTD_FS_A (1ull << 5)
#define VTD_FS_D (1ull << 6)
#define VTD_FS_PS (1ull << 7)
#define VTD_FS_XD (1ull << 63)
/* Both: the output address (bits 51:12). */
#define VTD_ADDR_MASK 0x000ffffffffff000ull

enum vtd_level { VTD_LEVEL_PML5 = 0, VTD_LEVEL_PML4, VTD_LEVEL_PDPT, VTD_LEVEL_PD, VTD_LEVEL_PT, VTD_LEVEL_COUNT };
#define VTD_PT_SHIFT 12
#define VTD_PD_SHIFT 21
#define VTD_PDPT_SHIFT 30
#define VTD_PML4_SHIFT 39
#define VTD_PML5_SHIFT 48
#define VTD_TABLE_BYTES 4096u

enum vtd_fault {
	VTD_OK = 0,
	VTD_FAULT_NOT_PRESENT,
	VTD_FAULT_WRITE_RO,
	VTD_FAULT_BEYOND_WIDTH,
	VTD_FAULT_RESERVED,
	VTD_FAULT_PRIVILEGE,
	VTD_FAULT_INVALID_CONTEXT,
	VTD_FAULT_COUNT
};

enum vtd_kind { VTD_SS, VTD_FS };

/* A table of either kind in some memory. */
struct vtd_table {
	const struct iw_mem_ops *ops;
	void *ctx;
	uint64_t root;    /* the top table's address in that memory */
	unsigned levels;  /* SS: 3, 4 or 5; FS: 4 or 5 */
	enum vtd_kind kind;
};

/* The bits of IOVA a table of `levels` levels translates (39, 48 or 57). */
static inline unsigned vtd_width(unsigned levels) { return 12 + 9 * levels; }
/* The engine's level of a table's root. */
static inline unsigned vtd_root_level(unsigned levels) { return VTD_LEVEL_COUNT - levels; }
/* The span (log2 bytes) of one entry at an engine level. */
static inline unsigned vtd_shift(unsigned level) { return VTD_PT_SHIFT + 9 * (VTD_LEVEL_PT - level); }
static inline unsigned vtd_index(unsigned level, uint64_t iova) { return (unsigned)((iova >> vtd_shift(level)) & 511); }
/* Whether an entry of this level may be a leaf (PS): the PDE and the PDPTE; the PTE always is. */
static inline bool vtd_can_be_large(unsigned level) { return level == VTD_LEVEL_PD || level == VTD_LEVEL_PDPT; }

/* NULL, or why a table of this kind cannot have that many levels. */
const char *vtd_levels_check(enum vtd_kind kind, unsigned levels);
/* Translates iova (write: a write request); the references in w.refs, each entry's level in
 * w.ref_level, a fault in w.fault (enum vtd_fault). */
void vtd_walk(const struct vtd_table *t, uint64_t iova, bool write, struct iw_walk *w);
/* The same walk from `level` on, resume being what w.resume held for the entry above it. */
void vtd_walk_from(const struct vtd_table *t, uint64_t iova, bool write, unsigned level, uint64_t resume,
		   struct iw_walk *w);
/* Whether an entry is present (SS: R or W; FS: P). */
bool vtd_present(enum vtd_kind kind, uint64_t e);
/* A leaf entry for the page at pa (level: PT, PD or PDPT), writable or read-only. */
uint64_t vtd_leaf(enum vtd_kind kind, unsigned level, uint64_t pa, bool writable);
/* A non-leaf entry pointing at the table at pa. */
uint64_t vtd_nonleaf(enum vtd_kind kind, uint64_t pa);
/* Valid 4 KiB pages reachable from the root (a large leaf counts its pages). */
uint64_t vtd_count_pages(const struct vtd_table *t);

/* ---- writing tables (a guest's Linux, a host's vfio/iommufd: functional, untimed) ---- */
/* Which entries a table write reads and writes, each by its address (the guest's vCPU references;
 * NULL: a host table). */
typedef void (*vtd_touch_fn)(void *ctx, uint64_t addr);
/* The address of iova's entry at `level`, creating the tables above it (new tables come from the table's
 * memory, alloc) and splitting a large leaf in the way into entries of the next level; UINT64_MAX when
 * memory runs out. */
uint64_t vtd_entry_at(struct vtd_table *t, uint64_t iova, unsigned level, vtd_touch_fn touch, void *ctx);
/* Maps [iova, iova + len) to pa: leaves as large as max_shift allows (21: 2 MiB, 30: 1 GiB, 12: 4 KiB only)
 * where iova, pa and the remaining length are aligned and the entry there holds no table (an entry above
 * the leaf is never taken back: a paging-structure cache may hold it), else 4 KiB leaves; changed (NULL:
 * not wanted) hears every 4 KiB page whose valid mapping is replaced, in order. NULL or the reason (pa
 * beyond the 52 address bits an entry holds: nothing written; out of memory). */
const char *vtd_map(struct vtd_table *t, uint64_t iova, uint64_t pa, uint64_t len, bool writable, unsigned max_shift,
		    void (*changed)(void *ctx, uint64_t iova), vtd_touch_fn touch, void *ctx);
/* Unmaps [iova, iova + len): a large leaf the range covers whole is cleared, one it cuts is split first;
 * changed hears every 4 KiB page whose valid mapping is removed. */
void vtd_unmap(struct vtd_table *t, uint64_t iova, uint64_t len, void (*changed)(void *ctx, uint64_t iova),
	       vtd_touch_fn touch, void *ctx);

/* The formats as the engine sees them (tables: struct vtd_table). */
extern const struct iw_format vtd_fs_format;
extern const struct iw_format vtd_ss_format;

/* A page-selective invalidation of [addr, addr + len) as VT-d's IOTLB descriptor expresses it: 2^am pages
 * aligned to their size, the smallest that holds the range; when am would exceed mamv (the hardware's
 * maximum address mask value, CAP_REG.MAMV), a domain-selective one (Linux qi_flush_iotlb() callers fall
 * back so). */
void vtd_inval_round(struct iw_inval *inv, unsigned mamv);

#endif
