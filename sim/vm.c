/* vm: simulated host and guest memory of one VM (see vm.h). */
#include "vm.h"

#include "alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct vm {
	struct vm_config cfg;
	struct physmem *pm;
	struct vm_slot *slots; /* sorted by base_gfn */
	unsigned nslots;
	uint64_t cap;
	unsigned *by_hva;       /* slot indexes sorted by hva (rebuilt on each memslot update) */
	unsigned *by_hpa;       /* slot indexes sorted by hpa_base (the same) */
	uint64_t slot_hpa_next;
	uint64_t host_next;     /* host pool bump pointer */
	uint64_t last_used_hpa; /* the VM-wide last_used_slot pointer's location */
	int last_used;          /* index into slots, -1 when none */
	int found;              /* vm_find_slot()'s last answer, tried first (a functional memo, no timing;
				   -1: none); reset whenever the slots change or move */
	struct vm_pool **pools;  /* the guest table pools, one per IO address space */
	unsigned npools;
	uint64_t pools_cap;
	bool dirty;             /* memslots added since the last vm_commit_memslots() */
	bool failed;
	char failure[160];
};

static void vm_fail(struct vm *vm, const char *why)
{
	if (!vm->failed) {
		vm->failed = true;
		snprintf(vm->failure, sizeof(vm->failure), "%s", why);
	}
}

static uint64_t hpa_read(void *ctx, uint64_t addr) { return physmem_read64(((struct vm *)ctx)->pm, addr); }

static void hpa_write(void *ctx, uint64_t addr, uint64_t val)
{
	struct vm *vm = ctx;
	if (physmem_write64(vm->pm, addr, val) < 0)
		vm_fail(vm, "out of memory for simulated host frames");
}

uint64_t vm_host_alloc(struct vm *vm, uint64_t bytes)
{
	uint64_t a = (vm->host_next + bytes - 1) & ~(bytes - 1);
	if (a + bytes > VM_HOST_POOL_END || a < vm->host_next) {
		vm_fail(vm, "host kernel pool (4 GiB of simulated tables) exhausted");
		return UINT64_MAX;
	}
	vm->host_next = a + bytes;
	return a;
}

static uint64_t hpa_alloc(void *ctx, uint64_t bytes) { return vm_host_alloc(ctx, bytes); }

static void hpa_fill(void *ctx, uint64_t addr, uint64_t bytes, uint64_t val)
{
	struct vm *vm = ctx;
	if (physmem_fill64(vm->pm, addr, bytes, val) < 0)
		vm_fail(vm, "out of memory for simulated host frames");
}

const struct iw_mem_ops vm_hpa_ops = {.read64 = hpa_read, .write64 = hpa_write, .alloc = hpa_alloc, .fill64 = hpa_fill};

static uint64_t gpa_read(void *ctx, uint64_t gpa)
{
	struct vm *vm = ((struct vm_pool *)ctx)->vm;
	uint64_t hpa;
	if (!vm_gpa_to_hpa(vm, gpa, &hpa))
		return 0; /* outside guest RAM: reads as an all-zero (invalid) entry */
	return physmem_read64(vm->pm, hpa);
}

static void gpa_write(void *ctx, uint64_t gpa, uint64_t val)
{
	struct vm *vm = ((struct vm_pool *)ctx)->vm;
	uint64_t hpa;
	if (!vm_gpa_to_hpa(vm, gpa, &hpa)) {
		vm_fail(vm, "guest table write outside guest RAM");
		return;
	}
	hpa_write(vm, hpa, val);
}

static uint64_t gpa_alloc(void *ctx, uint64_t bytes)
{
	struct vm_pool *p = ctx;
	uint64_t a = (p->next + bytes - 1) & ~(bytes - 1);
	if (p->end == 0 || a < p->next || a + bytes > p->end) {
		vm_fail(p->vm, "guest table pool exhausted (the memslot holding the IOAT origin, or the space up to the "
			       "next IOAT origin, is full)");
		return UINT64_MAX;
	}
	p->next = a + bytes;
	return a;
}

