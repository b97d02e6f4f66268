/* guest: the guest kernel's side of the s390 IO tables: it registers an IOTA and writes IOPTEs in its
 * own memory on MAP/UNMAP, allocating table pages from guest RAM (Linux dma_walk_cpu_trans()). */
#ifndef IOWALK_MODELS_S390_IOAT_GUEST_H
#define IOWALK_MODELS_S390_IOAT_GUEST_H

#include "ioat.h"
#include "vm.h"

struct guest_ioat {
	struct s390_table table; /* in guest-physical memory */
	struct vm_pool pool;     /* where its tables are allocated */
	bool active;
};

/* NULL or the reason the IOAT cannot be registered. */
const char *guest_ioat_init(struct guest_ioat *g, struct vm *vm, uint64_t origin, unsigned levels);
/* Maps [iova, iova+len) to gpa page by page; changed (if not NULL) gets every page whose valid entry is
 * replaced. NULL or the reason (aperture, pool exhausted). */
const char *guest_ioat_map(struct guest_ioat *g, uint64_t iova, uint64_t gpa, uint64_t len, bool readonly,
			   void (*changed)(void *ctx, uint64_t iova), void *ctx);
/* Invalidates the pages of [iova, iova+len) that are mapped (changed, if not NULL, gets each); returns
 * how many were. */
uint64_t guest_ioat_unmap(struct guest_ioat *g, uint64_t iova, uint64_t len, void (*changed)(void *ctx, uint64_t iova),
			  void *ctx);

#endif
