/* vtd_model: the VT-d model as the engine sees it (vtd_model.h). */
#include "vtd_model.h"

#include "alloc.h"
#include "config.h"

#include <stdio.h>

static const struct iw_param vtd_params[] = {
	{"vtd.s2_levels", 4, 3, 5, "", "levels of the host's second stage (3: 39 bits, 4: 48, 5: 57)", 0, 0, NULL},
	{"vtd.s2_max_page_kib", 1048576, 4, 1048576, "KiB", "the largest second-stage leaf: 4, 2048 or 1048576", 0, 0, NULL},
	{"vtd.guest_max_page_kib", 2048, 4, 1048576, "KiB", "the largest first-stage leaf the guest maps: 4, 2048 or 1048576", 0, 0, NULL},
	{"vtd.iotlb_2m_entries", 32, 0, 1u << 20, "", "IOTLB entries of 2 MiB pages (beside device.iotlb_entries of 4 KiB)", 8, 128,
	 "assumption: Intel does not publish IOTLB sizes"},
	{"vtd.iotlb_1g_entries", 8, 0, 1u << 20, "", "IOTLB entries of 1 GiB pages", 0, 0, NULL},
	{"vtd.pwc_pml5_entries", 2, 0, 1u << 20, "", "paging-structure cache of PML5 entries", 0, 0, NULL},
	{"vtd.pwc_pml4_entries", 4, 0, 1u << 20, "", "paging-structure cache of PML4 entries", 0, 0, NULL},
	{"vtd.pwc_pdpt_entries", 8, 0, 1u << 20, "", "paging-structure cache of PDPT entries", 0, 0, NULL},
	{"vtd.pwc_pd_entries", 32, 0, 1u << 20, "", "paging-structure cache of PD entries", 8, 128,
	 "assumption: Intel does not publish paging-structure cache sizes"},
	{"vtd.context_cache_entries", 16, 0, 1u << 20, "", "context-cache entries", 0, 0, NULL},
	{"vtd.pasid_cache_entries", 16, 0, 1u << 20, "", "PASID-cache entries", 0, 0, NULL},
	{"vtd.mamv", 9, 0, 63, "", "CAP_REG.MAMV: the largest address mask of a page-selective invalidation", 0, 0, NULL},
	{"vtd.vmexit", 2528, 0, 100000000, "cycles", "a VM exit to the host kernel and the re-entry", 1500, 5000,
	 "KVM SVM exit/entry round trip about 2,528 cycles (LKML 2020-12)"},
	{"vtd.user_exit", 15000, 0, 100000000, "cycles", "the exit on to the VMM in user space and back (MMIO emulation)", 5000, 50000,
	 "n/f; tens of thousands of cycles in nested vmexit tests, 3-10 us per exit on Arm hypervisors"},
	{"vtd.ioctl", 1500, 0, 100000000, "cycles", "an iommufd or vfio ioctl's entry, dispatch and return", 500, 5000,
	 "assumption: a system call with object lookup"},
	{"vtd.qi_desc", 300, 0, 100000000, "cycles", "writing one invalidation descriptor and the tail doorbell", 100, 1000,
	 "assumption: an uncached MMIO write and a 32-byte store"},
	{"vtd.qi_wait_ns", 7000, 0, 1000000000, "ns", "a wait descriptor's completion (qi_submit_sync())", 7000, 92000,
	 "7-10.6 us with up to 8 vCPUs, 59-92 us at 16-20 (Fast-and-Safe IO memory protection, SOSP'24 artifact)"},
};

static const char *vtd_validate(const struct iw_config *c, char *err, size_t errlen)
{
	static const char *const pages[] = {"vtd.s2_max_page_kib", "vtd.guest_max_page_kib"};
	for (int i = 0; i < 2; i++) {
		uint64_t k = config_value(c, pages[i]);
		if (k != 4 && k != 2048 && k != 1048576) {
			snprintf(err, errlen, "%s must be 4, 2048 or 1048576 (got %llu)", pages[i], (unsigned long long)k);
			return err;
		}
	}
	return NULL;
}