/* A guest table's fill: its host frames at once when the range is backed contiguously (a table lies in
 * one memslot), else word by word. */
static void gpa_fill(void *ctx, uint64_t gpa, uint64_t bytes, uint64_t val)
{
	struct vm *vm = ((struct vm_pool *)ctx)->vm;
	uint64_t h0, h1;
	if (bytes && vm_gpa_to_hpa(vm, gpa, &h0) && vm_gpa_to_hpa(vm, gpa + bytes - 8, &h1) && h1 - h0 == bytes - 8) {
		hpa_fill(vm, h0, bytes, val);
		return;
	}
	for (uint64_t off = 0; off < bytes; off += 8)
		gpa_write(ctx, gpa + off, val);
}

const struct iw_mem_ops vm_gpa_ops = {.read64 = gpa_read, .write64 = gpa_write, .alloc = gpa_alloc, .fill64 = gpa_fill};

struct vm *vm_new(const struct vm_config *cfg, char *err, size_t errlen)
{
	struct vm *vm = iw_calloc(1, sizeof(*vm));
	if (!vm)
		goto oom;
	vm->cfg = *cfg;
	if (vm->cfg.max_memslots == 0)
		vm->cfg.max_memslots = 32764;
	vm->pm = physmem_new();
	if (!vm->pm)
		goto oom_free;
	vm->host_next = VM_HOST_POOL_BASE;
	vm->slot_hpa_next = VM_GUEST_HPA_BASE;
	vm->last_used = -1;
	vm->found = -1;
	vm->last_used_hpa = vm_host_alloc(vm, 64);
	if (vm->failed)
		goto oom_free;
	return vm;
oom_free:
	vm_free(vm);
oom:
	snprintf(err, errlen, "out of memory creating the VM");
	return NULL;
}

void vm_free(struct vm *vm)
{
	if (!vm)
		return;
	physmem_free(vm->pm);
	iw_free(vm->slots);
	iw_free(vm->by_hva);
	iw_free(vm->by_hpa);
	iw_free(vm->pools);
	iw_free(vm);
}

struct physmem *vm_physmem(struct vm *vm) { return vm->pm; }
bool vm_failed(const struct vm *vm) { return vm->failed; }
const char *vm_failure(const struct vm *vm) { return vm->failure; }
unsigned vm_nslots(const struct vm *vm) { return vm->nslots; }
const struct vm_slot *vm_slot(const struct vm *vm, unsigned i) { return &vm->slots[i]; }

const char *vm_add_memslot(struct vm *vm, uint32_t id, uint64_t base_gfn, uint64_t npages, uint64_t hva)
{
	uint64_t bytes = npages << 12;
	if (vm->nslots >= vm->cfg.max_memslots)
		return "too many memslots (vm.max_memslots)";
	uint64_t hpa = (vm->slot_hpa_next + (1ull << 31) - 1) & ~((1ull << 31) - 1);
	if (hpa + bytes > (1ull << PHYSMEM_ADDR_BITS) || hpa + bytes < hpa)
		return "guest RAM exceeds the simulated host-physical space (2^52 bytes)";
	uint64_t shpa = vm_host_alloc(vm, VM_SLOT_STRUCT_BYTES);
	if (shpa == UINT64_MAX)
		return "host kernel pool exhausted";
	/* The slots and their orders by hva and by hpa have one room (vm->cap): the orders grow first, so a
	 * failure of any leaves vm->cap what all still have. */
	uint64_t hva_cap = vm->cap, hpa_cap = vm->cap;
	if (iw_grow(&vm->by_hva, &hva_cap, vm->nslots, sizeof(*vm->by_hva), 8) < 0 ||
	    iw_grow(&vm->by_hpa, &hpa_cap, vm->nslots, sizeof(*vm->by_hpa), 8) < 0 ||
	    iw_grow(&vm->slots, &vm->cap, vm->nslots, sizeof(*vm->slots), 8) < 0)
		return "out of memory";
	vm->slots[vm->nslots++] = (struct vm_slot){.id = id, .base_gfn = base_gfn, .npages = npages, .hva = hva,
						   .hpa_base = hpa, .struct_hpa = shpa};
	vm->slot_hpa_next = hpa + bytes;
	vm->last_used = -1; /* a memslot update installs a new memslots set: the cache starts empty */
	vm->found = -1;
	vm->dirty = true;
	return NULL;
}

