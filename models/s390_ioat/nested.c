/* nested: hardware two-stage translation, no shadow (where upstream went with iommufd nested domains):
 * a guest RPCIT only invalidates the device's IOTLB and walk caches, and with the refresh bit off
 * (nested.refresh=0, the default) the guest issues one only after unmaps; an IOTLB miss walks the guest's IO
 * table, translating the gpa of every guest entry it reads, and the final gpa, through the stage-2 (root)
 * IO table: up to (n+1)(m+1)-1 references for n guest and m stage-2 levels.
 * Notes:
 *  - Stage-1 walk caches (the device's region and segment caches, keyed by IOVA) hold guest entries;
 *    a stage-2 translation cache (nested.s2_tlb_entries, keyed by gpa page) holds stage-2 results.
 *  - No s390 hardware with this exists (no s390 iommufd nested HWPT exists upstream); the
 *    model is the generic 2-D walk of nested IOMMUs, stated as an assumption in docs/strategies.md. */
#include "alloc.h"
#include "s390_model.h"
#include "sim.h"

#include <stdio.h>

struct nested {
	struct strategy base; /* first member */
	struct sim *sim;
	struct sacache s2tlb; /* gpa page -> hpa page */
};

static struct strategy *nested_create(const struct strategy_ops *self, struct sim *s, char *err, size_t errlen)
{
	(void)self;
	struct nested *n = iw_calloc(1, sizeof(*n));
	uint64_t e = config_value(sim_cfg(s), "nested.s2_tlb_entries"), ways = config_value(sim_cfg(s), "nested.s2_tlb_ways");
	if (!n || sacache_init(&n->s2tlb, e, (uint32_t)(e < ways ? (e ? e : 1) : ways)) < 0) {
		iw_free(n);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	n->sim = s;
	return &n->base;
}

static void nested_destroy(struct strategy *st)
{
	struct nested *n = container_of(st, struct nested, base);
	sacache_destroy(&n->s2tlb);
	iw_free(n);
}

static void nested_invalidate(struct strategy *st, const struct iw_inval *inv)
{
	struct nested *n = container_of(st, struct nested, base);
	struct sim *s = n->sim;
	sim_charge(s, COMP_INTERCEPT, sim_cfg(s)->c_intercept);
	sim_charge(s, COMP_SW, sim_cfg(s)->c_call);
	s390_host_rpcit(s, inv->addr, inv->len);
}

/* Stage 2: gpa -> hpa as the device does it (translation cache, then a walk of the root table). */
static bool stage2(struct nested *n, uint64_t gpa, uint64_t *hpa)
{
	struct sim *s = n->sim;
	uint64_t v;
	sim_charge(s, COMP_DEVICE_WALK, sim_cfg(s)->wc_cycles);
	bool hit = sacache_lookup(&n->s2tlb, gpa >> 12, &v);
	sim_mrc_own_lookup(s, 0, "s2_tlb", n->s2tlb.ways, gpa >> 12, hit);
	if (hit) {
		sim_op(s, OP_WALK_CACHE_HITS, 1);
		*hpa = v | (gpa & 0xfff);
		return true;
	}
	struct iw_walk w;
	s390_root_walk(s390_host_of(s), gpa, &w);
	for (unsigned i = 0; i < w.nrefs; i++)
		sim_dev_ref(s, COMP_DEVICE_WALK, w.refs[i]);
	if (w.fault != S390_OK)
		return false;
	sacache_fill(&n->s2tlb, gpa >> 12, w.addr & ~0xfffull);
	sim_mrc_own_fill(s, 0, gpa >> 12);
	*hpa = w.addr;
	return true;
}

static void nested_dma_walk(struct strategy *st, uint64_t iova, bool write, struct sim_xlate *x)
{
	struct nested *n = container_of(st, struct nested, base);
	struct sim *s = n->sim;
	struct iw_walk w;
	s390_walk(s390_guest_table(s), iova, write, &w);
	unsigned from = sim_walk_cache_lookup(s, iova);
	x->fault = S390_FAULT_INVALID;
	x->frame = 0;
	x->page_bytes = S390_PAGE_SIZE;
	x->writable = false;
	for (unsigned i = 0; i < w.nrefs; i++) {
		if (w.ref_level[i] < from)
			continue;
		uint64_t ea_hpa;
		if (!stage2(n, w.refs[i], &ea_hpa))
			return; /* a guest table outside guest RAM: the entry reads as invalid */
		sim_dev_ref(s, COMP_DEVICE_WALK, ea_hpa);
		sim_walk_cache_fill(s, iova, &w, i);
	}
	if (w.fault != S390_OK) {
		x->fault = w.fault;
		return;
	}
	uint64_t hpa;
	if (!stage2(n, w.addr & ~0xfffull, &hpa))
		return;
	x->fault = S390_OK;
	x->frame = hpa & ~0xfffull;
	x->writable = w.writable;
}

static const struct iw_param nested_params[] = {
	{"nested.s2_tlb_entries", 256, 0, 1u << 24, "", "nested: stage-2 translation cache entries (0 disables)", 0, 0, NULL},
	{"nested.s2_tlb_ways", 4, 1, 1u << 24, "", "nested: stage-2 translation cache associativity", 0, 0, NULL},
	{"nested.refresh", 0, 0, 1, "", "nested: the refresh bit reported to the guest (0: RPCIT only after unmaps, 1: also after new maps)", 0, 0, NULL},
};

static const char *nested_validate(const struct iw_config *c, char *err, size_t errlen)
{
	uint64_t e = config_value(c, "nested.s2_tlb_entries"), w = config_value(c, "nested.s2_tlb_ways");
	if (e && e % w != 0) {
		snprintf(err, errlen, "nested.s2_tlb: %llu entries is not a multiple of %llu ways", (unsigned long long)e,
			 (unsigned long long)w);
		return err;
	}
	return NULL;
}

static const struct iw_param_group nested_param_group = {"nested", nested_params, 3, nested_validate};

/* The hardware walks the guest's table itself and caches no invalid entries, so the hypervisor can
 * report the refresh bit off; the guest then refreshes only after unmaps. */
static enum iw_refresh nested_refresh(const struct iw_config *c)
{
	return config_value(c, "nested.refresh") ? IW_REFRESH_ALL : IW_REFRESH_UNMAPS;
}

const struct strategy_ops strategy_nested = {
	.name = "nested",
	.summary = "no shadow; refresh bit off, RPCIT after unmaps invalidates; an IOTLB miss walks guest x stage 2",
	.create = nested_create,
	.destroy = nested_destroy,
	.invalidate = nested_invalidate,
	.dma_walk = nested_dma_walk,
	.refresh = nested_refresh,
	.pins_guest_ram = true, /* the stage-2 domain maps and pins all guest RAM */
	.params = &nested_param_group,
	.model = &s390_ioat_model,
};
