/* shadow: what the shadowing strategies share: the host (shadow) IO table the device walks, and the
 * RPCIT-time walk of the guest's IO table that keeps it in sync (the posted KVM code's
 * dma_table_shadow(): dma_walk_guest_cpu_trans + dma_walk_cpu_trans + dma_shadow_cpu_trans).
 * A strategy supplies only how a guest-physical page is resolved to host-physical (and released).
 * Notes:
 *  - The pointers to guest table pages, once resolved, are kept in host-memory pointer arrays (the
 *    posted code's seg[] and pt[][]), one 16 KiB array per table of the level above, allocated on first
 *    use; every read and write of a pointer is a charged memory reference. They are never re-validated.
 *  - Where a guest region or segment entry is invalid, the walk skips what the entry spans (the posted
 *    code's `continue` did not advance; QEMU's walk skips the same way).
 *  - The guest PTE's protection bit is copied into the shadow entry (the posted code did not; without it
 *    a device could write a page the guest mapped read-only, and translations would differ from QEMU's).
 */
#ifndef IOWALK_MODELS_S390_IOAT_SHADOW_H
#define IOWALK_MODELS_S390_IOAT_SHADOW_H

#include "ioat.h"
#include "s390_model.h"
#include "sim.h"
#include "u64map.h"

struct shadow;

/* What distinguishes one shadowing strategy from another (strategy_ops.impl). */
struct shadow_resolver {
	size_t size; /* bytes of the strategy's state, which starts with struct shadow */
	/* Optional: sets up what the strategy keeps beyond struct shadow (before anything is resolved),
	 * and releases it. 0 or -1 with the reason in err. */
	int (*init)(struct shadow *sh, char *err, size_t errlen);
	void (*fini)(struct shadow *sh);
	/* Resolves the 4 KiB guest page gpa to its host-physical address, charging every step (and taking a
	 * page reference when the strategy pins). false when gpa is not guest RAM. */
	bool (*resolve)(struct shadow *sh, uint64_t gpa, uint64_t *hpa);
	/* Drops what resolve() took for the page at hpa (NULL when the strategy does not pin). */
	void (*release)(struct shadow *sh, uint64_t hpa);
};

struct shadow {
	struct strategy base; /* first member */
	struct sim *sim;
	const struct shadow_resolver *res;
	struct s390_table host;   /* the shadow table, in host memory, walked by the device */
	uint64_t root_hpa;        /* the guest's root table, resolved at IOTA registration */
	struct u64map arrays;     /* (level, parent prefix) -> hpa of a 16 KiB pointer array */
	uint64_t resolve_failures;
	/* For the invariant checks: valid shadow leaves, and guest table pages resolved and held. */
	uint64_t live_leaves, table_pages;
};

/* The strategy operations every shadowing strategy shares (a base plus a resolver): */
/* Creates the state (resolver->size bytes), the host table, and resolves the guest root table (4 pages
 * of 16 KiB), as zpci_iommu_kvm_assign_iota() does. */
struct strategy *shadow_create(const struct strategy_ops *self, struct sim *s, char *err, size_t errlen);
void shadow_destroy(struct strategy *st);
/* A guest RPCIT handled in the kernel: the intercept, the function lookup and ioat_lock, then the walk
 * of the range bringing the shadow entries in line with the guest table; one host RPCIT over the range
 * when a valid shadow entry was changed or removed. */
void shadow_invalidate(struct strategy *st, const struct iw_inval *inv);
/* The device's walk of the shadow table. */
void shadow_dma_walk(struct strategy *st, uint64_t iova, bool write, struct sim_xlate *x);
/* A pinning strategy holds exactly one pin per valid shadow leaf and per guest table page it resolved
 * (the engine checks the sum over functions against pins - unpins); one that does not pin holds none. */
uint64_t shadow_pins_held(struct strategy *st);
/* Asserting builds, with full: the leaf count against a scan of the shadow table. */
void shadow_check_invariants(struct strategy *st, bool full);

/* A shadowing strategy's operations: SHADOW_STRATEGY(name, summary, &resolver, &params or NULL,
 * &counters or NULL, pinned), pinned when its domain maps and pins all guest RAM up front (root-pfn). */
#define SHADOW_STRATEGY(name_, summary_, resolver_, params_, counters_, pinned_)                            \
	{                                                                                                  \
		.name = name_, .summary = summary_, .create = shadow_create, .destroy = shadow_destroy,     \
		.invalidate = shadow_invalidate, .dma_walk = shadow_dma_walk, .check_invariants = shadow_check_invariants, \
		.pins_held = shadow_pins_held, .pins_guest_ram = pinned_, .model = &s390_ioat_model,        \
		.impl = resolver_, .params = params_, .counters = counters_                                 \
	}

#endif
