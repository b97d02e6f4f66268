/* vtd_strategies: the ways a VT-d guest's IO page tables are virtualized today, each a strategy of the
 * vtd model (docs/vtd.md has each one's steps and sources):
 *  - passthrough: no translation in the guest (guest iommu=pt, or no vIOMMU): the device puts guest-
 *    physical addresses on the bus and the IOMMU walks the second stage by gpa (a PASID entry with PGTT
 *    pass-through over a second stage, or a second-stage-only domain); all guest RAM mapped and pinned up
 *    front; the guest's read-only mappings are not enforced.
 *  - nested: iommufd hardware nesting (IOMMU_HWPT_ALLOC of a HWPT_NESTED over a NEST_PARENT paging HWPT;
 *    PASID entry PGTT = nested): the guest maps with no exit; with caching mode off the guest invalidates
 *    only after unmaps, each invalidation a write of its queue's tail register that exits to the VMM, which
 *    forwards the descriptors with IOMMU_HWPT_INVALIDATE; the host kernel submits them to the hardware queue
 *    and waits (intel_nested_cache_invalidate_user(), qi_submit_sync()). An IOTLB miss walks 2-D: the
 *    guest's first-stage entries (through the paging-structure caches) each at the address the second stage
 *    gives it, then the output through the second stage.
 *  - nested-hwq: the same with an invalidation queue the hardware reads from the guest directly (an
 *    accelerated queue: no exit, no ioctl): the guest's descriptors and its wait go to the hardware.
 * Left out here: the VMM-shadowing design (intel-iommu caching mode with vfio) and the in-kernel shadows of
 * the 2022 thread: docs/vtd.md. */
#include "alloc.h"
#include "config.h"
#include "vtd_model.h"

#include <stdio.h>
#include <stdlib.h>

/* ---- what every design's device does before the page tables: context and PASID entries ---- */

/* The device's context entry and, in scalable mode, its PASID directory and table entries, through the
 * context and PASID caches (the format's configuration caches 0 and 1): read on a miss. */
static void device_config(struct sim *s)
{
	struct vtd_host *h = vtd_host_of(s);
	if (!sim_cfg_cache_lookup(s, 0, 0))
		sim_dev_ref(s, COMP_DEVICE_WALK, h->ctx_hpa);
	if (!sim_cfg_cache_lookup(s, 1, 0)) {
		sim_dev_ref(s, COMP_DEVICE_WALK, h->pasid_hpa);
		sim_dev_ref(s, COMP_DEVICE_WALK, h->pasid_hpa + 2048);
	}
}

struct vtd_strat {
	struct strategy base;
	struct sim *sim;
	struct sacache s2c; /* nested: stage-2 translations of gpa pages (hpa page | leaf shift) */
};

static const struct iw_param nested_params[] = {
	{"vtd.s2_cache_entries", 64, 0, 1u << 24, "", "nested: second-stage translations the device caches for its 2-D walks", 16, 512,
	 "assumption: the nested IOTLB/paging-structure caches' share for stage 2 is not published"},
};
static const struct iw_param_group nested_param_group = {"vtd nested", nested_params, 1, NULL};

