/* vtd: the VT-d table formats (vtd.h). */
#include "vtd.h"

#include <stddef.h>

const char *vtd_levels_check(enum vtd_kind kind, unsigned levels)
{
	if (kind == VTD_SS)
		return levels >= 3 && levels <= 5 ? NULL : "a second-stage table has 3, 4 or 5 levels (39, 48 or 57 bits)";
	return levels == 4 || levels == 5 ? NULL : "a first-stage table has 4 or 5 levels (48 or 57 bits)";
}

bool vtd_present(enum vtd_kind kind, uint64_t e) { return kind == VTD_SS ? (e & (VTD_SS_R | VTD_SS_W)) != 0 : (e & VTD_FS_P) != 0; }

uint64_t vtd_leaf(enum vtd_kind kind, unsigned level, uint64_t pa, bool writable)
{
	uint64_t e = pa & VTD_ADDR_MASK;
	if (kind == VTD_SS)
		e |= VTD_SS_R | (writable ? VTD_SS_W : 0);
	else
		e |= VTD_FS_P | VTD_FS_U | (writable ? VTD_FS_RW : 0);
	return level != VTD_LEVEL_PT ? e | (kind == VTD_SS ? VTD_SS_PS : VTD_FS_PS) : e;
}

uint64_t vtd_nonleaf(enum vtd_kind kind, uint64_t pa)
{
	return (pa & VTD_ADDR_MASK) | (kind == VTD_SS ? VTD_SS_R | VTD_SS_W : VTD_FS_P | VTD_FS_RW | VTD_FS_U);
}

/* What a walk carries below an entry (iw_walk.resume): the next table, and the access rights the path so
 * far has taken away (bit 0: not writable; bit 1: supervisor-only, first stage). Tables are 4 KiB aligned. */
#define RESUME_RO 1ull
#define RESUME_SUPER 2ull

static void fault(struct iw_walk *w, enum vtd_fault f, unsigned level)
{
	w->fault = f;
	w->fault_level = level;
	w->writable = false;
}

/* The walk of iova from `level`, its table at `table`; ro and super: rights taken away above it. */
static void walk_at(const struct vtd_table *t, uint64_t iova, bool write, unsigned level, uint64_t table, bool ro,
		    bool super, struct iw_walk *w)
{
	w->nrefs = 0;
	w->fault = VTD_OK;
	w->addr = 0;
	w->page_bytes = 0;
	w->writable = false;
	for (unsigned l = level;; l++) {
		uint64_t ea = table + (uint64_t)vtd_index(l, iova) * 8, e = t->ops->read64(t->ctx, ea);
		w->refs[w->nrefs] = ea;
		w->ref_level[w->nrefs++] = l;
		if (!vtd_present(t->kind, e))
			{ fault(w, VTD_FAULT_NOT_PRESENT, l); return; }
		/* Bit 7 of a PML4E or PML5E is reserved (must be 0) in both stages. */
		if ((l == VTD_LEVEL_PML5 || l == VTD_LEVEL_PML4) && (e & (1ull << 7)))
			{ fault(w, VTD_FAULT_RESERVED, l); return; }
		/* Rights are the intersection over the path (a read-only or supervisor entry anywhere). */
		if (t->kind == VTD_SS) {
			ro |= !(e & VTD_SS_W);
		} else {
			ro |= !(e & VTD_FS_RW);
			super |= !(e & VTD_FS_U);
		}
		bool leaf = l == VTD_LEVEL_PT || (vtd_can_be_large(l) && (e & (1ull << 7)));
		if (leaf) {
			uint64_t bytes = 1ull << vtd_shift(l);
			/* A request without PASID is a user access to a first-stage table (VT-d treats it so). */
			if (super)
				{ fault(w, VTD_FAULT_PRIVILEGE, l); return; }
			if (write && ro)
				{ fault(w, VTD_FAULT_WRITE_RO, l); return; }
			w->addr = (e & VTD_ADDR_MASK & ~(bytes - 1)) | (iova & (bytes - 1));
			w->page_bytes = bytes;
			w->writable = !ro;
			return;
		}
		table = e & VTD_ADDR_MASK;
		w->resume[w->nrefs - 1] = table | (ro ? RESUME_RO : 0) | (super ? RESUME_SUPER : 0);
	}
}

