/* guest: guest-kernel IOPTE writes (see guest.h). */
#include "guest.h"

const char *guest_ioat_init(struct guest_ioat *g, struct vm *vm, uint64_t origin, unsigned levels)
{
	if (g->active)
		return "IOAT already registered (re-registration is not supported)";
	const char *why = vm_guest_pool_open(vm, origin, &g->pool);
	if (why)
		return why;
	if (s390_table_init(&g->table, &vm_gpa_ops, &g->pool, levels) < 0)
		return "guest RAM too small for the IOAT root table";
	if (g->table.origin != origin)
		return "internal: guest root table not at the IOAT origin";
	g->table.large_st = true; /* QEMU honours segment format control in guest tables */
	g->active = true;
	return NULL;
}

/* The guest vCPU's references to the entries at refs[0..n) (cb->touch). */
static void touch_refs(const struct iw_guest_cb *cb, const uint64_t *refs, unsigned n)
{
	if (cb->touch)
		for (unsigned i = 0; i < n; i++)
			cb->touch(cb->ctx, refs[i]);
}

const char *guest_ioat_map(struct guest_ioat *g, uint64_t iova, uint64_t gpa, uint64_t len, bool readonly,
			   const struct iw_guest_cb *cb)
{
	uint64_t ap = s390_aperture_bytes(s390_root_level(g->table.levels));
	if (ap && (iova >= ap || len > ap - iova))
		return "MAP outside the IOAT's aperture";
	for (uint64_t off = 0; off < len; off += S390_PAGE_SIZE) {
		uint64_t refs[S390_WALK_MAX_REFS];
		unsigned n;
		uint64_t ea = s390_walk_alloc(&g->table, iova + off, S390_LEVEL_PT, refs, &n);
		if (ea == UINT64_MAX)
			return "guest table pool exhausted (the memslot holding the IOAT origin is full)";
		touch_refs(cb, refs, n);
		touch_refs(cb, &ea, 1);
		uint64_t old = g->table.ops->read64(g->table.ctx, ea);
		g->table.ops->write64(g->table.ctx, ea, s390_entry_page(gpa + off, readonly));
		if (cb->changed && s390_entry_valid(S390_LEVEL_PT, old))
			cb->changed(cb->ctx, iova + off);
	}
	return NULL;
}

uint64_t guest_ioat_unmap(struct guest_ioat *g, uint64_t iova, uint64_t len, const struct iw_guest_cb *cb)
{
	uint64_t n = 0;
	uint64_t last = iova + (len - 1); /* inclusive: the range may end at 2^64 */
	uint64_t a = iova;
	do {
		struct iw_walk w;
		s390_walk(&g->table, a, false, &w);
		if (w.fault == S390_FAULT_OUT_OF_RANGE)
			break;
		if (w.fault == S390_OK && w.page_bytes == S390_PAGE_SIZE) {
			uint64_t ea = w.refs[w.nrefs - 1];
			touch_refs(cb, w.refs, w.nrefs);
			uint64_t e = g->table.ops->read64(g->table.ctx, ea);
			g->table.ops->write64(g->table.ctx, ea, e | S390_PTE_INVALID);
			n++;
			if (cb->changed)
				cb->changed(cb->ctx, a);
		}
		/* An invalid region or segment entry: no table below it; its span is skipped (as QEMU's walk does). */
		a = iw_range_next(&s390_ioat_format, a, last, &w);
	} while (a);
	return n;
}
