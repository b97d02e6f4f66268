/* shadow: the shared RPCIT-time guest walk and shadow update (see shadow.h). */
#include "shadow.h"

#include "alloc.h"
#include "invariant.h"
#include "s390_model.h"

#include <inttypes.h>
#include <stdio.h>

static int shadow_setup(struct shadow *sh, struct sim *s, char *err, size_t errlen)
{
	if (sh->res->init && sh->res->init(sh, err, errlen) < 0)
		return -1;
	if (u64map_init(&sh->arrays, 64) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (s390_table_init(&sh->host, &vm_hpa_ops, sim_vm(s), s390_guest_table(s)->levels) < 0) {
		snprintf(err, errlen, "cannot allocate the shadow table");
		return -1;
	}
	/* zpci_iommu_kvm_assign_iota(): the guest root table's pages are resolved (pinned) up front. */
	uint64_t origin = s390_guest_table(s)->origin;
	for (uint64_t off = 0; off < S390_TABLE_BYTES; off += S390_PAGE_SIZE) {
		uint64_t hpa;
		if (!sh->res->resolve(sh, origin + off, &hpa)) {
			snprintf(err, errlen, "guest root table at gpa 0x%llx is not in guest RAM",
				 (unsigned long long)(origin + off));
			return -1;
		}
		sh->table_pages++;
		if (off == 0)
			sh->root_hpa = hpa;
	}
	return 0;
}

struct strategy *shadow_create(const struct strategy_ops *self, struct sim *s, char *err, size_t errlen)
{
	const struct shadow_resolver *res = self->impl;
	struct shadow *sh = iw_calloc(1, res->size);
	if (!sh) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	sh->sim = s;
	sh->res = res;
	err[0] = '\0';
	if (s390_guest_table(s)->levels != 3)
		sim_what_if(s, "a guest table of 4 or 5 levels reaches no shadowing host: QEMU's reg_ioat() takes only a "
			       "region-third root, and the posted KVM series (kvm_zdev_ioat: head, seg, pt) shadowed only that format");
	if (shadow_setup(sh, s, err, errlen) < 0) {
		if (!err[0])
			snprintf(err, errlen, "out of memory");
		shadow_destroy(&sh->base);
		return NULL;
	}
	return &sh->base;
}

void shadow_destroy(struct strategy *st)
{
	struct shadow *sh = container_of(st, struct shadow, base);
	if (sh->res->fini)
		sh->res->fini(sh);
	u64map_destroy(&sh->arrays);
	iw_free(sh);
}

/* The pointer slot caching the next-level table under the level-l entry for iova. */
static uint64_t pointer_slot(struct shadow *sh, enum s390_level l, uint64_t iova)
{
	struct sim *s = sh->sim;
	enum s390_level root = s390_root_level(sh->host.levels);
	uint64_t prefix = l == root ? 0 : (iova >> s390_level_shift(l - 1));
	uint64_t key = ((uint64_t)l << 56) | prefix;
	uint64_t arr;
	if (!u64map_get(&sh->arrays, key, &arr)) {
		/* kcalloc() of a 2048-pointer array (the posted code's pt[rtx]). */
		arr = vm_host_alloc(sim_vm(s), S390_TABLE_BYTES);
		if (arr == UINT64_MAX || u64map_put(&sh->arrays, key, arr) < 0)
			return UINT64_MAX;
		sim_charge(s, COMP_SW, sim_cfg(s)->c_alloc);
	}
	return arr + (uint64_t)s390_index(l, iova) * 8;
}

/* Finds the hpa of the guest page table for iova, resolving table pages on first use.
 * Returns 0 and the PT origin, or the level whose entry is invalid (skip its span). */
static int guest_pt(struct shadow *sh, uint64_t iova, uint64_t *pt_hpa, enum s390_level *skip_level)
{
	struct sim *s = sh->sim;
	struct physmem *pm = vm_physmem(sim_vm(s));
	uint64_t table_hpa = sh->root_hpa;
	for (enum s390_level l = s390_root_level(sh->host.levels); l < S390_LEVEL_PT; l++) {
		uint64_t slot = pointer_slot(sh, l, iova);
		if (slot == UINT64_MAX)
			return -1;
		sim_cpu_ref(s, COMP_SW, slot);
		uint64_t cached = physmem_read64(pm, slot);
		if (cached) {
			table_hpa = cached;
			continue;
		}
		uint64_t ea = table_hpa + (uint64_t)s390_index(l, iova) * 8;
		sim_cpu_ref(s, COMP_GUEST_READ, ea);
		sim_op(s, OP_GUEST_READS, 1);
		uint64_t e = physmem_read64(pm, ea);
		if (!s390_entry_valid(l, e) || (e & S390_TABLE_TYPE_MASK) != s390_table_type(l) ||
		    (l == S390_LEVEL_ST && (e & S390_SEG_FC))) {
			*skip_level = l;
			return 1;
		}
		uint64_t next_gpa = s390_entry_origin(l, e);
		uint64_t next_bytes = s390_table_bytes(l + 1);
		uint64_t first_hpa = 0, held[S390_TABLE_BYTES / S390_PAGE_SIZE];
		for (uint64_t off = 0; off < next_bytes; off += S390_PAGE_SIZE) {
			uint64_t hpa;
			if (!sh->res->resolve(sh, next_gpa + off, &hpa)) {
				/* A table straddling the end of guest RAM: drop what this attempt took. */
				for (uint64_t k = 0; sh->res->release && k < off / S390_PAGE_SIZE; k++)
					sh->res->release(sh, held[k]);
				sh->resolve_failures++;
				*skip_level = l;
				return 1;
			}
			held[off / S390_PAGE_SIZE] = hpa;
			if (off == 0)
				first_hpa = hpa;
		}
		sh->table_pages += next_bytes > S390_PAGE_SIZE ? next_bytes / S390_PAGE_SIZE : 1;
		/* A 2 KiB page table may sit in either half of its 4 KiB page (page_to_virt + offset). */
		table_hpa = first_hpa + (next_gpa & (S390_PAGE_SIZE - 1));
		sim_cpu_ref(s, COMP_SW, slot);
		if (physmem_write64(pm, slot, table_hpa) < 0)
			return -1;
	}
	*pt_hpa = table_hpa;
	return 0;
}

/* dma_shadow_cpu_trans() for one page; returns true when a valid shadow entry changed or went away. */
static bool shadow_page(struct shadow *sh, uint64_t iova, uint64_t pt_hpa)
{
	struct sim *s = sh->sim;
	struct physmem *pm = vm_physmem(sim_vm(s));
	uint64_t gea = pt_hpa + (uint64_t)s390_index(S390_LEVEL_PT, iova) * 8;
	sim_cpu_ref(s, COMP_GUEST_READ, gea);
	sim_op(s, OP_GUEST_READS, 1);
	uint64_t g = physmem_read64(pm, gea);
	bool gvalid = s390_entry_valid(S390_LEVEL_PT, g); /* the invalid bit alone: 0 maps frame 0 rw */

	/* dma_walk_cpu_trans(): the host table walk, allocating missing levels. */
	uint64_t refs[S390_WALK_MAX_REFS];
	unsigned n;
	uint64_t hea = s390_walk_alloc(&sh->host, iova, S390_LEVEL_PT, refs, &n);
	if (hea == UINT64_MAX)
		return false; /* vm_failed() reports the exhausted pool */
	sim_cpu_refs(s, COMP_SHADOW_WRITE, refs, n);
	sim_cpu_ref(s, COMP_SHADOW_WRITE, hea);
	uint64_t h = physmem_read64(pm, hea);
	bool hvalid = s390_entry_valid(S390_LEVEL_PT, h);

	uint64_t new_hpa = 0;
	if (gvalid && !sh->res->resolve(sh, g & S390_PTE_ADDR_MASK, &new_hpa)) {
		sh->resolve_failures++;
		gvalid = false;
	}
	bool ro = (g & S390_TABLE_PROTECTED) != 0;
	uint64_t want = gvalid ? s390_entry_page(new_hpa, ro) : 0;
	if (hvalid && gvalid && h == want) {
		/* Unchanged: drop the duplicate reference resolve() just took. */
		if (sh->res->release)
			sh->res->release(sh, new_hpa);
		return false;
	}
	if (!hvalid && !gvalid)
		return false;
	uint64_t val = gvalid ? want : (h | S390_PTE_INVALID);
	sim_cpu_ref(s, COMP_SHADOW_WRITE, hea);
	sim_op(s, OP_SHADOW_WRITES, 1);
	physmem_write64(pm, hea, val);
	sh->live_leaves = sh->live_leaves + (gvalid ? 1 : 0) - (hvalid ? 1 : 0);
	if (hvalid && sh->res->release)
		sh->res->release(sh, h & S390_PTE_ADDR_MASK);
	/* A new entry needs no refresh of the device (it caches no invalid entries); a changed or removed one does. */
	return hvalid;
}

static void shadow_refresh(struct shadow *sh, uint64_t iova, uint64_t len)
{
	struct sim *s = sh->sim;
	uint64_t last = iova + (len - 1);
	uint64_t a = iova & ~(S390_PAGE_SIZE - 1);
	bool changed = false;
	do {
		uint64_t pt_hpa;
		enum s390_level level = S390_LEVEL_PT; /* what the step covers: a page, or an invalid entry's span */
		/* Per page: dma_walk_guest_cpu_trans, dma_walk_cpu_trans, dma_shadow_cpu_trans calls. */
		sim_charge(s, COMP_SW, 3 * sim_cfg(s)->c_call);
		int rc = guest_pt(sh, a, &pt_hpa, &level);
		if (rc < 0)
			return;
		sim_op(s, OP_PAGES_SCANNED, 1);
		if (rc == 0)
			changed |= shadow_page(sh, a, pt_hpa);
		a = iw_range_step(&s390_ioat_format, a, last, level);
	} while (a);
	if (changed) {
		sim_spinlock(s); /* the posted series' loop over the domain's devices, under list_lock */
		s390_host_rpcit(s, iova, len);
	}
}

void shadow_invalidate(struct strategy *st, const struct iw_inval *inv)
{
	struct shadow *sh = container_of(st, struct shadow, base);
	struct sim *s = sh->sim;
	/* handle_rpcit() intercept, get_kzdev_by_fh(), mutex_lock(ioat_lock) ... unlock. */
	sim_charge(s, COMP_INTERCEPT, sim_cfg(s)->c_intercept);
	sim_charge(s, COMP_SW, 2 * sim_cfg(s)->c_call + sim_cfg(s)->c_mutex);
	shadow_refresh(sh, inv->addr, inv->len);
}

void shadow_dma_walk(struct strategy *st, uint64_t iova, bool write, struct sim_xlate *x)
{
	struct shadow *sh = container_of(st, struct shadow, base);
	sim_device_walk(sh->sim, &sh->host, iova, write, x);
}

uint64_t shadow_pins_held(struct strategy *st)
{
	struct shadow *sh = container_of(st, struct shadow, base);
	return sh->res->release ? sh->live_leaves + sh->table_pages : 0;
}

void shadow_check_invariants(struct strategy *st, bool full)
{
	struct shadow *sh = container_of(st, struct shadow, base);
	if (!IW_INVARIANTS_ON || !full)
		return;
	uint64_t scanned = s390_count_leaves(&sh->host);
	IW_INVARIANT(scanned == sh->live_leaves, "%s: the shadow table has %" PRIu64 " valid leaves, %" PRIu64 " counted",
		     sim_strategy_name(sh->sim), scanned, sh->live_leaves);
}
