/* vm: the simulated host and guest memory of one VM: host-physical frames, KVM memslots, the host
 * kernel's memory pool and the guest's table pool. It knows no table format: the host tables that map
 * this memory (for s390, the VMM's DAT tables and the root IO domain) belong to the model.
 * Notes:
 *  - Guest RAM of a memslot is backed by one contiguous host-physical range (as with 2 GiB-aligned
 *    huge-page backing); hpa = slot.hpa_base + (gpa - slot.base). Stated in docs/s390-ioat.md.
 *  - Memslot search follows KVM's ____gfn_to_memslot(): the VM-wide last-used slot first, then a
 *    descent of a balanced search tree ordered by base_gfn (the rbtree of 5.17+, modelled as the implicit
 *    tree of a binary search over the sorted slots); every probe is a memory reference.
 */
#ifndef IOWALK_SIM_VM_H
#define IOWALK_SIM_VM_H

#include "format.h"
#include "physmem.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VM_HOST_POOL_BASE 0x100000ull     /* host kernel allocations: tables, memslot structs */
#define VM_HOST_POOL_END 0x100000000ull   /* 4 GiB */
#define VM_GUEST_HPA_BASE 0x100000000ull  /* guest RAM backing starts here, 2 GiB-aligned per slot */
#define VM_SLOT_STRUCT_BYTES 128u         /* a kvm_memory_slot's footprint; one line read per probe */
#define VM_MAX_PROBE_REFS 72u

struct vm_config {
	uint64_t max_memslots;  /* configuration limit (KVM_MAX_MEMSLOTS-like); 0 = 32764 */
};

struct vm_slot {
	uint32_t id;
	uint64_t base_gfn, npages, hva;
	uint64_t hpa_base;    /* backing host-physical address of base_gfn */
	uint64_t struct_hpa;  /* where its kvm_memory_slot lives (charged on each probe) */
};

/* The references of one memslot search, for the timing model. */
struct vm_probe {
	bool cache_hit;       /* last-used slot matched */
	unsigned nrefs;
	uint64_t refs[VM_MAX_PROBE_REFS];
	bool ref_write[VM_MAX_PROBE_REFS];
};

struct vm;
struct vm *vm_new(const struct vm_config *cfg, char *err, size_t errlen);
void vm_free(struct vm *vm);
struct physmem *vm_physmem(struct vm *vm);
/* true once a simulated allocation failed (out of host memory or pool): the run must stop. */
bool vm_failed(const struct vm *vm);
const char *vm_failure(const struct vm *vm);

/* Adds a memslot; NULL or the reason (limits). Overlaps and duplicate ids are found by
 * vm_commit_memslots(), which must run before any lookup once memslots were added. */
const char *vm_add_memslot(struct vm *vm, uint32_t id, uint64_t base_gfn, uint64_t npages, uint64_t hva);
/* Sorts and checks the memslot set; NULL or the reason (written into buf). */
const char *vm_commit_memslots(struct vm *vm, char *buf, size_t len);
unsigned vm_nslots(const struct vm *vm);
const struct vm_slot *vm_slot(const struct vm *vm, unsigned i); /* sorted by base_gfn */
/* Functional lookup, no timing: slot index or -1. */
int vm_find_slot(const struct vm *vm, uint64_t gfn);
bool vm_gpa_to_hpa(const struct vm *vm, uint64_t gpa, uint64_t *hpa);
/* KVM's lookup with the last-used cache; fills p with the references made. Slot index or -1. */
int vm_memslot_search(struct vm *vm, uint64_t gfn, struct vm_probe *p);
static inline uint64_t vm_slot_hva(const struct vm_slot *s, uint64_t gfn) { return s->hva + ((gfn - s->base_gfn) << 12); }

/* The slot whose VMM range holds hva (functional, no timing): slot index or -1. */
int vm_find_slot_hva(const struct vm *vm, uint64_t hva);
/* The slot whose guest RAM is backed by the host-physical address hpa (functional, no timing): slot
 * index or -1. */
int vm_find_slot_hpa(const struct vm *vm, uint64_t hpa);

/* Host-physical memory with the host kernel pool, for host-side tables (shadow tables). */
extern const struct iw_mem_ops vm_hpa_ops;
/* A guest table pool: where one IO address space's guest tables are allocated, from the IOAT origin up
 * to the end of its memslot or the next pool's origin above it, whichever comes first. */
struct vm_pool {
	struct vm *vm;
	uint64_t origin, next, end; /* gpa */
};
/* Guest-physical memory, allocating from a guest table pool (ctx: struct vm_pool *; the guest's IO
 * tables). */
extern const struct iw_mem_ops vm_gpa_ops;
/* Opens the pool p at gpa origin (inside a memslot) for another IO address space; a pool below it in
 * the same memslot now ends at origin. NULL, or the reason (origin outside guest RAM, or inside tables
 * another pool has already allocated). p must stay where it is until the VM is freed. */
const char *vm_guest_pool_open(struct vm *vm, uint64_t origin_gpa, struct vm_pool *p);
/* Allocates host kernel memory (bytes aligned to bytes, zeroed); UINT64_MAX when exhausted. */
uint64_t vm_host_alloc(struct vm *vm, uint64_t bytes);

#endif
