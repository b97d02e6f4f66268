/* qemu: today's default path (QEMU hw/s390x/s390-pci-inst.c rpcit_service_call): RPCIT exits to the
 * VMM, which walks the guest's IO table for every 4 KiB page of the range (uncached, 3 loads per page
 * in a 3-level table; an invalid region or segment entry skips its span), keeps its own IOTLB hash of
 * what it mapped, and maps each new page through VFIO type1 (long-term pin + host IO table update; a
 * host RPCIT per new page with host.era=2022, as s390-iommu did on every map then, none with the 2025
 * driver on an LPAR host, whose refresh bit is off). Contiguous unmaps are batched into one VFIO unmap
 * call, with one host RPCIT in both eras.
 * Notes:
 *  - QEMU sends power-of-two aligned unmap notifications (s390_pci_batch_unmap); modelled as one call
 *    per contiguous run. The vfio DMA-entry limit (65535) is not modelled. */
#include "alloc.h"
#include "invariant.h"
#include "s390_model.h"
#include "sim.h"
#include "physmem.h"

#include <inttypes.h>
#include <stdio.h>

#define QEMU_HASH_BUCKETS 65536u

struct qemu {
	struct strategy base; /* first member */
	struct sim *sim;
	struct s390_table host;  /* the host IO table vfio/s390-iommu maintains */
	/* QEMU's S390IOTLBEntry hash, functionally: iova page -> host frame | ro | QEMU_IOTLB_PRESENT, kept as
	 * a sparse array of words (a physmem of its own, the word of iova page p at p x 8: 8 B a mapped page
	 * where a guest's IOVAs are dense, not a hash entry's 32-64). Its simulated cost is hash_ref()'s. */
	struct physmem *iotlb;
	uint64_t buckets_hpa;    /* the hash's bucket array in the VMM's memory */
	uint64_t unmap_first, unmap_pages; /* the pending batch of unmaps */
	uint64_t live_leaves;    /* valid host PTEs (each holds one pin), for the invariant checks */
	uint64_t c_user_exit, c_syscall, c_hash, c_vfio_map, c_vfio_unmap; /* its parameters */
	unsigned n_vmm_exits, n_vfio_maps, n_vfio_unmaps;                 /* its counters */
};

static const struct iw_counter qemu_counters[] = {
	{"vmm_exits", "exits to the VMM in user space"},
	{"vfio_map_calls", "VFIO_IOMMU_MAP_DMA calls"},
	{"vfio_unmap_calls", "VFIO_IOMMU_UNMAP_DMA calls"},
};
static const struct iw_counter_group qemu_counter_group = {"qemu", qemu_counters, 3};

static const struct iw_param qemu_params[] = {
	{"cost.userspace_exit", 25000, 0, 100000000, "cycles", "qemu: exit to the VMM in user space and back", 10000,
	 60000, "3-10 us per exit/entry on Arm (QNX); s390 n/f"},
	{"cost.syscall", 1200, 0, 100000000, "cycles", "qemu: ioctl entry and exit", 500, 3000, "assumption"},
	{"cost.hash", 60, 0, 100000000, "cycles", "qemu: VMM hash-table operation, beyond its memory reference", 20, 200,
	 "assumption"},
	{"cost.vfio_map", 2000, 0, 100000000, "cycles", "qemu: vfio type1 MAP_DMA bookkeeping per call", 1000, 10000,
	 "__iommu_map about 0.8-1.8 us (SOSP'24 artifact)"},
	{"cost.vfio_unmap", 1500, 0, 100000000, "cycles", "qemu: vfio type1 UNMAP_DMA bookkeeping per call", 1000,
	 10000, "__iommu_unmap about 0.8-1.8 us (SOSP'24 artifact)"},
};
static const struct iw_param_group qemu_param_group = {"qemu", qemu_params, 5, NULL};

#define QEMU_IOTLB_PRESENT 2ull /* frames are page aligned; bit 0 is ro */

