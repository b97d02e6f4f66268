/* s390_ioat: the s390 zPCI IO address translation table format (and the s390 DAT tables, which share
 * its shape), as entries in a simulated memory reached through callbacks.
 * Sources: Linux arch/s390/include/asm/pci_dma.h (2022 and 2025 versions: constants, entry helpers),
 * drivers/iommu/s390-iommu.c (RS/RF roots), QEMU hw/s390x/s390-pci-bus.c (table_translate: faults,
 * format control), Linux arch/s390/include/asm/pgtable.h (DAT shifts, large pages). docs/s390-ioat.md.
 * Notes:
 *  - Region and segment tables are 2048 x 8 B (16 KiB, 16 KiB aligned); page tables 256 x 8 B (2 KiB).
 *  - A walk returns a named fault, never a bare error code, and lists the entry addresses it read.
 */
#ifndef IOWALK_MODELS_S390_IOAT_IOAT_H
#define IOWALK_MODELS_S390_IOAT_IOAT_H

#include "format.h"

#include <stdbool.h>
#include <stdint.h>

/* ---- architected constants, derived from each other as pci_dma.h does ---- */
#define S390_PAGE_SHIFT 12
#define S390_PAGE_SIZE (1ull << S390_PAGE_SHIFT)
#define S390_TABLE_BITS 11                              /* ZPCI_TABLE_BITS */
#define S390_PT_BITS 8                                  /* ZPCI_PT_BITS */
#define S390_TABLE_ENTRIES (1u << S390_TABLE_BITS)      /* 2048 */
#define S390_PT_ENTRIES (1u << S390_PT_BITS)            /* 256 */
#define S390_ENTRY_BYTES 8u
#define S390_TABLE_BYTES (S390_TABLE_ENTRIES * S390_ENTRY_BYTES) /* 16 KiB, ZPCI_TABLE_SIZE */
#define S390_PT_BYTES (S390_PT_ENTRIES * S390_ENTRY_BYTES)       /* 2 KiB, ZPCI_PT_SIZE */
#define S390_ST_SHIFT (S390_PT_BITS + S390_PAGE_SHIFT)  /* 20: one segment entry spans 1 MiB */
#define S390_RT_SHIFT (S390_ST_SHIFT + S390_TABLE_BITS) /* 31: 2 GiB */
#define S390_RS_SHIFT (S390_RT_SHIFT + S390_TABLE_BITS) /* 42: 4 TiB */
#define S390_RF_SHIFT (S390_RS_SHIFT + S390_TABLE_BITS) /* 53: 8 PiB */
#define S390_INDEX_MASK (S390_TABLE_ENTRIES - 1u)       /* 0x7ff */
#define S390_PT_MASK (S390_PT_ENTRIES - 1u)             /* 0xff */

/* Entry bits (ZPCI_* in pci_dma.h; the DAT bits are the same positions). */
#define S390_RTE_ADDR_MASK (~0x3fffull) /* region entry: origin of a 16 KiB table */
#define S390_STE_ADDR_MASK (~0x7ffull)  /* segment entry: origin of a 2 KiB page table */
#define S390_PTE_ADDR_MASK (~0xfffull)  /* page-frame address */
#define S390_TABLE_TYPE_MASK 0xcull
#define S390_TABLE_TYPE_RFX 0xcull
#define S390_TABLE_TYPE_RSX 0x8ull
#define S390_TABLE_TYPE_RTX 0x4ull
#define S390_TABLE_TYPE_SX 0x0ull
#define S390_TABLE_LEN_MASK 0x3ull      /* region entry table-length field */
#define S390_TABLE_LEN_FULL 0x3ull      /* ZPCI_TABLE_LEN_RTX: the whole next table */
#define S390_TABLE_OFFSET_MASK 0xc0ull  /* region entry table-offset field */
#define S390_TABLE_INVALID 0x20ull      /* region and segment entries */
#define S390_PTE_INVALID 0x400ull       /* page-table entries */
#define S390_TABLE_PROTECTED 0x200ull   /* any level */
#define S390_SEG_FC 0x400ull            /* segment entry format control: 1 MiB frame (ZPCI_TABLE_FC) */
#define S390_RT_FC 0x400ull             /* region-third entry format control: 2 GiB frame (DAT only) */
#define S390_SFAA_MASK (~((1ull << S390_ST_SHIFT) - 1)) /* 1 MiB frame address */
#define S390_RFAA_MASK (~((1ull << S390_RT_SHIFT) - 1)) /* 2 GiB frame address */

/* IOTA designation (the guest's registered table): ZPCI_IOTA_* */
#define S390_IOTA_IOT_ENABLED 0x800ull
#define S390_IOTA_DT_ST 0u
#define S390_IOTA_DT_RT 1u
#define S390_IOTA_DT_RS 2u
#define S390_IOTA_DT_RF 3u

/* Levels, root first. A walk of an n-level table visits the last n of these. */
enum s390_level { S390_LEVEL_RF = 0, S390_LEVEL_RS, S390_LEVEL_RT, S390_LEVEL_ST, S390_LEVEL_PT, S390_LEVEL_COUNT };

