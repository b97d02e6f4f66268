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
 *  - vmm-shadow: QEMU's intel-iommu with caching mode on and vfio (today's default for an assigned device):
 *    the guest invalidates after every map and unmap (caching mode), each invalidation exits to QEMU, which
 *    walks the guest's first-stage table over the range (vtd_page_walk() in hw/i386/intel_iommu.c) and,
 *    for each page that changed against what it has mapped (its IOVA tree), maps it through vfio (pin,
 *    host second-stage entry) or unmaps it (host entry cleared, host invalidation and wait, unpin); the
 *    device walks that host table.
 *  - kvm-gfn and root-pfn: the two in-kernel shadows argued on the iommu list in 2022 for s390, carried
 *    over as what-ifs (no upstream x86 design shadows in the kernel): the flush traps to the host kernel
 *    only (no exit to user space, no ioctl), which resolves each changed page itself, through KVM
 *    (memslot search, GUP-fast, a page reference) or through the second stage's pinned pfns (a software
 *    walk of it, all guest RAM pinned up front). */
#include "alloc.h"
#include "config.h"
#include "u64map.h"
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
	const uint64_t exit_cycles = config_value(c, "vtd.vmexit") + config_value(c, "vtd.user_exit");
	sim_charge(s, COMP_INTERCEPT, exit_cycles);
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
	bool hit = sacache_lookup(&v->s2c, gpa >> 12, &val);
	sim_mrc_own_lookup(s, 0, "s2_cache", v->s2c.ways, gpa >> 12, hit);
	if (hit) {
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
	sim_mrc_own_fill(s, 0, gpa >> 12);
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

/* ---- vmm-shadow ---- */

static enum iw_refresh refresh_all(const struct iw_config *c)
{
	(void)c;
	return IW_REFRESH_ALL; /* caching mode: a flush after every map as after every unmap */
}

static const struct iw_param shadow_params[] = {
	{"vtd.vfio_map", 3000, 0, 100000000, "cycles", "vmm-shadow: VFIO_IOMMU_MAP_DMA of one page beyond its pin: the ioctl, the "
	 "vfio_dma bookkeeping, the host page-table walk and entry", 1000, 20000,
	 "assumption; vfio type1 pins about 0.94-2.1 us a page including clear_page (commit 4d83de6da265)"},
	{"vtd.vfio_unmap", 3000, 0, 100000000, "cycles", "vmm-shadow: VFIO_IOMMU_UNMAP_DMA of one page beyond its unpin and the "
	 "host invalidation", 1000, 20000, "assumption, as vtd.vfio_map"},
};
static const struct iw_param_group shadow_param_group = {"vmm-shadow", shadow_params, 2, NULL};
static const struct iw_param kvm_params[] = {
	{"vtd.gup_fast", 3000, 0, 100000000, "cycles", "kvm-gfn: GUP-fast of one page (the x86 host's page-table walk is not "
	 "modelled)", 1000, 6000, "GUP-fast benchmark 0.54-1.1 us a page (tools/testing/selftests/mm gup_test; weak)"},
};
static const struct iw_param_group kvm_param_group = {"kvm-gfn (vtd)", kvm_params, 1, NULL};

/* How a shadowing design resolves and holds a guest page (strategy_ops.impl). */
enum shadow_mode { SHADOW_VMM, SHADOW_KVM, SHADOW_ROOT };
static const enum shadow_mode mode_vmm = SHADOW_VMM, mode_kvm = SHADOW_KVM, mode_root = SHADOW_ROOT;

struct vmm_shadow {
	struct strategy base;
	struct sim *sim;
	enum shadow_mode mode;
	struct vtd_table host;   /* the vfio container's IOVA -> hpa table (second stage, 4 KiB leaves) */
	struct u64map mapped;    /* QEMU's IOVA tree: iova page -> hpa page | read-only */
	uint64_t live;           /* pages mapped (and pinned) */
	uint64_t c_map, c_unmap, c_gup;
	int n_exits;
};

static struct strategy *shadow_create(const struct strategy_ops *self, struct sim *s, char *err, size_t errlen)
{
	struct vmm_shadow *q = iw_calloc(1, sizeof(*q));
	if (!q || u64map_init(&q->mapped, 1024) < 0) {
		iw_free(q);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	q->base.ops = self;
	q->sim = s;
	q->mode = *(const enum shadow_mode *)self->impl;
	if (q->mode != SHADOW_VMM)
		sim_what_if(s, "no upstream x86 design shadows a guest's IO page tables in the kernel: the 2022 s390 design, carried over");
	q->host = (struct vtd_table){.ops = &vm_hpa_ops, .ctx = sim_vm(s), .root = vm_host_alloc(sim_vm(s), VTD_TABLE_BYTES),
				     .levels = vtd_host_of(s)->s2.levels, .kind = VTD_SS};
	q->c_map = config_value(sim_cfg(s), "vtd.vfio_map");
	q->c_unmap = config_value(sim_cfg(s), "vtd.vfio_unmap");
	q->c_gup = config_value(sim_cfg(s), "vtd.gup_fast");
	q->n_exits = stats_counter_index("vtd_vmm_exits");
	return &q->base;
}

static void shadow_destroy(struct strategy *st)
{
	struct vmm_shadow *q = container_of(st, struct vmm_shadow, base);
	u64map_destroy(&q->mapped);
	iw_free(q);
}

/* How the host resolves the guest page at gpa (hpa, its 4 KiB page) and takes what it holds of it:
 * VFIO_IOMMU_MAP_DMA's pin (vmm-shadow); KVM's memslot search, GUP-fast and a page reference (kvm-gfn);
 * a software walk of the second stage, whose pages are pinned already (root-pfn). */
static void resolve_page(struct vmm_shadow *q, uint64_t gpa, uint64_t hpa)
{
	struct sim *s = q->sim;
	if (q->mode == SHADOW_VMM) {
		sim_charge(s, COMP_SW, config_value(sim_cfg(s), "vtd.ioctl") + q->c_map);
		sim_pin_page(s, hpa, false, IW_PIN_LONGTERM);
	} else if (q->mode == SHADOW_KVM) {
		sim_memslot_search(s, gpa >> 12);
		sim_charge(s, COMP_HOST_WALK, q->c_gup);
		sim_pin_page(s, hpa, false, IW_PIN_GET);
	} else {
		struct iw_walk w;
		vtd_s2_walk(vtd_host_of(s), gpa, &w);
		sim_cpu_refs(s, COMP_ROOT_WALK, w.refs, w.nrefs);
	}
}

/* One page mapped in the host table: resolved (resolve_page()) and its entry written (a shadow write). */
static void shadow_map_page(struct vmm_shadow *q, uint64_t iova, uint64_t gpa, uint64_t hpa, bool ro)
{
	struct sim *s = q->sim;
	resolve_page(q, gpa, hpa);
	uint64_t ea = vtd_entry_at(&q->host, iova, VTD_LEVEL_PT, NULL, NULL);
	if (ea == UINT64_MAX)
		return;
	sim_cpu_ref(s, COMP_SHADOW_WRITE, ea);
	sim_op(s, OP_SHADOW_WRITES, 1);
	vm_hpa_ops.write64(sim_vm(s), ea, vtd_leaf(VTD_SS, VTD_LEVEL_PT, hpa, !ro));
	u64map_put(&q->mapped, iova >> 12, hpa | (ro ? 1 : 0));
	q->live++;
}

/* One page unmapped (VFIO_IOMMU_UNMAP_DMA for vmm-shadow): the entry cleared, the host's invalidation and
 * wait, the page released (vfio's unpin, KVM's put; nothing for root-pfn). */
static void shadow_unmap_page(struct vmm_shadow *q, uint64_t iova, uint64_t cur)
{
	struct sim *s = q->sim;
	if (q->mode == SHADOW_VMM)
		sim_charge(s, COMP_SW, config_value(sim_cfg(s), "vtd.ioctl") + q->c_unmap);
	uint64_t ea = vtd_entry_at(&q->host, iova, VTD_LEVEL_PT, NULL, NULL);
	if (ea != UINT64_MAX) {
		sim_cpu_ref(s, COMP_SHADOW_WRITE, ea);
		sim_op(s, OP_SHADOW_WRITES, 1);
		vm_hpa_ops.write64(sim_vm(s), ea, 0);
	}
	vtd_host_qi(s, 1);
	const struct iw_inval inv = {.scope = IW_INVAL_RANGE, .addr = iova, .len = 4096, .queued = true};
	apply_inval(s, &inv);
	if (q->mode != SHADOW_ROOT)
		sim_unpin_page(s, cur & ~1ull, false, q->mode == SHADOW_VMM ? IW_PIN_LONGTERM : IW_PIN_GET);
	u64map_del(&q->mapped, iova >> 12);
	q->live--;
}

/* QEMU's page walk of the guest's table over the invalidated range, each entry read a CPU reference. */
static void shadow_invalidate(struct strategy *st, const struct iw_inval *inv)
{
	struct vmm_shadow *q = container_of(st, struct vmm_shadow, base);
	struct sim *s = q->sim;
	const struct iw_config *c = sim_cfg(s);
	sim_charge(s, COMP_INTERCEPT, config_value(c, "vtd.vmexit") + (q->mode == SHADOW_VMM ? config_value(c, "vtd.user_exit") : 0));
	if (q->mode == SHADOW_VMM)
		sim_op(s, (unsigned)q->n_exits, 1);
	uint64_t last = inv->addr + (inv->len - 1), a = inv->addr & ~0xfffull;
	do {
		struct iw_walk w;
		vtd_walk(vtd_guest_fs(s), a, false, &w);
		sim_op(s, OP_PAGES_SCANNED, 1);
		sim_charge(s, COMP_SW, c->c_call);
		for (unsigned i = 0; i < w.nrefs; i++) {
			uint64_t hpa;
			if (vm_gpa_to_hpa(sim_vm(s), w.refs[i], &hpa))
				sim_cpu_ref(s, COMP_GUEST_READ, hpa);
			sim_op(s, OP_GUEST_READS, 1);
		}
		uint64_t cur, hpa = 0;
		bool have = u64map_get(&q->mapped, a >> 12, &cur);
		if (w.fault == VTD_OK && vm_gpa_to_hpa(sim_vm(s), w.addr & ~0xfffull, &hpa)) {
			bool ro = !w.writable;
			if (!have || (cur & ~1ull) != hpa || (cur & 1) != ro) {
				if (have)
					shadow_unmap_page(q, a, cur); /* QEMU notifies the unmap before the new map */
				shadow_map_page(q, a, w.addr & ~0xfffull, hpa, ro);
			}
		} else if (have) {
			shadow_unmap_page(q, a, cur);
		}
		a = iw_range_next(&vtd_fs_format, a, last, &w);
	} while (a);
}

static void shadow_dma_walk(struct strategy *st, uint64_t iova, bool write, struct sim_xlate *x)
{
	struct vmm_shadow *q = container_of(st, struct vmm_shadow, base);
	device_config(q->sim);
	sim_device_walk(q->sim, &q->host, iova, write, x);
}

static uint64_t shadow_pins_held(struct strategy *st)
{
	const struct vmm_shadow *q = container_of(st, struct vmm_shadow, base);
	return q->mode == SHADOW_ROOT ? 0 : q->live;
}

/* A shadowing design's operations (vmm-shadow and the two what-ifs share the shadow; `impl` says how a
 * gpa is resolved): VTD_SHADOW(name, summary, &params or NULL, &mode, pinned), pinned when its domain maps
 * and pins all guest RAM up front. */
#define VTD_SHADOW(name_, summary_, params_, mode_, pinned_)                                                      \
	{                                                                                                          \
		.name = name_, .summary = summary_, .create = shadow_create, .destroy = shadow_destroy,             \
		.invalidate = shadow_invalidate, .dma_walk = shadow_dma_walk, .pins_held = shadow_pins_held,        \
		.refresh = refresh_all, .params = params_, .pins_guest_ram = pinned_, .impl = mode_, .model = &vtd_model \
	}

static const struct strategy_ops vtd_vmm_shadow =
	VTD_SHADOW("vmm-shadow", "QEMU intel-iommu, caching mode, vfio: every map and unmap exits to QEMU, which shadows the page",
		   &shadow_param_group, &mode_vmm, false);
static const struct strategy_ops vtd_kvm_gfn =
	VTD_SHADOW("kvm-gfn", "what-if: the 2022 in-kernel shadow, each page resolved by KVM (memslot, GUP-fast, a reference)",
		   &kvm_param_group, &mode_kvm, false);
static const struct strategy_ops vtd_root_pfn =
	VTD_SHADOW("root-pfn", "what-if: the 2022 in-kernel shadow, each page resolved through the second stage's pinned pfns",
		   NULL, &mode_root, true);

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

static const struct strategy_ops *const registry[] = {&vtd_vmm_shadow, &vtd_nested, &vtd_nested_hwq, &vtd_passthrough,
						      &vtd_kvm_gfn, &vtd_root_pfn};

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