static int cmp_gfn(const void *a, const void *b)
{
	const struct vm_slot *x = a, *y = b;
	return x->base_gfn < y->base_gfn ? -1 : x->base_gfn > y->base_gfn;
}

struct key_idx {
	uint64_t key;
	unsigned idx;
};

static int cmp_key(const void *a, const void *b)
{
	const struct key_idx *x = a, *y = b;
	return x->key < y->key ? -1 : x->key > y->key;
}

const char *vm_commit_memslots(struct vm *vm, char *buf, size_t len)
{
	if (!vm->dirty)
		return NULL;
	vm->dirty = false;
	vm->found = -1; /* the slots are sorted now: indexes move */
	unsigned n = vm->nslots;
	/* Keys are distinct in a valid set, so qsort's instability cannot change the result. */
	qsort(vm->slots, n, sizeof(*vm->slots), cmp_gfn);
	for (unsigned i = 1; i < n; i++) {
		const struct vm_slot *a = &vm->slots[i - 1], *b = &vm->slots[i];
		if (a->base_gfn + a->npages > b->base_gfn) {
			snprintf(buf, len, "memslot %u (gfn 0x%llx+0x%llx) overlaps memslot %u in guest-physical space",
				 b->id, (unsigned long long)b->base_gfn, (unsigned long long)b->npages, a->id);
			return buf;
		}
	}
	struct key_idx *k = iw_malloc((n ? n : 1) * sizeof(*k));
	if (!k)
		return "out of memory";
	const char *why = NULL;
	for (unsigned i = 0; i < n; i++)
		k[i] = (struct key_idx){vm->slots[i].id, i};
	qsort(k, n, sizeof(*k), cmp_key);
	for (unsigned i = 1; i < n && !why; i++) {
		if (k[i - 1].key == k[i].key) {
			snprintf(buf, len, "duplicate memslot id %u", (unsigned)k[i].key);
			why = buf;
		}
	}
	for (unsigned i = 0; i < n; i++)
		k[i] = (struct key_idx){vm->slots[i].hva, i};
	qsort(k, n, sizeof(*k), cmp_key);
	for (unsigned i = 0; i < n; i++)
		vm->by_hva[i] = k[i].idx;
	for (unsigned i = 0; i < n; i++)
		k[i] = (struct key_idx){vm->slots[i].hpa_base, i};
	qsort(k, n, sizeof(*k), cmp_key);
	for (unsigned i = 0; i < n; i++)
		vm->by_hpa[i] = k[i].idx;
	iw_free(k);
	for (unsigned i = 1; i < n && !why; i++) {
		const struct vm_slot *a = &vm->slots[vm->by_hva[i - 1]], *b = &vm->slots[vm->by_hva[i]];
		if (a->hva + (a->npages << 12) > b->hva) {
			snprintf(buf, len, "memslot %u (hva 0x%llx) overlaps memslot %u in the VMM's address space",
				 b->id, (unsigned long long)b->hva, a->id);
			why = buf;
		}
	}
	return why;
}

static bool slot_has(const struct vm_slot *s, uint64_t gfn) { return gfn >= s->base_gfn && gfn - s->base_gfn < s->npages; }

int vm_find_slot(const struct vm *vm, uint64_t gfn)
{
	if (vm->found >= 0 && slot_has(&vm->slots[vm->found], gfn))
		return vm->found;
	unsigned lo = 0, hi = vm->nslots;
	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		const struct vm_slot *s = &vm->slots[mid];
		if (gfn < s->base_gfn)
			hi = mid;
		else if (gfn - s->base_gfn >= s->npages)
			lo = mid + 1;
		else
			return ((struct vm *)vm)->found = (int)mid; /* a memo of the lookup, not the VM's state */
	}
	return -1;
}