/* Whether iova is outside what the table translates: beyond its width (second stage), or for the first
 * stage not in the lower canonical half, [0, 2^(N-1)). A first-stage address in the upper canonical half
 * is one the hardware would walk (from PML4/PML5 entry 256 up), but Linux's first-stage domains end their
 * aperture at 2^(N-1) - 1 (drivers/iommu/intel/iommu.c, paging_domain_alloc()) and nothing is mapped there:
 * the model stops it before the table (docs/vtd.md). */
static bool beyond(const struct vtd_table *t, uint64_t iova)
{
	unsigned width = vtd_width(t->levels);
	return t->kind == VTD_SS ? (iova >> width) != 0 : (iova >> (width - 1)) != 0;
}

void vtd_walk(const struct vtd_table *t, uint64_t iova, bool write, struct iw_walk *w)
{
	if (beyond(t, iova)) {
		w->nrefs = 0;
		w->addr = 0;
		w->page_bytes = 0;
		{ fault(w, VTD_FAULT_BEYOND_WIDTH, vtd_root_level(t->levels)); return; }
	}
	walk_at(t, iova, write, vtd_root_level(t->levels), t->root, false, false, w);
}

void vtd_walk_from(const struct vtd_table *t, uint64_t iova, bool write, unsigned level, uint64_t resume,
		   struct iw_walk *w)
{
	walk_at(t, iova, write, level, resume & VTD_ADDR_MASK, resume & RESUME_RO, (resume & RESUME_SUPER) != 0, w);
}

static uint64_t count_at(const struct vtd_table *t, uint64_t table, unsigned l)
{
	uint64_t n = 0;
	for (unsigned i = 0; i < 512; i++) {
		uint64_t e = t->ops->read64(t->ctx, table + i * 8);
		if (!vtd_present(t->kind, e))
			continue;
		bool leaf = l == VTD_LEVEL_PT || (vtd_can_be_large(l) && (e & (1ull << 7)));
		n += leaf ? 1ull << (vtd_shift(l) - 12) : count_at(t, e & VTD_ADDR_MASK, l + 1);
	}
	return n;
}

uint64_t vtd_count_pages(const struct vtd_table *t) { return count_at(t, t->root, vtd_root_level(t->levels)); }

void vtd_inval_round(struct iw_inval *inv, unsigned mamv)
{
	if (inv->scope != IW_INVAL_RANGE)
		return;
	uint64_t first = inv->addr >> 12, last = (inv->addr + (inv->len - 1)) >> 12;
	unsigned am = 0;
	while (am < 52 && (first >> am) != (last >> am))
		am++;
	if (am > mamv) {
		inv->scope = IW_INVAL_DOMAIN;
		return;
	}
	inv->addr = (first >> am) << (am + 12);
	inv->len = 1ull << (am + 12);
}

/* ---- writing tables ---- */

static bool is_leaf(enum vtd_kind kind, unsigned l, uint64_t e)
{
	(void)kind;
	return l == VTD_LEVEL_PT || (vtd_can_be_large(l) && (e & (1ull << 7)));
}

uint64_t vtd_entry_at(struct vtd_table *t, uint64_t iova, unsigned level, vtd_touch_fn touch, void *ctx)
{
	uint64_t table = t->root;
	for (unsigned l = vtd_root_level(t->levels); l < level; l++) {
		uint64_t ea = table + (uint64_t)vtd_index(l, iova) * 8, e = t->ops->read64(t->ctx, ea);
		if (touch)
			touch(ctx, ea);
		if (!vtd_present(t->kind, e) || is_leaf(t->kind, l, e)) {
			uint64_t next = t->ops->alloc(t->ctx, VTD_TABLE_BYTES);
			if (next == UINT64_MAX)
				return UINT64_MAX;
			if (vtd_present(t->kind, e)) {
				/* Split: the same pages as entries of the next level, with the same rights. */
				bool w = t->kind == VTD_SS ? (e & VTD_SS_W) != 0 : (e & VTD_FS_RW) != 0;
				for (unsigned i = 0; i < 512; i++)
					t->ops->write64(t->ctx, next + i * 8,
							vtd_leaf(t->kind, l + 1, (e & VTD_ADDR_MASK) + ((uint64_t)i << vtd_shift(l + 1)), w));
			}
			e = vtd_nonleaf(t->kind, next);
			t->ops->write64(t->ctx, ea, e);
			if (touch)
				touch(ctx, ea);
		}
		table = e & VTD_ADDR_MASK;
	}
	return table + (uint64_t)vtd_index(level, iova) * 8;
}