static const struct iw_param_group vtd_param_group = {"vtd model", vtd_params, sizeof(vtd_params) / sizeof(vtd_params[0]),
						      vtd_validate};

static const struct iw_counter vtd_counters[] = {
	{"context_cache_misses", "context-cache misses (the context entry read)"},
	{"pasid_cache_misses", "PASID-cache misses (the PASID directory and table entries read)"},
	{"qi_descriptors", "invalidation descriptors the host or the hardware executed"},
	{"qi_waits", "invalidation waits (wait descriptors)"},
	{"vtd_vmm_exits", "exits to the VMM in user space"},
};
static const struct iw_counter_group vtd_counter_group = {"vtd model", vtd_counters, 5};

static unsigned shift_of_kib(uint64_t kib) { return kib >= 1048576 ? 30 : kib >= 2048 ? 21 : 12; }

static void *host_new(struct vm *vm, const struct iw_config *cfg, char *err, size_t errlen)
{
	struct vtd_host *h = iw_calloc(1, sizeof(*h));
	if (!h) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->vm = vm;
	h->s2 = (struct vtd_table){.ops = &vm_hpa_ops, .ctx = vm, .root = vm_host_alloc(vm, VTD_TABLE_BYTES),
				   .levels = (unsigned)config_value(cfg, "vtd.s2_levels"), .kind = VTD_SS};
	h->s2_max_shift = shift_of_kib(config_value(cfg, "vtd.s2_max_page_kib"));
	h->guest_max_shift = shift_of_kib(config_value(cfg, "vtd.guest_max_page_kib"));
	h->n_qi_desc = stats_counter_index("qi_descriptors");
	h->n_qi_waits = stats_counter_index("qi_waits");
	h->c_qi_desc = config_value(cfg, "vtd.qi_desc");
	h->c_qi_wait = config_value(cfg, "vtd.qi_wait_ns") * cfg->cpu_clock_mhz / 1000;
	/* The device's context entry, and its PASID directory and table entries (scalable mode). */
	h->ctx_hpa = vm_host_alloc(vm, VTD_TABLE_BYTES);
	h->pasid_hpa = vm_host_alloc(vm, VTD_TABLE_BYTES);
	if (h->s2.root == UINT64_MAX || h->ctx_hpa == UINT64_MAX || h->pasid_hpa == UINT64_MAX) {
		snprintf(err, errlen, "out of host memory for the second stage");
		iw_free(h);
		return NULL;
	}
	return h;
}

static void host_free(void *host) { iw_free(host); }

static const char *memslot_check(void *host, uint64_t base_gfn, uint64_t npages, uint64_t hva)
{
	struct vtd_host *h = host;
	(void)hva;
	unsigned width = vtd_width(h->s2.levels);
	return base_gfn + npages > (1ull << (width - 12)) ? "guest RAM beyond the second stage's width (vtd.s2_levels)" : NULL;
}

void vtd_s2_walk(struct vtd_host *h, uint64_t gpa, struct iw_walk *w)
{
	vtd_walk(&h->s2, gpa, false, w);
	if (w->fault != VTD_FAULT_NOT_PRESENT)
		return;
	int si = vm_find_slot(h->vm, gpa >> 12);
	if (si < 0)
		return; /* not guest RAM: nothing maps it */
	/* vfio/iommufd map guest RAM with the largest leaf the backing allows: the block of gpa of the largest
	 * size that lies in the memslot with an aligned backing. */
	const struct vm_slot *sl = vm_slot(h->vm, (unsigned)si);
	uint64_t base = sl->base_gfn << 12, end = (sl->base_gfn + sl->npages) << 12;
	for (unsigned shift = h->s2_max_shift;; shift = shift == 30 ? 21 : 12) {
		uint64_t size = 1ull << shift, b = gpa & ~(size - 1), hpa = sl->hpa_base + (b - base);
		if (shift == 12 || (b >= base && b + size <= end && !(hpa & (size - 1)))) {
			vtd_map(&h->s2, b, hpa, size, true, shift, NULL, NULL, NULL);
			break;
		}
	}
	vtd_walk(&h->s2, gpa, false, w);
}

