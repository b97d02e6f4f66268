/* s390_ioat: entry encoding, walks and updates of s390 IO (and DAT) tables (see ioat.h).
 * Notes:
 *  - Validity is the invalid bit alone at every level (Linux reg_entry_isvalid()/pt_entry_isvalid(),
 *    the architecture): a read-write PTE for frame 0 is the value 0 and is valid. (QEMU's emulation,
 *    table_translate(), also rejects an all-zero entry at any level; docs/s390-ioat.md says why the
 *    model does not.) Region entries must describe the whole next table (length 3, offset 0); the type
 *    bits of a region or segment entry must be those of the table holding it (an all-zero region entry
 *    therefore fails the type check); any protected entry on the path makes the result read-only.
 *  - Updates follow Linux dma_walk_cpu_trans()/dma_update_cpu_trans(): missing tables are allocated
 *    with every entry invalid; an invalidated PTE keeps its frame address.
 */
#include "ioat.h"

static const char *const fault_names[S390_FAULT_COUNT] = {
	[S390_OK] = "ok",
	[S390_FAULT_INVALID] = "invalid_entry",
	[S390_FAULT_TABLE_LENGTH] = "table_length",
	[S390_FAULT_TABLE_TYPE] = "table_type",
	[S390_FAULT_PROTECTION] = "protection",
	[S390_FAULT_OUT_OF_RANGE] = "out_of_range",
};

const char *s390_fault_name(enum s390_fault f) { return (unsigned)f < S390_FAULT_COUNT ? fault_names[f] : "?"; }

uint64_t s390_entry_table(enum s390_level l, uint64_t next_origin)
{
	if (l == S390_LEVEL_ST)
		return (next_origin & S390_STE_ADDR_MASK) | S390_TABLE_TYPE_SX;
	return (next_origin & S390_RTE_ADDR_MASK) | s390_table_type(l) | S390_TABLE_LEN_FULL;
}

uint64_t s390_entry_page(uint64_t frame, bool readonly)
{
	return (frame & S390_PTE_ADDR_MASK) | (readonly ? S390_TABLE_PROTECTED : 0);
}

uint64_t s390_entry_large(enum s390_level l, uint64_t frame, bool readonly)
{
	uint64_t prot = readonly ? S390_TABLE_PROTECTED : 0;
	if (l == S390_LEVEL_ST)
		return (frame & S390_SFAA_MASK) | S390_SEG_FC | S390_TABLE_TYPE_SX | prot;
	return (frame & S390_RFAA_MASK) | S390_RT_FC | S390_TABLE_TYPE_RTX | S390_TABLE_LEN_FULL | prot;
}

uint64_t s390_entry_origin(enum s390_level l, uint64_t e)
{
	switch (l) {
	case S390_LEVEL_PT: return e & S390_PTE_ADDR_MASK;
	case S390_LEVEL_ST: return (e & S390_SEG_FC) ? (e & S390_SFAA_MASK) : (e & S390_STE_ADDR_MASK);
	default: return e & S390_RTE_ADDR_MASK;
	}
}

uint64_t s390_iota(uint64_t origin, unsigned levels)
{
	unsigned dt = levels == 3 ? S390_IOTA_DT_RT : levels == 4 ? S390_IOTA_DT_RS : S390_IOTA_DT_RF;
	return (origin & S390_RTE_ADDR_MASK) | S390_IOTA_IOT_ENABLED | ((uint64_t)dt << 2);
}

static uint64_t new_table(const struct s390_table *t, enum s390_level l)
{
	if (!t->ops->alloc)
		return UINT64_MAX;
	uint64_t bytes = s390_table_bytes(l);
	uint64_t origin = t->ops->alloc(t->ctx, bytes);
	if (origin == UINT64_MAX)
		return UINT64_MAX;
	uint64_t inv = s390_entry_invalid(l);
	if (t->ops->fill64)
		t->ops->fill64(t->ctx, origin, bytes, inv);
	else
		for (uint64_t off = 0; off < bytes; off += S390_ENTRY_BYTES)
			t->ops->write64(t->ctx, origin + off, inv);
	return origin;
}