/* The entry of iova at `level` without creating anything, or 0 when a table above it is missing (or a
 * large leaf covers it). */
static uint64_t entry_peek(const struct vtd_table *t, uint64_t iova, unsigned level)
{
	uint64_t table = t->root;
	for (unsigned l = vtd_root_level(t->levels); l < level; l++) {
		uint64_t e = t->ops->read64(t->ctx, table + (uint64_t)vtd_index(l, iova) * 8);
		if (!vtd_present(t->kind, e) || is_leaf(t->kind, l, e))
			return 0;
		table = e & VTD_ADDR_MASK;
	}
	return t->ops->read64(t->ctx, table + (uint64_t)vtd_index(level, iova) * 8);
}

/* The level of the largest leaf that can map iova to pa with len left, under max_shift. */
static unsigned leaf_level(const struct vtd_table *t, uint64_t iova, uint64_t pa, uint64_t len, unsigned max_shift)
{
	for (unsigned l = VTD_LEVEL_PDPT; l < VTD_LEVEL_PT; l++) {
		uint64_t bytes = 1ull << vtd_shift(l);
		if (vtd_shift(l) > max_shift || l < vtd_root_level(t->levels) || ((iova | pa) & (bytes - 1)) || len < bytes)
			continue;
		uint64_t e = entry_peek(t, iova, l);
		if (!vtd_present(t->kind, e) || is_leaf(t->kind, l, e))
			return l;
	}
	return VTD_LEVEL_PT;
}

const char *vtd_map(struct vtd_table *t, uint64_t iova, uint64_t pa, uint64_t len, bool writable, unsigned max_shift,
		    void (*changed)(void *ctx, uint64_t iova), vtd_touch_fn touch, void *ctx)
{
	/* Both stages' entries hold address bits 51:12 (VTD_ADDR_MASK): nothing above 2^52 can be mapped. */
	if (len && (pa > VTD_ADDR_MASK || len - 1 > (VTD_ADDR_MASK | 0xfff) - pa))
		return "address beyond the 52 bits an entry holds";
	for (uint64_t off = 0; off < len;) {
		unsigned l = leaf_level(t, iova + off, pa + off, len - off, max_shift);
		uint64_t bytes = 1ull << vtd_shift(l), ea = vtd_entry_at(t, iova + off, l, touch, ctx);
		if (ea == UINT64_MAX)
			return "out of memory (IO page table)";
		uint64_t old = t->ops->read64(t->ctx, ea);
		for (uint64_t k = 0; changed && vtd_present(t->kind, old) && k < bytes; k += 4096)
			changed(ctx, iova + off + k);
		t->ops->write64(t->ctx, ea, vtd_leaf(t->kind, l, pa + off, writable));
		if (touch)
			touch(ctx, ea);
		off += bytes;
	}
	return NULL;
}

