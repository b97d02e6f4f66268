/* host: the VMM's DAT tables and the root IO domain (see host.h). */
#include "host.h"

#include "alloc.h"
#include "config.h"
#include "s390_model.h"

#include <stdio.h>

static const struct iw_param host_params[] = {
	{"vm.host_levels", 3, 3, 5, "", "host DAT levels of the VMM (3: 4 TiB, 4: 8 PiB, 5: 16 EiB)", 0, 0, NULL},
	{"vm.host_page_kib", 4, 4, 2097152, "KiB", "backing page of guest RAM: 4, 1024 or 2097152", 0, 0, NULL},
	{"vm.root_levels", 3, 3, 5, "", "levels of the root (stage-2) IO table", 0, 0, NULL},
	{"vm.root_large", 0, 0, 1, "", "root IO table maps 1 MiB frames", 0, 0, NULL},
	{"host.era", 2025, 2022, 2025, "", "host kernel's s390-iommu: 2022 (RPCIT on every map, dma_table_lock) or 2025 (lock-free, refresh off)", 0, 0, NULL},
};

static const char *host_validate(const struct iw_config *c, char *err, size_t errlen)
{
	uint64_t kib = config_value(c, "vm.host_page_kib");
	if (kib != 4 && kib != 1024 && kib != 2097152) {
		snprintf(err, errlen, "vm.host_page_kib must be 4, 1024 or 2097152 (got %llu)", (unsigned long long)kib);
		return err;
	}
	uint64_t era = config_value(c, "host.era");
	if (era != 2022 && era != 2025) {
		snprintf(err, errlen, "host.era must be 2022 or 2025 (got %llu)", (unsigned long long)era);
		return err;
	}
	return NULL;
}

static const struct iw_counter host_counters[] = {
	{"host_walks", "GUP-fast walks of the VMM's DAT tables"},
	{"host_walk_refs", "host page-table entries read by GUP-fast"},
	{"host_backing_fallbacks", "guest pages the VMM's DAT maps with 4 KiB pages although vm.host_page_kib asks for larger (the memslot's hva, backing or size is not aligned to it)"},
};
const struct iw_counter_group s390_host_counters = {"the s390 model", host_counters, 3};

const struct iw_param_group s390_host_params = {"the s390 model (host DAT and root domain)", host_params,
						 sizeof(host_params) / sizeof(host_params[0]), host_validate};

struct s390_host *s390_host_new(struct vm *vm, const struct iw_config *cfg, char *err, size_t errlen)
{
	uint64_t host_levels = config_value(cfg, "vm.host_levels"), root_levels = config_value(cfg, "vm.root_levels");
	uint64_t host_page_kib = config_value(cfg, "vm.host_page_kib");
	if (host_levels < 3 || host_levels > 5 || root_levels < 3 || root_levels > 5) {
		snprintf(err, errlen, "host and root table levels must be 3, 4 or 5");
		return NULL;
	}
	struct s390_host *h = iw_calloc(1, sizeof(*h));
	if (!h) {
		snprintf(err, errlen, "out of memory creating the VM");
		return NULL;
	}
	h->vm = vm;
	h->n_host_walks = (unsigned)stats_counter_index("host_walks");
	h->n_host_walk_refs = (unsigned)stats_counter_index("host_walk_refs");
	h->n_fallbacks = (unsigned)stats_counter_index("host_backing_fallbacks");
	h->host_page = host_page_kib == 2097152 ? S390_HOST_PAGE_2G
		       : host_page_kib == 1024  ? S390_HOST_PAGE_1M
						: S390_HOST_PAGE_4K;
	h->root_large = config_value(cfg, "vm.root_large") != 0;
	h->era = (unsigned)config_value(cfg, "host.era");
	if (s390_table_init(&h->dat, &vm_hpa_ops, vm, (unsigned)host_levels) < 0 ||
	    s390_table_init(&h->root, &vm_hpa_ops, vm, (unsigned)root_levels) < 0 || vm_failed(vm)) {
		iw_free(h);
		snprintf(err, errlen, "out of memory creating the VM");
		return NULL;
	}
	h->dat.large_st = true; /* DAT honours both large-page kinds; used only if host_page says so */
	h->dat.large_rt = true;
	h->root.large_st = h->root_large;
	return h;
}

void s390_host_free(struct s390_host *h) { iw_free(h); }

const char *s390_host_memslot_check(const struct s390_host *h, uint64_t base_gfn, uint64_t npages, uint64_t hva)
{
	uint64_t limit = s390_aperture_bytes(s390_root_level(h->dat.levels));
	uint64_t bytes = npages << 12;
	if (limit && (hva >= limit || bytes > limit - hva))
		return "memslot hva range beyond the host address-space limit (raise vm.host_levels)";
	uint64_t glimit = s390_aperture_bytes(s390_root_level(h->root.levels));
	if (glimit && ((base_gfn << 12) >= glimit || bytes > glimit - (base_gfn << 12)))
		return "memslot gpa range beyond the root domain's aperture (raise vm.root_levels)";
	return NULL;
}

static uint64_t page_bytes(enum s390_host_page p)
{
	return p == S390_HOST_PAGE_2G ? 1ull << S390_RT_SHIFT : p == S390_HOST_PAGE_1M ? 1ull << S390_ST_SHIFT : S390_PAGE_SIZE;
}