int s390_table_init(struct s390_table *t, const struct iw_mem_ops *ops, void *ctx, unsigned levels)
{
	t->ops = ops;
	t->ctx = ctx;
	t->levels = levels;
	t->large_st = false;
	t->large_rt = false;
	t->origin = new_table(t, s390_root_level(levels));
	return t->origin == UINT64_MAX ? -1 : 0;
}

static bool in_aperture(const struct s390_table *t, uint64_t addr)
{
	uint64_t ap = s390_aperture_bytes(s390_root_level(t->levels));
	return ap == 0 || addr < ap;
}

static void walk_fault(struct iw_walk *w, enum s390_fault f, enum s390_level l)
{
	w->fault = f;
	w->fault_level = l;
}

/* The walk from level l, whose table is at origin; writable: no entry above it was protected. (Inlined
 * into both walks, whole and from a walk-cache entry: the device's walks of every translation.) */
static inline __attribute__((always_inline)) void walk_at(const struct s390_table *t, uint64_t addr, bool write,
						    enum s390_level l, uint64_t origin, bool writable,
						    struct iw_walk *w)
{
	w->fault = S390_OK;
	w->fault_level = S390_LEVEL_PT;
	w->addr = 0;
	w->page_bytes = 0;
	w->writable = writable;
	w->nrefs = 0;
	if (!in_aperture(t, addr)) {
		walk_fault(w, S390_FAULT_OUT_OF_RANGE, l);
		return;
	}
	for (;; l++) {
		uint64_t ea = origin + (uint64_t)s390_index(l, addr) * S390_ENTRY_BYTES;
		uint64_t e = t->ops->read64(t->ctx, ea);
		w->refs[w->nrefs] = ea;
		w->ref_level[w->nrefs++] = l;
		if (!s390_entry_valid(l, e)) {
			walk_fault(w, S390_FAULT_INVALID, l);
			return;
		}
		if (e & S390_TABLE_PROTECTED)
			w->writable = false;
		if (l == S390_LEVEL_PT) {
			w->page_bytes = S390_PAGE_SIZE;
			w->addr = (e & S390_PTE_ADDR_MASK) | (addr & (S390_PAGE_SIZE - 1));
			break;
		}
		if ((e & S390_TABLE_TYPE_MASK) != s390_table_type(l)) {
			walk_fault(w, S390_FAULT_TABLE_TYPE, l);
			return;
		}
		if (l != S390_LEVEL_ST && ((e & S390_TABLE_LEN_MASK) != S390_TABLE_LEN_FULL || (e & S390_TABLE_OFFSET_MASK))) {
			walk_fault(w, S390_FAULT_TABLE_LENGTH, l);
			return;
		}
		if (l == S390_LEVEL_ST && t->large_st && (e & S390_SEG_FC)) {
			w->page_bytes = 1ull << S390_ST_SHIFT;
			w->addr = (e & S390_SFAA_MASK) | (addr & ~S390_SFAA_MASK);
			break;
		}
		if (l == S390_LEVEL_RT && t->large_rt && (e & S390_RT_FC)) {
			w->page_bytes = 1ull << S390_RT_SHIFT;
			w->addr = (e & S390_RFAA_MASK) | (addr & ~S390_RFAA_MASK);
			break;
		}
		origin = s390_entry_origin(l, e);
		/* Where a walk through this entry goes on: the next table (at least 2 KiB aligned), bit 0 set
		 * when an entry so far was protected. */
		w->resume[w->nrefs - 1] = origin | (w->writable ? 0 : 1);
	}
	if (write && !w->writable)
		walk_fault(w, S390_FAULT_PROTECTION, l);
}

void s390_walk(const struct s390_table *t, uint64_t addr, bool write, struct iw_walk *w)
{
	walk_at(t, addr, write, s390_root_level(t->levels), t->origin, true, w);
}

uint64_t s390_walk_alloc(const struct s390_table *t, uint64_t addr, enum s390_level leaf, uint64_t *refs,
			 unsigned *nrefs)
{
	*nrefs = 0;
	if (!in_aperture(t, addr))
		return UINT64_MAX;
	uint64_t origin = t->origin;
	for (enum s390_level l = s390_root_level(t->levels);; l++) {
		uint64_t ea = origin + (uint64_t)s390_index(l, addr) * S390_ENTRY_BYTES;
		if (l == leaf)
			return ea;
		uint64_t e = t->ops->read64(t->ctx, ea);
		refs[(*nrefs)++] = ea;
		if (!s390_entry_valid(l, e)) {
			uint64_t next = new_table(t, l + 1);
			if (next == UINT64_MAX)
				return UINT64_MAX;
			e = s390_entry_table(l, next);
			t->ops->write64(t->ctx, ea, e);
		}
		origin = s390_entry_origin(l, e);
	}
}

