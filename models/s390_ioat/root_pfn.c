/* root_pfn: the shadowing proposed on the iommu list (Gunthorpe, 2022-03-14/15): the IOMMU driver walks
 * the guest's IO table through the pfns of the root (stage-2) iommu_domain, which maps all guest RAM and
 * already holds its pins: every gpa is resolved by a walk of the root IO table; no memslot search, no
 * GUP, no refcount. An optional software cache of root segment entries shortens the walk. */
#include "s390_model.h"
#include "shadow.h"

#include <stdio.h>

struct root_pfn {
	struct shadow sh;     /* first member */
	struct sacache swc;   /* root segment entries: gpa >> 20 -> present */
	unsigned n_walks, n_walk_refs, n_swcache_hits; /* its counters */
};

static const struct iw_counter root_counters[] = {
	{"root_walks", "software walks of the root IO table"},
	{"root_walk_refs", "root IO table entries read by software"},
	{"root_swcache_hits", "root walks shortened by the software walk cache"},
};
static const struct iw_counter_group root_counter_group = {"root-pfn", root_counters, 3};

static bool root_resolve(struct shadow *sh, uint64_t gpa, uint64_t *hpa)
{
	struct root_pfn *r = container_of(sh, struct root_pfn, sh);
	struct sim *s = sh->sim;
	sim_charge(s, COMP_SW, sim_cfg(s)->c_call);
	if (s390_host_of(s)->era == 2022)
		sim_spinlock(s); /* 2022 s390_iommu_iova_to_phys(): under dma_table_lock (irqsave) */
	struct iw_walk w;
	s390_root_walk(s390_host_of(s), gpa, &w);
	sim_op(s, r->n_walks, 1);
	enum s390_level from = S390_LEVEL_RF;
	if (sacache_lookup(&r->swc, gpa >> S390_ST_SHIFT, NULL)) {
		from = S390_LEVEL_PT;
		sim_op(s, r->n_swcache_hits, 1);
	}
	for (unsigned i = 0; i < w.nrefs; i++) {
		if (w.ref_level[i] < from)
			continue;
		sim_cpu_ref(s, COMP_ROOT_WALK, w.refs[i]);
		sim_op(s, r->n_walk_refs, 1);
	}
	if (w.fault != S390_OK)
		return false;
	if (w.page_bytes == S390_PAGE_SIZE)
		sacache_fill(&r->swc, gpa >> S390_ST_SHIFT, 1);
	*hpa = w.addr & ~(S390_PAGE_SIZE - 1);
	return true;
}

static int root_init(struct shadow *sh, char *err, size_t errlen)
{
	struct root_pfn *r = container_of(sh, struct root_pfn, sh);
	r->n_walks = (unsigned)stats_counter_index("root_walks");
	r->n_walk_refs = (unsigned)stats_counter_index("root_walk_refs");
	r->n_swcache_hits = (unsigned)stats_counter_index("root_swcache_hits");
	uint64_t e = config_value(sim_cfg(sh->sim), "root.swcache_entries");
	if (sacache_init(&r->swc, e, (uint32_t)(e ? e : 1)) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static void root_fini(struct shadow *sh) { sacache_destroy(&container_of(sh, struct root_pfn, sh)->swc); }

static const struct shadow_resolver root_resolver = {
	.size = sizeof(struct root_pfn), .init = root_init, .fini = root_fini, .resolve = root_resolve, .release = NULL};

static const struct iw_param root_params[] = {
	{"root.swcache_entries", 0, 0, 1u << 24, "", "root-pfn: software cache of root-table segment entries (0: none)", 0, 0, NULL},
};
static const struct iw_param_group root_param_group = {"root-pfn", root_params, 1, NULL};

const struct strategy_ops strategy_root_pfn =
	SHADOW_STRATEGY("root-pfn", "shadow; the IOMMU driver resolves each gpa by walking the root domain's IO table",
			&root_resolver, &root_param_group, &root_counter_group, true);
