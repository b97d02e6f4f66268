/* guest: the guest kernel's side of the s390 IO tables: it registers an IOTA and writes IOPTEs in its
 * own memory on MAP/UNMAP, allocating table pages from guest RAM (Linux dma_walk_cpu_trans()). */
#ifndef IOWALK_MODELS_S390_IOAT_GUEST_H
#define IOWALK_MODELS_S390_IOAT_GUEST_H

#include "ioat.h"
#include "model.h"
#include "vm.h"

struct guest_ioat {
	struct s390_table table; /* in guest-physical memory */
	struct vm_pool pool;     /* where its tables are allocated */
	bool active;
};

/* NULL or the reason the IOAT cannot be registered. */
const char *guest_ioat_init(struct guest_ioat *g, struct vm *vm, uint64_t origin, unsigned levels);
/* Maps [iova, iova+len) to gpa page by page (Linux dma_walk_cpu_trans() and the PTE store); cb->changed
 * (if set) gets every page whose valid entry is replaced, cb->touch (if set) every entry the walk reads and
 * the leaf it writes. NULL or the reason (aperture, pool exhausted). */
const char *guest_ioat_map(struct guest_ioat *g, uint64_t iova, uint64_t gpa, uint64_t len, bool readonly,
			   const struct iw_guest_cb *cb);
/* Invalidates the pages of [iova, iova+len) that are mapped (cb->changed, if set, gets each; cb->touch every
 * entry read and each leaf written); returns how many were. */
uint64_t guest_ioat_unmap(struct guest_ioat *g, uint64_t iova, uint64_t len, const struct iw_guest_cb *cb);

#endif