int s390_map(const struct s390_table *t, uint64_t addr, uint64_t frame, enum s390_level leaf, bool readonly)
{
	uint64_t refs[S390_WALK_MAX_REFS];
	unsigned n;
	uint64_t ea = s390_walk_alloc(t, addr, leaf, refs, &n);
	if (ea == UINT64_MAX)
		return -1;
	uint64_t e = leaf == S390_LEVEL_PT ? s390_entry_page(frame, readonly) : s390_entry_large(leaf, frame, readonly);
	t->ops->write64(t->ctx, ea, e);
	return 0;
}

bool s390_unmap(const struct s390_table *t, uint64_t addr)
{
	struct iw_walk w;
	s390_walk(t, addr, false, &w);
	if (w.fault != S390_OK || w.page_bytes != S390_PAGE_SIZE)
		return false;
	uint64_t ea = w.refs[w.nrefs - 1];
	uint64_t e = t->ops->read64(t->ctx, ea);
	t->ops->write64(t->ctx, ea, e | S390_PTE_INVALID);
	return true;
}

static uint64_t count_below(const struct s390_table *t, enum s390_level l, uint64_t origin)
{
	uint64_t n = 0, entries = l == S390_LEVEL_PT ? S390_PT_ENTRIES : S390_TABLE_ENTRIES;
	for (uint64_t i = 0; i < entries; i++) {
		uint64_t e = t->ops->read64(t->ctx, origin + i * S390_ENTRY_BYTES);
		if (!s390_entry_valid(l, e))
			continue;
		if (l == S390_LEVEL_PT)
			n++;
		else if ((e & S390_TABLE_TYPE_MASK) == s390_table_type(l) && !(l == S390_LEVEL_ST && (e & S390_SEG_FC)))
			n += count_below(t, l + 1, s390_entry_origin(l, e));
	}
	return n;
}

uint64_t s390_count_leaves(const struct s390_table *t) { return count_below(t, s390_root_level(t->levels), t->origin); }

static void format_walk(const void *table, uint64_t addr, bool write, struct iw_walk *w)
{
	s390_walk(table, addr, write, w);
}

static void format_walk_from(const void *table, uint64_t addr, bool write, unsigned level, uint64_t resume,
			     struct iw_walk *w)
{
	walk_at(table, addr, write, (enum s390_level)level, resume & ~1ull, !(resume & 1), w);
}

static uint64_t format_aperture(const void *table)
{
	return s390_aperture_bytes(s390_root_level(((const struct s390_table *)table)->levels));
}

static uint64_t format_count_leaves(const void *table) { return s390_count_leaves(table); }

const struct iw_format s390_ioat_format = {
	.name = "s390-ioat",
	.nlevels = S390_LEVEL_COUNT,
	.level_shift = {S390_RF_SHIFT, S390_RS_SHIFT, S390_RT_SHIFT, S390_ST_SHIFT, S390_PAGE_SHIFT},
	.nfaults = S390_FAULT_COUNT,
	.fault_names = {"ok", "invalid_entry", "table_length", "table_type", "protection", "out_of_range"},
	.fault_invalid = S390_FAULT_INVALID,
	.fault_protection = S390_FAULT_PROTECTION,
	.fault_out_of_range = S390_FAULT_OUT_OF_RANGE,
	.max_walk_refs = S390_LEVEL_COUNT,
	.nleaf_sizes = 1,
	.leaf_shift = {S390_PAGE_SHIFT},
	/* The device's region-third and segment caches (entries above the segment table, and segment
	 * entries): the parameters keep the names they have always had. */
	.wc_param = {[S390_LEVEL_RT] = "device.wc_rt_entries", [S390_LEVEL_ST] = "device.wc_st_entries"},
	.walk = format_walk,
	.walk_from = format_walk_from,
	.aperture = format_aperture,
	.count_leaves = format_count_leaves,
};