/* The entry of iova page pfn: true and *v (host frame | ro), or false. */
static bool iotlb_get(const struct qemu *q, uint64_t pfn, uint64_t *v)
{
	uint64_t e = physmem_read64(q->iotlb, pfn << 3);
	*v = e & ~QEMU_IOTLB_PRESENT;
	return (e & QEMU_IOTLB_PRESENT) != 0;
}

static void hash_ref(struct qemu *q, uint64_t pfn)
{
	struct sim *s = q->sim;
	uint64_t b = (pfn * 0x9e3779b97f4a7c15ull) >> 48; /* 16 bits: bucket index */
	sim_charge(s, COMP_SW, q->c_hash);
	sim_cpu_ref(s, COMP_SW, q->buckets_hpa + b * 64);
}

static uint64_t host_pte(struct qemu *q, uint64_t iova)
{
	struct sim *s = q->sim;
	uint64_t refs[S390_WALK_MAX_REFS];
	unsigned n;
	uint64_t ea = s390_walk_alloc(&q->host, iova, S390_LEVEL_PT, refs, &n);
	sim_cpu_refs(s, COMP_SHADOW_WRITE, refs, n);
	return ea;
}

/* How the host driver guards a PTE update: 2022, dma_table_lock (spin_lock_irqsave) around
 * s390_iommu_update_trans(); 2025, a lock-free xchg of the entry (dma_update_cpu_trans()). */
static void pte_write_lock(struct qemu *q)
{
	struct sim *s = q->sim;
	if (s390_host_of(s)->era == 2022)
		sim_spinlock(s);
	else
		sim_charge(s, COMP_SW, sim_cfg(s)->c_atomic);
}

static void flush_unmaps(struct qemu *q)
{
	struct sim *s = q->sim;
	if (q->unmap_pages == 0)
		return;
	/* VFIO_IOMMU_UNMAP_DMA: per page iommu_unmap + unpin, then one host RPCIT for the range. */
	sim_charge(s, COMP_SW, q->c_syscall + q->c_vfio_unmap);
	sim_op(s, q->n_vfio_unmaps, 1);
	struct physmem *pm = vm_physmem(sim_vm(s));
	for (uint64_t i = 0; i < q->unmap_pages; i++) {
		uint64_t iova = (q->unmap_first + i) << 12;
		uint64_t ea = host_pte(q, iova);
		if (ea == UINT64_MAX)
			return;
		uint64_t h = physmem_read64(pm, ea);
		sim_cpu_ref(s, COMP_SHADOW_WRITE, ea);
		if (!s390_entry_valid(S390_LEVEL_PT, h))
			continue; /* never mapped (its gpa was not guest RAM: vfio refused the map): nothing to unpin */
		pte_write_lock(q);
		sim_cpu_ref(s, COMP_SHADOW_WRITE, ea);
		sim_op(s, OP_SHADOW_WRITES, 1);
		physmem_write64(pm, ea, h | S390_PTE_INVALID);
		q->live_leaves--;
		uint64_t hpa = h & S390_PTE_ADDR_MASK;
		struct s390_folio f = s390_folio_of(s390_host_of(s), hpa);
		sim_unpin_page(s, f.head, f.large, IW_PIN_LONGTERM);
	}
	/* Both eras flush an unmap: 2022 in s390_iommu_update_trans(), 2025 through iotlb_sync. */
	s390_host_rpcit(s, q->unmap_first << 12, q->unmap_pages << 12);
	q->unmap_pages = 0;
}

static void queue_unmap(struct qemu *q, uint64_t pfn)
{
	if (q->unmap_pages && pfn != q->unmap_first + q->unmap_pages)
		flush_unmaps(q);
	if (q->unmap_pages == 0)
		q->unmap_first = pfn;
	q->unmap_pages++;
}

