/* sim_check: the reference check of a translation against the guest's mappings (checker.h). */
#include "sim_impl.h"

#include "alloc.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* ---- the reference check ---- */

static bool matches(struct sim *s, struct sim_fn *fn, uint64_t want, bool write, const struct sim_xlate *x, uint64_t iova, uint64_t addr)
{
	const struct iw_format *f = s->fmt;
	uint64_t ap = f->aperture(s->model->guest_table(fn->guest));
	if (ap && iova >= ap)
		return x->fault == f->fault_out_of_range; /* nothing can be mapped there */
	if (want == 0)
		return x->fault == f->fault_invalid;
	bool ro = (want & CHECK_RO) != 0;
	uint64_t hpa;
	if (!vm_gpa_to_hpa(s->c.vm, (want >> 2) << 12, &hpa)) {
		/* Mapped to a gpa outside guest RAM: untranslatable; a write to it through a read-only mapping
		 * may equally stop at the protection check (a 2-D walk meets it before stage 2). */
		return x->fault == f->fault_invalid || (write && ro && x->fault == f->fault_protection);
	}
	if (write && ro)
		return x->fault == f->fault_protection;
	uint64_t got = x->frame + ((addr & ~0xfffull) & (x->page_bytes - 1));
	return x->fault == IW_FAULT_NONE && got == hpa && x->writable == !ro;
}

/* Whether the reference map allows translation x of iova: the synced view, or for a page changed since
 * its last RPCIT, the current or any intermediate mapping. ro_write: a write through what the guest
 * mapped read-only when the DMA was issued (strategies with a bus address, whose check it is). */
bool xlate_allowed(struct sim *s, struct sim_fn *f, uint64_t iova, uint64_t addr, bool write, bool ro_write, const struct sim_xlate *x)
{
	uint64_t pfn = iova >> 12;
	if (s->ops->dma_addr) {
		/* The device put a bus address on the bus (the gpa the guest had mapped when the DMA was made,
		 * checked then): the translation must be that of the bus address through guest RAM. */
		if (addr == NO_BUS_ADDR)
			return x->fault == s->fmt->fault_invalid;
		uint64_t hpa;
		if (!vm_gpa_to_hpa(s->c.vm, addr & ~0xfffull, &hpa)) /* not guest RAM: beyond the table or unmapped */
			return x->fault == s->fmt->fault_invalid || x->fault == s->fmt->fault_out_of_range;
		/* A write through a read-only guest mapping must fault, unless the strategy gives up the
		 * guest's protection (relaxed translation: it must then succeed). */
		if (ro_write && !s->ops->unprotected)
			return x->fault == s->fmt->fault_protection;
		return x->fault == IW_FAULT_NONE && x->frame + ((addr & ~0xfffull) & (x->page_bytes - 1)) == hpa &&
		       (x->writable || !write);
	}
	if (matches(s, f, checker_synced(&f->ref, pfn), write, x, iova, addr))
		return true;
	if (checker_in_sync(&f->ref, pfn))
		return false;
	const struct checker_dirty *d = checker_dirty_of(&f->ref, pfn);
	if (d->overflow || matches(s, f, checker_guest(&f->ref, pfn), write, x, iova, addr))
		return true;
	for (unsigned i = 0; i < d->nseen; i++)
		if (matches(s, f, d->seen[i], write, x, iova, addr))
			return true;
	return false;
}

int check_xlate(struct sim *s, struct sim_fn *f, uint16_t dev, uint64_t iova, uint64_t addr, bool write, bool ro_write,
		       const struct sim_xlate *x, uint64_t recno)
{
	uint64_t pfn = iova >> 12;
	uint64_t synced = checker_synced(&f->ref, pfn);
	bool in_sync = checker_in_sync(&f->ref, pfn);
	s->c.st.ops[OP_CHECKED]++;
	if (xlate_allowed(s, f, iova, addr, write, ro_write, x))
		return 0;
	s->recno = recno;
	s->check_failed = true;
	return sim_fail(s,
			"check failed: strategy %s, DMA dev %u %s iova 0x%" PRIx64 ": got %s frame 0x%" PRIx64
			"%s, reference expects %s gpa page 0x%" PRIx64 "%s",
			s->ops->name, dev, write ? "write" : "read", iova, iw_fault_name(s->fmt, x->fault), x->frame,
			x->writable ? " rw" : " ro", synced ? "mapped" : "unmapped", (synced >> 2) << 12,
			in_sync ? "" : " (or the unrefreshed guest view)");
}