enum s390_fault {
	S390_OK = 0,
	S390_FAULT_INVALID,      /* invalid bit set (QEMU ERR_EVENT_INVALTE) */
	S390_FAULT_TABLE_LENGTH, /* region entry length/offset not the whole table (ERR_EVENT_INVALTL) */
	S390_FAULT_TABLE_TYPE,   /* entry type bits do not match its table's level (ERR_EVENT_TT) */
	S390_FAULT_PROTECTION,   /* write through a protected entry (ERR_EVENT_TPROTE) */
	S390_FAULT_OUT_OF_RANGE, /* address beyond the root table's aperture (ERR_EVENT_OORANGE) */
	S390_FAULT_COUNT
};

const char *s390_fault_name(enum s390_fault f);  /* "invalid_entry", ... */

/* The root level of a table with `levels` levels (3: RT, 4: RS, 5: RF). */
static inline enum s390_level s390_root_level(unsigned levels) { return (enum s390_level)(S390_LEVEL_COUNT - levels); }

static inline unsigned s390_level_shift(enum s390_level l)
{
	static const unsigned shift[S390_LEVEL_COUNT] = {S390_RF_SHIFT, S390_RS_SHIFT, S390_RT_SHIFT,
							  S390_ST_SHIFT, S390_PAGE_SHIFT};
	return shift[l];
}

/* Index of addr in a table of level l (calc_rfx ... calc_px). */
static inline unsigned s390_index(enum s390_level l, uint64_t addr)
{
	return (unsigned)(addr >> s390_level_shift(l)) & (l == S390_LEVEL_PT ? S390_PT_MASK : S390_INDEX_MASK);
}

/* Bytes addressed by a table whose root is level l: 2^(shift + 11); 0 means the whole 2^64. */
static inline uint64_t s390_aperture_bytes(enum s390_level root)
{
	unsigned bits = s390_level_shift(root) + S390_TABLE_BITS;
	return bits >= 64 ? 0 : 1ull << bits;
}

static inline uint64_t s390_table_bytes(enum s390_level l) { return l == S390_LEVEL_PT ? S390_PT_BYTES : S390_TABLE_BYTES; }
static inline uint64_t s390_table_type(enum s390_level l)
{
	static const uint64_t t[S390_LEVEL_PT] = {S390_TABLE_TYPE_RFX, S390_TABLE_TYPE_RSX, S390_TABLE_TYPE_RTX,
						 S390_TABLE_TYPE_SX};
	return t[l];
}

/* ---- entry encode/decode ---- */
uint64_t s390_entry_table(enum s390_level l, uint64_t next_origin); /* valid entry pointing down */
uint64_t s390_entry_page(uint64_t frame, bool readonly);           /* valid PTE */
uint64_t s390_entry_large(enum s390_level l, uint64_t frame, bool readonly); /* ST (1M) or RT (2G) frame */
static inline uint64_t s390_entry_invalid(enum s390_level l) { return l == S390_LEVEL_PT ? S390_PTE_INVALID : S390_TABLE_INVALID; }
static inline bool s390_entry_valid(enum s390_level l, uint64_t e)
{
	return l == S390_LEVEL_PT ? !(e & S390_PTE_INVALID) : !(e & S390_TABLE_INVALID);
}
uint64_t s390_entry_origin(enum s390_level l, uint64_t e); /* next table origin or frame address */
/* The IOTA a guest registers for a table with root at origin (ZPCI_IOTA_RTTO_FLAG etc., key 0). */
uint64_t s390_iota(uint64_t origin, unsigned levels);

struct s390_table {
	const struct iw_mem_ops *ops;
	void *ctx;
	uint64_t origin;       /* root table address in the table's memory */
	unsigned levels;       /* 3, 4 or 5 */
	bool large_st;         /* segment-entry format control honoured (1 MiB frames) */
	bool large_rt;         /* region-third format control honoured (2 GiB frames; DAT only) */
};

#define S390_WALK_MAX_REFS 5

/* The s390 IOAT as a format of the engine's table-format seam (sim/format.h): levels RF..PT, the
 * faults above. Its tables are struct s390_table. */
extern const struct iw_format s390_ioat_format;

/* Allocates an n-level table's root (all entries invalid). 0 or -1 (exhausted). */
int s390_table_init(struct s390_table *t, const struct iw_mem_ops *ops, void *ctx, unsigned levels);
/* Translates addr; write asks for write permission (a device write). */
void s390_walk(const struct s390_table *t, uint64_t addr, bool write, struct iw_walk *w);
/* Returns the address of the leaf entry for addr at leaf level (PT, or ST/RT for large frames),
 * allocating missing tables on the way as dma_walk_cpu_trans() does; refs/nrefs list the entries read.
 * UINT64_MAX when a table could not be allocated or addr is outside the aperture. */
uint64_t s390_walk_alloc(const struct s390_table *t, uint64_t addr, enum s390_level leaf, uint64_t *refs,
			 unsigned *nrefs);
/* Maps one page (or large frame at leaf ST/RT). 0, or -1 when a table could not be allocated. */
int s390_map(const struct s390_table *t, uint64_t addr, uint64_t frame, enum s390_level leaf, bool readonly);
/* Counts the valid 4 KiB leaf entries reachable from the root (a full scan; for invariant checks). */
uint64_t s390_count_leaves(const struct s390_table *t);
/* Invalidates the 4 KiB leaf entry of addr if present (keeps the frame address, as Linux does).
 * Returns true when a valid entry was invalidated. */
bool s390_unmap(const struct s390_table *t, uint64_t addr);

#endif