static void vfio_map(struct qemu *q, uint64_t iova, uint64_t gpa, bool ro, uint64_t *frame)
{
	struct sim *s = q->sim;
	const struct iw_config *c = sim_cfg(s);
	sim_charge(s, COMP_SW, q->c_syscall + q->c_vfio_map);
	sim_op(s, q->n_vfio_maps, 1);
	/* QEMU's RAMBlock gives the hva; vfio_pin_pages_remote() walks the VMM's page tables and pins. */
	int si = vm_find_slot(sim_vm(s), gpa >> 12);
	*frame = 0;
	if (si < 0)
		return;
	uint64_t hva = vm_slot_hva(vm_slot(sim_vm(s), (unsigned)si), gpa >> 12), hpa;
	struct s390_folio f;
	if (!s390_gup_walk(s, hva, c->c_call, &hpa, &f))
		return;
	/* vfio_pin_pages_remote(): pin_user_pages_remote(FOLL_LONGTERM) and vfio_lock_acct(). */
	sim_pin_page(s, f.head, f.large, IW_PIN_LONGTERM);
	/* s390_iommu_map(): host table walk (allocating) and PTE write; the 2022 driver then issued RPCIT
	 * for the new entry; the 2025 one does so only with the refresh bit, which an LPAR host has off. */
	uint64_t ea = host_pte(q, iova);
	if (ea == UINT64_MAX)
		return;
	pte_write_lock(q);
	sim_cpu_ref(s, COMP_SHADOW_WRITE, ea);
	sim_op(s, OP_SHADOW_WRITES, 1);
	physmem_write64(vm_physmem(sim_vm(s)), ea, s390_entry_page(hpa, ro));
	q->live_leaves++;
	if (s390_host_of(s)->era == 2022)
		s390_host_rpcit(s, iova, S390_PAGE_SIZE);
	*frame = hpa;
}

static void qemu_invalidate(struct strategy *st, const struct iw_inval *inv)
{
	const uint64_t iova = inv->addr, len = inv->len;
	struct qemu *q = container_of(st, struct qemu, base);
	struct sim *s = q->sim;
	sim_charge(s, COMP_INTERCEPT, sim_cfg(s)->c_intercept + q->c_user_exit);
	sim_op(s, q->n_vmm_exits, 1);
	uint64_t last = iova + (len - 1), a = iova & ~0xfffull;
	do {
		struct iw_walk w;
		s390_walk(s390_guest_table(s), a, false, &w);
		sim_op(s, OP_PAGES_SCANNED, 1);
		sim_charge(s, COMP_SW, sim_cfg(s)->c_call);
		for (unsigned i = 0; i < w.nrefs; i++) {
			uint64_t hpa;
			if (vm_gpa_to_hpa(sim_vm(s), w.refs[i], &hpa))
				sim_cpu_ref(s, COMP_GUEST_READ, hpa);
			sim_op(s, OP_GUEST_READS, 1);
		}
		/* An invalid region or segment entry: nothing below it; the range step skips its span. */
		bool upper_invalid = w.fault == S390_FAULT_INVALID && w.fault_level != S390_LEVEL_PT;
		if (!upper_invalid && (w.fault == S390_OK || w.fault == S390_FAULT_INVALID)) {
			uint64_t pfn = a >> 12, cur;
			hash_ref(q, pfn);
			bool have = iotlb_get(q, pfn, &cur);
			if (w.fault == S390_OK) {
				bool ro = !w.writable;
				uint64_t gpa = w.addr & ~0xfffull, hpa = 0;
				bool same = have && vm_gpa_to_hpa(sim_vm(s), gpa, &hpa) && (cur & ~1ull) == hpa && (cur & 1) == ro;
				if (!same) {
					if (have) {
						queue_unmap(q, pfn);
						flush_unmaps(q); /* an UNMAP notification before the new MAP */
					}
					uint64_t frame;
					vfio_map(q, a, gpa, ro, &frame);
					hash_ref(q, pfn);
					if (physmem_write64(q->iotlb, pfn << 3, frame | (ro ? 1 : 0) | QEMU_IOTLB_PRESENT) < 0)
						sim_out_of_memory(s, "QEMU's IOTLB hash");
				}
			} else if (have) {
				physmem_write64(q->iotlb, pfn << 3, 0); /* its frame exists: no allocation */
				queue_unmap(q, pfn);
			}
		}
		a = iw_range_next(&s390_ioat_format, a, last, &w);
	} while (a);
	flush_unmaps(q);
}

