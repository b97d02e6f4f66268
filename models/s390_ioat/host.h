/* host: the host side of s390 translation that exists with the VM: the VMM's DAT tables (hva -> hpa,
 * walked by GUP-fast) and the root (stage-2) IO domain (gpa -> hpa, all guest RAM, pinned at set-up).
 * Notes:
 *  - Both are complete by definition (all guest RAM populated and pinned when the VM starts); their
 *    entries are materialized in simulated memory on first reference, so memory use follows what the
 *    trace touches. A walk always reads real entries.
 *  - Their root tables are allocated when the VM is created, before anything else in the host pool.
 */
#ifndef IOWALK_MODELS_S390_IOAT_HOST_H
#define IOWALK_MODELS_S390_IOAT_HOST_H

#include "config.h"
#include "stats.h"
#include "ioat.h"
#include "vm.h"

#include <stddef.h>

enum s390_host_page { S390_HOST_PAGE_4K = 0, S390_HOST_PAGE_1M, S390_HOST_PAGE_2G };

struct s390_host {
	struct vm *vm;
	struct s390_table dat;  /* host DAT (hva -> hpa) */
	struct s390_table root; /* root IO domain (gpa -> hpa) */
	enum s390_host_page host_page;
	bool root_large;
	unsigned era;           /* host.era: 2022 or 2025 (the host kernel's s390-iommu driver) */
	uint64_t fallbacks;     /* guest pages mapped with 4 KiB pages though host_page asked for larger */
	unsigned n_host_walks, n_host_walk_refs, n_fallbacks; /* its counters (s390_host_counters) */
};

struct iw_config;
/* The model's parameters: vm.host_levels, vm.host_page_kib, vm.root_levels, vm.root_large. */
extern const struct iw_param_group s390_host_params;
/* The model's counters: host_walks, host_walk_refs. */
extern const struct iw_counter_group s390_host_counters;
/* NULL with the reason in err, or the host state of vm (vm.host_levels, host_page_kib, root_levels, root_large). */
struct s390_host *s390_host_new(struct vm *vm, const struct iw_config *cfg, char *err, size_t errlen);
void s390_host_free(struct s390_host *h);
/* NULL or why a memslot does not fit the host DAT's or the root domain's address space. */
const char *s390_host_memslot_check(const struct s390_host *h, uint64_t base_gfn, uint64_t npages, uint64_t hva);
/* The VMM's DAT walk of hva (GUP-fast's path); materializes the mapping on first use. */
void s390_host_walk(struct s390_host *h, uint64_t hva, struct iw_walk *w);
/* The root IO domain's walk of gpa; materializes on first use. */
void s390_root_walk(struct s390_host *h, uint64_t gpa, struct iw_walk *w);

struct sim;
/* The folio a pinned page belongs to: its head's address and whether it is a large (compound) page. */
struct s390_folio {
	uint64_t head;
	bool large;
};
/* GUP-fast's lockless walk of the VMM's DAT for hva in simulation s, after sw_cycles of software steps
 * (charged to host_walk): counted as a host walk, every entry read a CPU reference charged to host_walk.
 * true, the 4 KiB frame in *hpa and its folio (the page the walk found: its head and size) when hva is
 * mapped. */
bool s390_gup_walk(struct sim *s, uint64_t hva, uint64_t sw_cycles, uint64_t *hpa, struct s390_folio *folio);
/* The host issues RPCIT for [iova, iova + len) of the current function: the instruction and the firmware's
 * invalidation charged to rpcit (cost.rpcit, cost.iotlb_inval), and the device's IOTLBs and walk caches
 * invalidated over the range (sim_invalidate(): a synchronous range invalidation). */
void s390_host_rpcit(struct sim *s, uint64_t iova, uint64_t len);
/* The folio of the guest page at hpa as the VMM's DAT maps it (the mapping a pin found; functional, no
 * timing): for unpinning. */
struct s390_folio s390_folio_of(const struct s390_host *h, uint64_t hpa);

#endif