void vtd_unmap(struct vtd_table *t, uint64_t iova, uint64_t len, void (*changed)(void *ctx, uint64_t iova),
	       vtd_touch_fn touch, void *ctx)
{
	for (uint64_t off = 0; off < len;) {
		uint64_t a = iova + off, bytes = 4096;
		unsigned level = VTD_LEVEL_PT;
		/* A large leaf the rest of the range covers whole is cleared at its level. */
		for (unsigned l = VTD_LEVEL_PDPT; l < VTD_LEVEL_PT; l++) {
			uint64_t b = 1ull << vtd_shift(l), e = entry_peek(t, a, l);
			if (l >= vtd_root_level(t->levels) && vtd_present(t->kind, e) && is_leaf(t->kind, l, e) && !(a & (b - 1)) &&
			    len - off >= b) {
				level = l;
				bytes = b;
				break;
			}
		}
		uint64_t e = entry_peek(t, a, level);
		bool covered = level != VTD_LEVEL_PT || vtd_present(t->kind, e);
		if (!covered) {
			/* Nothing at the PTE: mapped by a large leaf that must be split, or not mapped at all. */
			for (unsigned l = VTD_LEVEL_PDPT; l < VTD_LEVEL_PT && !covered; l++) {
				uint64_t el = entry_peek(t, a, l);
				covered = l >= vtd_root_level(t->levels) && vtd_present(t->kind, el) && is_leaf(t->kind, l, el);
			}
		}
		if (!covered) {
			/* Not mapped: nothing below the highest absent entry on the way down either, so its whole
			 * span is skipped (an unmap's cost follows the tables, not the range's length). */
			for (unsigned l = vtd_root_level(t->levels); l <= VTD_LEVEL_PT; l++)
				if (!vtd_present(t->kind, entry_peek(t, a, l))) {
					uint64_t span = 1ull << vtd_shift(l);
					bytes = span - (a & (span - 1));
					break;
				}
		}
		if (covered) {
			uint64_t ea = vtd_entry_at(t, a, level, touch, ctx);
			if (ea != UINT64_MAX && vtd_present(t->kind, t->ops->read64(t->ctx, ea))) {
				for (uint64_t k = 0; changed && k < bytes; k += 4096)
					changed(ctx, a + k);
				t->ops->write64(t->ctx, ea, 0);
				if (touch)
					touch(ctx, ea);
			}
		}
		off += bytes;
	}
}

/* ---- the engine's view ---- */

static void f_walk(const void *table, uint64_t addr, bool write, struct iw_walk *w) { vtd_walk(table, addr, write, w); }

static void f_walk_from(const void *table, uint64_t addr, bool write, unsigned level, uint64_t resume, struct iw_walk *w)
{
	vtd_walk_from(table, addr, write, level, resume, w);
}

static uint64_t f_aperture(const void *table)
{
	const struct vtd_table *t = table;
	return 1ull << (vtd_width(t->levels) - (t->kind == VTD_FS ? 1 : 0));
}

static uint64_t f_count_leaves(const void *table) { return vtd_count_pages(table); }

#define VTD_FORMAT_COMMON                                                                                         \
	.nlevels = VTD_LEVEL_COUNT, .level_shift = {VTD_PML5_SHIFT, VTD_PML4_SHIFT, VTD_PDPT_SHIFT, VTD_PD_SHIFT, VTD_PT_SHIFT}, \
	.nfaults = VTD_FAULT_COUNT,                                                                               \
	.fault_names = {"ok", "not_present", "write_to_readonly", "beyond_width", "reserved_field", "privilege",    \
			"invalid_context"},                                                                       \
	.fault_invalid = VTD_FAULT_NOT_PRESENT, .fault_protection = VTD_FAULT_WRITE_RO,                            \
	.fault_out_of_range = VTD_FAULT_BEYOND_WIDTH, .max_walk_refs = VTD_LEVEL_COUNT, .nleaf_sizes = 3,          \
	.leaf_shift = {VTD_PT_SHIFT, VTD_PD_SHIFT, VTD_PDPT_SHIFT},                                                \
	.iotlb_param = {NULL, "vtd.iotlb_2m_entries", "vtd.iotlb_1g_entries"},                                     \
	.wc_param = {"vtd.pwc_pml5_entries", "vtd.pwc_pml4_entries", "vtd.pwc_pdpt_entries", "vtd.pwc_pd_entries"}, \
	.ncfg_caches = 2,                                                                                         \
	.cfg_cache = {{"context", "vtd.context_cache_entries", "context_cache_misses"},                          \
		      {"pasid", "vtd.pasid_cache_entries", "pasid_cache_misses"}},                                \
	.walk = f_walk, .walk_from = f_walk_from, .aperture = f_aperture, .count_leaves = f_count_leaves

/* The guest's tables (first stage: what a guest's Linux builds for its DMA domains in scalable mode, and
 * what nesting walks) name the model's format "vtd"; second-stage tables are the host's. */
const struct iw_format vtd_fs_format = {.name = "vtd", VTD_FORMAT_COMMON};
const struct iw_format vtd_ss_format = {.name = "vtd-ss", VTD_FORMAT_COMMON};