static struct strategy *qemu_create(const struct strategy_ops *self, struct sim *s, char *err, size_t errlen)
{
	(void)self;
	if (s390_guest_table(s)->levels != 3) {
		/* reg_ioat() (hw/s390x/s390-pci-inst.c) takes only a region-third root (dt = RTTO) when the
		 * function translates, and the CLP query's dtsm tells the guest so: no real guest registers
		 * a 4- or 5-level table with QEMU. */
		sim_refuse(s);
		snprintf(err, errlen, "QEMU refuses a translated IOAT whose root is not a region-third table (reg_ioat() "
				      "in hw/s390x/s390-pci-inst.c; the CLP query's dtsm tells the guest so), and this one has %u levels",
			 s390_guest_table(s)->levels);
		return NULL;
	}
	struct qemu *q = iw_calloc(1, sizeof(*q));
	if (!q || !(q->iotlb = physmem_new())) {
		iw_free(q);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	q->sim = s;
	const struct iw_config *c = sim_cfg(s);
	q->c_user_exit = config_value(c, "cost.userspace_exit");
	q->c_syscall = config_value(c, "cost.syscall");
	q->c_hash = config_value(c, "cost.hash");
	q->c_vfio_map = config_value(c, "cost.vfio_map");
	q->c_vfio_unmap = config_value(c, "cost.vfio_unmap");
	q->n_vmm_exits = (unsigned)stats_counter_index("vmm_exits");
	q->n_vfio_maps = (unsigned)stats_counter_index("vfio_map_calls");
	q->n_vfio_unmaps = (unsigned)stats_counter_index("vfio_unmap_calls");
	q->buckets_hpa = vm_host_alloc(sim_vm(s), QEMU_HASH_BUCKETS * 64);
	if (q->buckets_hpa == UINT64_MAX || s390_table_init(&q->host, &vm_hpa_ops, sim_vm(s), s390_guest_table(s)->levels) < 0) {
		physmem_free(q->iotlb);
		iw_free(q);
		snprintf(err, errlen, "cannot allocate the host IO table and QEMU's IOTLB hash of this function: %s",
			 vm_failed(sim_vm(s)) ? vm_failure(sim_vm(s)) : "out of memory");
		return NULL;
	}
	return &q->base;
}

static void qemu_destroy(struct strategy *st)
{
	struct qemu *q = container_of(st, struct qemu, base);
	physmem_free(q->iotlb);
	iw_free(q);
}

static void qemu_dma_walk(struct strategy *st, uint64_t iova, bool write, struct sim_xlate *x)
{
	struct qemu *q = container_of(st, struct qemu, base);
	sim_device_walk(q->sim, &q->host, iova, write, x);
}

/* One pin per valid host PTE (vfio type1 pins what it maps and unpins what it unmaps). */
static uint64_t qemu_pins_held(struct strategy *st) { return container_of(st, struct qemu, base)->live_leaves; }

static void qemu_check_invariants(struct strategy *st, bool full)
{
	struct qemu *q = container_of(st, struct qemu, base);
	if (!IW_INVARIANTS_ON || !full)
		return;
	uint64_t scanned = s390_count_leaves(&q->host);
	IW_INVARIANT(scanned == q->live_leaves, "qemu: the host table has %" PRIu64 " valid leaves, %" PRIu64 " counted",
		     scanned, q->live_leaves);
}

const struct strategy_ops strategy_qemu = {
	.name = "qemu",
	.summary = "VMM emulation: per-page guest walk in QEMU, a VFIO map (long-term pin + host table entry) per page",
	.create = qemu_create,
	.destroy = qemu_destroy,
	.invalidate = qemu_invalidate,
	.dma_walk = qemu_dma_walk,
	.check_invariants = qemu_check_invariants,
	.pins_held = qemu_pins_held,
	.params = &qemu_param_group,
	.counters = &qemu_counter_group,
	.model = &s390_ioat_model,
};
