/* vtd_model: the Intel VT-d model (sim/model.h): the guest's first-stage IO tables in guest memory (what a
 * guest's Linux builds for a DMA domain in scalable mode, and what hardware nesting walks), the host's
 * second stage of all guest RAM (an iommufd HWPT_PAGING nesting parent, or the pass-through domain), and
 * the services its strategies use. docs/vtd.md says what is modelled and what is left out.
 * Notes:
 *  - The second stage maps every page of guest RAM with the largest leaf the backing allows (up to
 *    vtd.s2_max_page_kib): vfio/iommufd map guest memory so. Its entries are materialized in simulated
 *    memory the first time a walk reaches them (all guest RAM is pinned at set-up by the strategies that
 *    use it), so memory follows what the trace touches; a walk always reads real entries.
 */
#ifndef IOWALK_MODELS_VTD_VTD_MODEL_H
#define IOWALK_MODELS_VTD_VTD_MODEL_H

#include "sim.h"
#include "vtd.h"

extern const struct iw_model vtd_model;

struct vtd_host {
	struct vm *vm;
	struct vtd_table s2;   /* the second stage: gpa -> hpa, 4 KiB tables in the host pool */
	unsigned s2_max_shift; /* its largest leaf: 12, 21 or 30 */
	unsigned guest_max_shift; /* the largest first-stage leaf a guest maps (vtd.guest_max_page_kib) */
	uint64_t ctx_hpa;      /* the device's context entry (host memory) */
	uint64_t pasid_hpa;    /* its PASID directory entry and, 2 KiB on, its PASID-table entry */
	int n_qi_desc, n_qi_waits; /* the counters qi_descriptors and qi_waits (stats_counter_index()) */
	uint64_t c_qi_desc, c_qi_wait; /* vtd.qi_desc, and vtd.qi_wait_ns in cycles */
};

struct vtd_guest {
	struct vm_pool pool;   /* where its tables live (from the IOAT origin up) */
	struct vtd_table fs;   /* its first-stage table, in guest memory */
	unsigned max_shift;    /* the largest leaf its driver maps (vtd.guest_max_page_kib) */
};

static inline struct vtd_host *vtd_host_of(const struct sim *s) { return sim_model_host(s); }
static inline const struct vtd_table *vtd_guest_fs(const struct sim *s) { return sim_guest_table(s); }
/* The second stage's walk of gpa, its leaf made first when none maps it yet (functional, untimed). A
 * gpa outside guest RAM faults (not present). */
void vtd_s2_walk(struct vtd_host *h, uint64_t gpa, struct iw_walk *w);

/* The model's counters, by name: context_cache_misses, pasid_cache_misses (the format's configuration
 * caches), qi_descriptors, qi_waits, vtd_vmm_exits. */
/* A queued invalidation by the host: n descriptors written to the ring and the tail doorbell, then a wait
 * descriptor and its completion (qi_submit_sync()); charged to rpcit, counted. */
void vtd_host_qi(struct sim *s, unsigned n);
/* The strategies' registry, in report order. */
const struct strategy_ops *vtd_strategy_at(unsigned i);

#endif
