/* format: the parts of the table-format seam that are the same for every format (format.h). */
#include "format.h"

/* Appends the references of stage-2 walk s2 of one address to w. */
static void add_stage2(struct iw_walk *w, const struct iw_walk *s2)
{
	for (unsigned k = 0; k < s2->nrefs && w->nrefs < IW_WALK_MAX_REFS; k++) {
		w->refs[w->nrefs] = s2->refs[k];
		w->ref_level[w->nrefs++] = IW_STAGE2 + s2->ref_level[k];
	}
}

/* A stage-2 fault ends the 2-D walk: the address it could not translate makes it a fault of stage 2. */
static void stage2_fault(struct iw_walk *w, const struct iw_walk *s2)
{
	w->fault = s2->fault;
	w->fault_level = IW_STAGE2 + s2->fault_level;
	w->writable = false;
}

void iw_walk_2d(const struct iw_format *f1, const void *t1, const struct iw_format *f2, const void *t2, uint64_t iova,
		bool write, struct iw_walk *w)
{
	struct iw_walk s1, s2;
	f1->walk(t1, iova, write, &s1);
	w->nrefs = 0;
	w->fault = IW_FAULT_NONE;
	w->addr = 0;
	w->page_bytes = 0;
	w->writable = false;
	for (unsigned i = 0; i < s1.nrefs; i++) {
		/* The stage-1 entry's address is translated first (a read: stage 1's tables are never written by
		 * the walk), then the entry is read there. */
		f2->walk(t2, s1.refs[i], false, &s2);
		add_stage2(w, &s2);
		if (s2.fault != IW_FAULT_NONE) {
			stage2_fault(w, &s2);
			return;
		}
		if (w->nrefs < IW_WALK_MAX_REFS) {
			w->refs[w->nrefs] = s2.addr;
			w->ref_level[w->nrefs++] = s1.ref_level[i];
		}
	}
	if (s1.fault != IW_FAULT_NONE) {
		w->fault = s1.fault;
		w->fault_level = s1.fault_level;
		return;
	}
	f2->walk(t2, s1.addr, write, &s2);
	add_stage2(w, &s2);
	if (s2.fault != IW_FAULT_NONE) {
		stage2_fault(w, &s2);
		return;
	}
	w->addr = s2.addr;
	w->page_bytes = s1.page_bytes < s2.page_bytes ? s1.page_bytes : s2.page_bytes;
	w->writable = s1.writable && s2.writable;
}