void vtd_host_qi(struct sim *s, unsigned n)
{
	const struct vtd_host *h = vtd_host_of(s);
	uint64_t wait = h->c_qi_wait;
	sim_charge(s, COMP_RPCIT, (n + 1) * h->c_qi_desc + wait);
	sim_op(s, (unsigned)h->n_qi_desc, n + 1);
	sim_op(s, (unsigned)h->n_qi_waits, 1);
}

static const char *guest_new(void *host, struct vm *vm, uint64_t origin, unsigned levels, void **guest)
{
	struct vtd_host *h = host;
	const char *why = vtd_levels_check(VTD_FS, levels);
	if (why)
		return why;
	struct vtd_guest *g = iw_calloc(1, sizeof(*g));
	if (!g)
		return "out of memory";
	why = vm_guest_pool_open(vm, origin, &g->pool);
	if (why) {
		iw_free(g);
		return why;
	}
	g->fs = (struct vtd_table){.ops = &vm_gpa_ops, .ctx = &g->pool, .levels = levels, .kind = VTD_FS};
	g->fs.root = vm_gpa_ops.alloc(&g->pool, VTD_TABLE_BYTES);
	if (g->fs.root == UINT64_MAX) {
		iw_free(g);
		return "no room for the first-stage table's root";
	}
	g->max_shift = h->guest_max_shift;
	*guest = g;
	return NULL;
}

static void guest_free(void *guest) { iw_free(guest); }

static const char *guest_map(void *guest, uint64_t iova, uint64_t gpa, uint64_t len, bool readonly, const struct iw_guest_cb *cb)
{
	struct vtd_guest *g = guest;
	uint64_t ap = vtd_fs_format.aperture(&g->fs);
	if (iova >= ap || len > ap - iova)
		return "MAP beyond the first-stage domain's aperture";
	return vtd_map(&g->fs, iova, gpa, len, !readonly, g->max_shift, cb->changed, cb->touch, cb->ctx);
}

static void guest_unmap(void *guest, uint64_t iova, uint64_t len, const struct iw_guest_cb *cb)
{
	struct vtd_guest *g = guest;
	uint64_t ap = vtd_fs_format.aperture(&g->fs);
	if (iova < ap)
		vtd_unmap(&g->fs, iova, len < ap - iova ? len : ap - iova, cb->changed, cb->touch, cb->ctx);
}

static const void *guest_table(const void *guest) { return &((const struct vtd_guest *)guest)->fs; }

/* s390's costs among the engine's parameters (an intercepted RPCIT, the RPCIT instruction, its IOTLB
 * flush): a VT-d run charges its own exits (vtd.vmexit, vtd.user_exit) and invalidations (vtd.qi_desc,
 * vtd.qi_wait_ns) instead, never these. */
static const char *const vtd_unused_engine_params[] = {"cost.intercept", "cost.rpcit", "cost.iotlb_inval", NULL};

const struct iw_model vtd_model = {
	.name = "vtd",
	.summary = "Intel VT-d: first-stage guest tables (x86-64 paging), a second stage of guest RAM, queued invalidation",
	.fmt = &vtd_fs_format,
	.strategy_at = vtd_strategy_at,
	.default_levels = 4,
	.default_preset = "spr", /* an Intel server part: its caches, its clock (docs/cost-model.md) */
	.host_new = host_new,
	.host_free = host_free,
	.memslot_check = memslot_check,
	.guest_new = guest_new,
	.guest_free = guest_free,
	.guest_map = guest_map,
	.guest_unmap = guest_unmap,
	.guest_table = guest_table,
	.params = &vtd_param_group,
	.unused_engine_params = vtd_unused_engine_params,
	.counters = &vtd_counter_group,
};