void s390_host_walk(struct s390_host *h, uint64_t hva, struct iw_walk *w)
{
	s390_walk(&h->dat, hva, false, w);
	if (w->fault != S390_FAULT_INVALID)
		return;
	/* First touch: find the slot backing hva and install the mapping the VMM's memory has. */
	int i = vm_find_slot_hva(h->vm, hva);
	if (i < 0)
		return;
	const struct vm_slot *s = vm_slot(h->vm, (unsigned)i);
	uint64_t bytes = s->npages << 12;
	uint64_t pb = page_bytes(h->host_page);
	uint64_t off = (hva - s->hva) & ~(pb - 1);
	/* A large page is used only where hva and hpa are both aligned and the slot covers it. */
	enum s390_level leaf = S390_LEVEL_PT;
	if (pb > S390_PAGE_SIZE && ((s->hva + off) & (pb - 1)) == 0 && ((s->hpa_base + off) & (pb - 1)) == 0 &&
	    off + pb <= bytes) {
		leaf = pb == (1ull << S390_RT_SHIFT) ? S390_LEVEL_RT : S390_LEVEL_ST;
	} else {
		off = (hva - s->hva) & ~(S390_PAGE_SIZE - 1);
		if (pb > S390_PAGE_SIZE)
			h->fallbacks++; /* backed by a 4 KiB page, not the size asked for */
	}
	if (s390_map(&h->dat, s->hva + off, s->hpa_base + off, leaf, false) < 0)
		return;
	s390_walk(&h->dat, hva, false, w);
}

void s390_root_walk(struct s390_host *h, uint64_t gpa, struct iw_walk *w)
{
	s390_walk(&h->root, gpa, false, w);
	if (w->fault != S390_FAULT_INVALID)
		return;
	int i = vm_find_slot(h->vm, gpa >> 12);
	if (i < 0)
		return;
	const struct vm_slot *s = vm_slot(h->vm, (unsigned)i);
	uint64_t base = s->base_gfn << 12, bytes = s->npages << 12;
	uint64_t off = (gpa - base) & ~(S390_PAGE_SIZE - 1);
	enum s390_level leaf = S390_LEVEL_PT;
	uint64_t mb = 1ull << S390_ST_SHIFT;
	uint64_t moff = (gpa - base) & ~(mb - 1);
	if (h->root_large && ((base + moff) & (mb - 1)) == 0 && ((s->hpa_base + moff) & (mb - 1)) == 0 &&
	    moff + mb <= bytes) {
		leaf = S390_LEVEL_ST;
		off = moff;
	}
	if (s390_map(&h->root, base + off, s->hpa_base + off, leaf, false) < 0)
		return;
	s390_walk(&h->root, gpa, false, w);
}

bool s390_gup_walk(struct sim *s, uint64_t hva, uint64_t sw_cycles, uint64_t *hpa, struct s390_folio *folio)
{
	sim_charge(s, COMP_HOST_WALK, sw_cycles);
	struct iw_walk w;
	struct s390_host *h = s390_host_of(s);
	uint64_t fb = h->fallbacks;
	s390_host_walk(h, hva, &w);
	sim_op(s, h->n_host_walks, 1);
	sim_op(s, h->n_host_walk_refs, w.nrefs);
	if (h->fallbacks != fb)
		sim_op(s, h->n_fallbacks, h->fallbacks - fb);
	sim_cpu_refs(s, COMP_HOST_WALK, w.refs, w.nrefs);
	if (w.fault != S390_OK)
		return false;
	*hpa = w.addr & ~(S390_PAGE_SIZE - 1);
	/* The folio is the page the walk found: a segment or region-third leaf, or a 4 KiB page (also where
	 * a large backing was asked for but the memslot could not have it). */
	folio->head = w.addr & ~(w.page_bytes - 1);
	folio->large = w.page_bytes > S390_PAGE_SIZE;
	return true;
}

struct s390_folio s390_folio_of(const struct s390_host *h, uint64_t hpa)
{
	struct s390_folio f = {.head = hpa & ~(S390_PAGE_SIZE - 1), .large = false};
	/* The VMM's mapping of hpa, as GUP-fast found it when the page was pinned (functional, no timing). */
	int i = vm_find_slot_hpa(h->vm, hpa);
	if (i >= 0) {
		const struct vm_slot *sl = vm_slot(h->vm, (unsigned)i);
		struct iw_walk w;
		s390_walk(&h->dat, sl->hva + (hpa - sl->hpa_base), false, &w);
		if (w.fault == S390_OK) {
			f.head = w.addr & ~(w.page_bytes - 1);
			f.large = w.page_bytes > S390_PAGE_SIZE;
		}
	}
	return f;
}

void s390_host_rpcit(struct sim *s, uint64_t iova, uint64_t len)
{
	sim_charge(s, COMP_RPCIT, sim_cfg(s)->c_rpcit + sim_cfg(s)->c_iotlb_inval);
	const struct iw_inval inv = {.scope = IW_INVAL_RANGE, .addr = iova, .len = len};
	sim_invalidate(s, &inv);
}