bool vm_gpa_to_hpa(const struct vm *vm, uint64_t gpa, uint64_t *hpa)
{
	int i = vm_find_slot(vm, gpa >> 12);
	if (i < 0)
		return false;
	const struct vm_slot *s = &vm->slots[i];
	*hpa = s->hpa_base + (gpa - (s->base_gfn << 12));
	return true;
}

static void probe_ref(struct vm_probe *p, uint64_t addr, bool write)
{
	if (p->nrefs < VM_MAX_PROBE_REFS) {
		p->refs[p->nrefs] = addr;
		p->ref_write[p->nrefs++] = write;
	}
}

int vm_memslot_search(struct vm *vm, uint64_t gfn, struct vm_probe *p)
{
	p->cache_hit = false;
	p->nrefs = 0;
	probe_ref(p, vm->last_used_hpa, false);
	if (vm->last_used >= 0) {
		const struct vm_slot *s = &vm->slots[vm->last_used];
		probe_ref(p, s->struct_hpa, false);
		if (slot_has(s, gfn)) {
			p->cache_hit = true;
			return vm->last_used;
		}
	}
	unsigned lo = 0, hi = vm->nslots;
	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		const struct vm_slot *s = &vm->slots[mid];
		probe_ref(p, s->struct_hpa, false);
		if (gfn < s->base_gfn) {
			hi = mid;
		} else if (gfn - s->base_gfn >= s->npages) {
			lo = mid + 1;
		} else {
			vm->last_used = (int)mid;
			probe_ref(p, vm->last_used_hpa, true);
			return (int)mid;
		}
	}
	return -1;
}

/* The slot whose VMM range (hpa: its host-physical backing) holds addr, by a binary search over the
 * slots in that order. Slot index or -1. */
static int find_by(const struct vm *vm, const unsigned *order, bool hpa, uint64_t addr)
{
	unsigned lo = 0, hi = vm->nslots;
	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		const struct vm_slot *s = &vm->slots[order[mid]];
		uint64_t start = hpa ? s->hpa_base : s->hva;
		if (addr < start)
			hi = mid;
		else if (addr - start >= s->npages << 12)
			lo = mid + 1;
		else
			return (int)order[mid];
	}
	return -1;
}

int vm_find_slot_hva(const struct vm *vm, uint64_t hva) { return find_by(vm, vm->by_hva, false, hva); }
int vm_find_slot_hpa(const struct vm *vm, uint64_t hpa) { return find_by(vm, vm->by_hpa, true, hpa); }

const char *vm_guest_pool_open(struct vm *vm, uint64_t origin_gpa, struct vm_pool *p)
{
	int i = vm_find_slot(vm, origin_gpa >> 12);
	if (i < 0)
		return "IOAT origin is not in guest RAM (no memslot holds it)";
	const struct vm_slot *s = &vm->slots[i];
	uint64_t slot_lo = s->base_gfn << 12, end = (s->base_gfn + s->npages) << 12;
	for (unsigned k = 0; k < vm->npools; k++) {
		struct vm_pool *q = vm->pools[k];
		if (q->origin < slot_lo || q->origin >= end)
			continue; /* another memslot */
		if (q->origin > origin_gpa && q->origin < end)
			end = q->origin;
		if (q->origin <= origin_gpa && origin_gpa < q->end) {
			if (origin_gpa < q->next)
				return "IOAT origin lies inside the IO tables of another function (its table pool is in use there)";
			q->end = origin_gpa;
		}
	}
	if (iw_grow(&vm->pools, &vm->pools_cap, vm->npools, sizeof(*vm->pools), 4) < 0)
		return "out of memory";
	*p = (struct vm_pool){.vm = vm, .origin = origin_gpa, .next = origin_gpa, .end = end};
	vm->pools[vm->npools++] = p;
	return NULL;
}