static struct strategy *vtd_create(const struct strategy_ops *self, struct sim *s, char *err, size_t errlen)
{
	struct vtd_strat *v = iw_calloc(1, sizeof(*v));
	uint64_t e = self->params ? config_value(sim_cfg(s), "vtd.s2_cache_entries") : 0;
	if (!v || sacache_init(&v->s2c, e, (uint32_t)(e < 4 ? (e ? e : 1) : 4)) < 0) {
		iw_free(v);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	v->base.ops = self;
	v->sim = s;
	return &v->base;
}

static void vtd_destroy(struct strategy *st)
{
	struct vtd_strat *v = container_of(st, struct vtd_strat, base);
	sacache_destroy(&v->s2c);
	iw_free(v);
}

/* ---- passthrough ---- */

static enum iw_refresh refresh_none(const struct iw_config *c)
{
	(void)c;
	return IW_REFRESH_NONE;
}

/* Never called: a pass-through guest issues no invalidation. */
static void none_invalidate(struct strategy *st, const struct iw_inval *inv)
{
	(void)st;
	(void)inv;
}

/* The gpa the guest's driver uses for iova (dma-direct: the physical address it has at hand). */
static bool pt_dma_addr(struct strategy *st, uint64_t iova, uint64_t *addr, bool *guest_ro)
{
	struct sim *s = container_of(st, struct vtd_strat, base)->sim;
	struct iw_walk w;
	vtd_walk(vtd_guest_fs(s), iova, false, &w);
	if (w.fault != VTD_OK)
		return false;
	*addr = w.addr & ~0xfffull;
	*guest_ro = !w.writable;
	return true;
}

static void pt_dma_walk(struct strategy *st, uint64_t gpa, bool write, struct sim_xlate *x)
{
	struct sim *s = container_of(st, struct vtd_strat, base)->sim;
	struct iw_walk w;
	(void)write; /* the second stage maps guest RAM read-write */
	device_config(s);
	vtd_s2_walk(vtd_host_of(s), gpa, &w);
	sim_device_walked(s, gpa, &w, x);
}

/* ---- nested ---- */

static enum iw_refresh refresh_unmaps(const struct iw_config *c)
{
	(void)c;
	return IW_REFRESH_UNMAPS; /* caching mode off: no flush after a map */
}

/* The guest's invalidation as the host applies it: the hardware's rounding, then the caches. */
static void apply_inval(struct sim *s, const struct iw_inval *given)
{
	struct iw_inval inv = *given;
	vtd_inval_round(&inv, (unsigned)config_value(sim_cfg(s), "vtd.mamv"));
	inv.queued = true;
	sim_invalidate(s, &inv);
}

/* Trapped: the tail-register write exits to the VMM, which forwards the descriptor (and its wait) with
 * IOMMU_HWPT_INVALIDATE; the host kernel submits them and waits. */
static void nested_invalidate(struct strategy *st, const struct iw_inval *inv)
{
	struct sim *s = container_of(st, struct vtd_strat, base)->sim;
	const struct iw_config *c = sim_cfg(s);
	sim_charge(s, COMP_INTERCEPT, config_value(c, "vtd.vmexit") + config_value(c, "vtd.user_exit"));
	sim_op(s, (unsigned)stats_counter_index("vtd_vmm_exits"), 1);
	sim_charge(s, COMP_SW, config_value(c, "vtd.ioctl"));
	vtd_host_qi(s, 1);
	apply_inval(s, inv);
}

/* Accelerated: the hardware executes the guest's own descriptor and wait, no exit. */
static void hwq_invalidate(struct strategy *st, const struct iw_inval *inv)
{
	struct sim *s = container_of(st, struct vtd_strat, base)->sim;
	vtd_host_qi(s, 1);
	apply_inval(s, inv);
}

/* Stage 2 of gpa for the device: its cache, else a walk of the second stage (each entry a device
 * reference). false when gpa is not guest RAM. */
static bool stage2(struct vtd_strat *v, uint64_t gpa, uint64_t *hpa, unsigned *shift)
{
	struct sim *s = v->sim;
	uint64_t val;
	if (sacache_lookup(&v->s2c, gpa >> 12, &val)) {
		sim_op(s, OP_WALK_CACHE_HITS, 1);
		*hpa = (val & ~0xfffull) | (gpa & 0xfff);
		*shift = (unsigned)(val & 0xff);
		return true;
	}
	struct iw_walk w;
	vtd_s2_walk(vtd_host_of(s), gpa, &w);
	for (unsigned i = 0; i < w.nrefs; i++)
		sim_dev_ref(s, COMP_DEVICE_WALK, w.refs[i]);
	if (w.fault != VTD_OK)
		return false;
	*shift = w.page_bytes == (1u << 30) ? 30 : w.page_bytes == (2u << 20) ? 21 : 12;
	sacache_fill(&v->s2c, gpa >> 12, (w.addr & ~0xfffull) | *shift);
	*hpa = w.addr;
	return true;
}

static void nested_dma_walk(struct strategy *st, uint64_t iova, bool write, struct sim_xlate *x)
{
	struct vtd_strat *v = container_of(st, struct vtd_strat, base);
	struct sim *s = v->sim;
	device_config(s);
	struct iw_walk w;
	vtd_walk(vtd_guest_fs(s), iova, write, &w);
	unsigned from = sim_walk_cache_lookup(s, iova), shift;
	x->fault = VTD_FAULT_NOT_PRESENT; /* a guest table or page outside guest RAM */
	x->frame = 0;
	x->page_bytes = 4096;
	x->writable = false;
	for (unsigned i = 0; i < w.nrefs; i++) {
		if (w.ref_level[i] < from)
			continue;
		uint64_t ea_hpa;
		if (!stage2(v, w.refs[i], &ea_hpa, &shift))
			return;
		sim_dev_ref(s, COMP_DEVICE_WALK, ea_hpa);
		sim_walk_cache_fill(s, iova, &w, i);
	}
	if (w.fault != VTD_OK) {
		x->fault = w.fault;
		return;
	}
	uint64_t hpa;
	if (!stage2(v, w.addr, &hpa, &shift))
		return;
	/* The IOTLB holds the smaller page of the two stages. */
	uint64_t bytes = w.page_bytes < (1ull << shift) ? w.page_bytes : 1ull << shift;
	x->fault = VTD_OK;
	x->page_bytes = bytes;
	x->frame = hpa & ~(bytes - 1);
	x->writable = w.writable;
}

static const struct strategy_ops vtd_passthrough = {
	.name = "passthrough",
	.summary = "no guest translation: DMA by gpa through the second stage of all guest RAM, pinned up front",
	.create = vtd_create,
	.destroy = vtd_destroy,
	.invalidate = none_invalidate,
	.dma_walk = pt_dma_walk,
	.refresh = refresh_none,
	.dma_addr = pt_dma_addr,
	.pins_guest_ram = true,
	.unprotected = true,
	.model = &vtd_model,
};

static const struct strategy_ops vtd_nested = {
	.name = "nested",
	.summary = "iommufd nesting: no exit on map; unmaps' invalidations trapped and forwarded; 2-D walks",
	.create = vtd_create,
	.destroy = vtd_destroy,
	.invalidate = nested_invalidate,
	.dma_walk = nested_dma_walk,
	.refresh = refresh_unmaps,
	.pins_guest_ram = true,
	.params = &nested_param_group,
	.model = &vtd_model,
};

static const struct strategy_ops vtd_nested_hwq = {
	.name = "nested-hwq",
	.summary = "nesting with an accelerated invalidation queue: the hardware runs the guest's descriptors, no exit",
	.create = vtd_create,
	.destroy = vtd_destroy,
	.invalidate = hwq_invalidate,
	.dma_walk = nested_dma_walk,
	.refresh = refresh_unmaps,
	.pins_guest_ram = true,
	.params = &nested_param_group,
	.model = &vtd_model,
};

static const struct strategy_ops *const registry[] = {&vtd_nested, &vtd_nested_hwq, &vtd_passthrough};

const struct strategy_ops *vtd_strategy_at(unsigned i)
{
	return i < sizeof(registry) / sizeof(registry[0]) ? registry[i] : NULL;
}

/* The model's and its strategies' parameters and counters, registered before main(). */
__attribute__((constructor)) static void register_params(void)
{
	bool ok = config_register(vtd_model.params) == 0 && stats_register(vtd_model.counters) == 0;
	for (unsigned i = 0; ok && i < sizeof(registry) / sizeof(registry[0]); i++)
		ok = !registry[i]->params || config_register(registry[i]->params) == 0;
	if (!ok) {
		fputs("iowalk: a VT-d parameter or counter name is taken twice, or there are too many\n", stderr);
		abort();
	}
}
