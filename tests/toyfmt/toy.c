/* toy: a second table format and model, compiled only into test_toyfmt, that proves the engine takes a
 * format other than s390's: "toy-x86", an x86-like three-level table of 39 bits (the shape of VT-d's
 * second stage at 3 levels: 512 entries of 8 bytes a table; bit 0 present, bit 1 writable, bit 7 a
 * leaf above the last level: 2 MiB at level 1, 1 GiB at level 0), with walk caches of its two upper
 * levels, a 2 MiB IOTLB structure beside the 4 KiB one, and range invalidations rounded to a power of
 * two of pages (a domain above 512 pages). Two strategies: toy-nested walks 2-D through the guest's
 * table and a host second stage of the same format (2 MiB leaves where the backing allows), toy-shadow
 * keeps a shadow of the guest's table in host memory, copying 2 MiB leaves where it can. Neither models
 * a real design's costs: they charge a flat cost per step, enough for the engine's accounting. */
#include "alloc.h"
#include "sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOY_P 1ull
#define TOY_W 2ull
#define TOY_PS (1ull << 7)
#define TOY_ADDR 0x000ffffffffff000ull
#define TOY_WIDTH 39
enum { TOY_OK, TOY_NOT_PRESENT, TOY_WRITE_RO, TOY_BEYOND_WIDTH, TOY_NFAULTS };
static const unsigned toy_shift[3] = {30, 21, 12};

struct toy_table {
	const struct iw_mem_ops *mem;
	void *ctx;
	uint64_t root;
};

/* The walk of addr from `table` at `level` (ro: the path above is read-only). */
static void walk_at(const struct toy_table *t, uint64_t addr, bool write, unsigned level, uint64_t table, bool ro,
		    struct iw_walk *w)
{
	w->nrefs = 0;
	w->fault = TOY_OK;
	w->writable = false;
	w->addr = 0;
	w->page_bytes = 0;
	for (unsigned l = level;; l++) {
		uint64_t ea = table + ((addr >> toy_shift[l]) & 511) * 8, e = t->mem->read64(t->ctx, ea);
		w->refs[w->nrefs] = ea;
		w->ref_level[w->nrefs++] = l;
		if (!(e & TOY_P)) {
			w->fault = TOY_NOT_PRESENT;
			w->fault_level = l;
			return;
		}
		ro |= !(e & TOY_W);
		if (l == 2 || (e & TOY_PS)) {
			uint64_t bytes = 1ull << toy_shift[l];
			if (write && ro) {
				w->fault = TOY_WRITE_RO;
				w->fault_level = l;
				return;
			}
			w->addr = (e & TOY_ADDR & ~(bytes - 1)) | (addr & (bytes - 1));
			w->page_bytes = bytes;
			w->writable = !ro;
			return;
		}
		table = e & TOY_ADDR;
		w->resume[w->nrefs - 1] = table | (ro ? 1 : 0);
	}
}

static void toy_walk(const void *table, uint64_t addr, bool write, struct iw_walk *w)
{
	const struct toy_table *t = table;
	if (addr >> TOY_WIDTH) {
		w->nrefs = 0;
		w->fault = TOY_BEYOND_WIDTH;
		w->fault_level = 0;
		w->writable = false;
		return;
	}
	walk_at(t, addr, write, 0, t->root, false, w);
}

static void toy_walk_from(const void *table, uint64_t addr, bool write, unsigned level, uint64_t resume, struct iw_walk *w)
{
	walk_at(table, addr, write, level, resume & ~1ull, resume & 1, w);
}

static uint64_t toy_aperture(const void *table)
{
	(void)table;
	return 1ull << TOY_WIDTH;
}

static uint64_t count_at(const struct toy_table *t, uint64_t table, unsigned l)
{
	uint64_t n = 0;
	for (unsigned i = 0; i < 512; i++) {
		uint64_t e = t->mem->read64(t->ctx, table + i * 8);
		if (!(e & TOY_P))
			continue;
		n += l == 2 || (e & TOY_PS) ? 1ull << (toy_shift[l] - 12) : count_at(t, e & TOY_ADDR, l + 1);
	}
	return n;
}

static uint64_t toy_count_leaves(const void *table) { return count_at(table, ((const struct toy_table *)table)->root, 0); }

/* Page-selective invalidation with an address mask: 2^am pages aligned to their size, the smallest that
 * holds the range; above 2^9 pages, the whole domain. */
static void toy_inval_round(struct iw_inval *inv)
{
	uint64_t first = inv->addr >> 12, last = (inv->addr + (inv->len - 1)) >> 12;
	unsigned am = 0;
	while ((first >> am) != (last >> am))
		am++;
	if (am > 9) {
		inv->scope = IW_INVAL_DOMAIN;
		return;
	}
	inv->addr = (first >> am) << (am + 12);
	inv->len = 1ull << (am + 12);
}

const struct iw_format toy_format = {
	.name = "toy-x86",
	.nlevels = 3,
	.level_shift = {30, 21, 12},
	.nfaults = TOY_NFAULTS,
	.fault_names = {"ok", "not_present", "write_to_readonly", "beyond_width"},
	.fault_invalid = TOY_NOT_PRESENT,
	.fault_protection = TOY_WRITE_RO,
	.fault_out_of_range = TOY_BEYOND_WIDTH,
	.max_walk_refs = 15,
	.nleaf_sizes = 2,
	.leaf_shift = {12, 21},
	.iotlb_param = {NULL, "toy.iotlb_2m_entries"},
	.wc_param = {"toy.wc_l0_entries", "toy.wc_l1_entries"},
	.ncfg_caches = 1,
	.cfg_cache = {{"context", "toy.ctx_entries", "toy_ctx_misses"}},
	.inval_round = toy_inval_round,
	.walk = toy_walk,
	.walk_from = toy_walk_from,
	.aperture = toy_aperture,
	.count_leaves = toy_count_leaves,
};

/* ---- writing tables ---- */

/* The address of addr's entry at level `level`, creating the tables above it (and splitting a large leaf
 * in the way into the next level's entries); UINT64_MAX when memory runs out. touch: the guest's vCPU
 * reads or writes each entry on the way (NULL: a host table). */
static uint64_t entry_at(struct toy_table *t, uint64_t addr, unsigned level, const struct iw_guest_cb *cb)
{
	uint64_t table = t->root;
	for (unsigned l = 0; l < level; l++) {
		uint64_t ea = table + ((addr >> toy_shift[l]) & 511) * 8, e = t->mem->read64(t->ctx, ea);
		if (cb && cb->touch)
			cb->touch(cb->ctx, ea);
		if (!(e & TOY_P) || (e & TOY_PS)) {
			uint64_t next = t->mem->alloc(t->ctx, 4096);
			if (next == UINT64_MAX)
				return UINT64_MAX;
			if (e & TOY_PS) /* split: the same mapping in entries of the next level */
				for (unsigned i = 0; i < 512; i++)
					t->mem->write64(t->ctx, next + i * 8,
							((e & TOY_ADDR) + ((uint64_t)i << toy_shift[l + 1])) | (e & TOY_W) | TOY_P |
								(l + 1 < 2 ? TOY_PS : 0));
			t->mem->write64(t->ctx, ea, next | TOY_P | TOY_W);
			e = next | TOY_P | TOY_W;
		}
		table = e & TOY_ADDR;
	}
	return table + ((addr >> toy_shift[level]) & 511) * 8;
}

/* The entry at level 1 of addr, or 0 when the table above it does not exist (no allocation). */
static uint64_t l1_entry(const struct toy_table *t, uint64_t addr)
{
	uint64_t e0 = t->mem->read64(t->ctx, t->root + ((addr >> 30) & 511) * 8);
	if (!(e0 & TOY_P) || (e0 & TOY_PS))
		return 0;
	return t->mem->read64(t->ctx, (e0 & TOY_ADDR) + ((addr >> 21) & 511) * 8);
}

/* Maps [iova, iova + len) to pa: 2 MiB leaves where both are aligned and the level-1 entry holds no table
 * (an entry above the leaf is never taken back: walk caches may hold it), else 4 KiB leaves. */
static const char *toy_map(struct toy_table *t, uint64_t iova, uint64_t pa, uint64_t len, bool ro,
			   const struct iw_guest_cb *cb)
{
	uint64_t prot = TOY_P | (ro ? 0 : TOY_W);
	for (uint64_t off = 0; off < len;) {
		uint64_t a = iova + off, p = pa + off, e1 = l1_entry(t, a);
		bool big = !(a & 0x1fffff) && !(p & 0x1fffff) && len - off >= 0x200000 && (!(e1 & TOY_P) || (e1 & TOY_PS));
		uint64_t ea = entry_at(t, a, big ? 1 : 2, cb);
		if (ea == UINT64_MAX)
			return "out of memory (toy table)";
		uint64_t old = t->mem->read64(t->ctx, ea), bytes = big ? 0x200000 : 0x1000;
		for (uint64_t k = 0; cb && cb->changed && (old & TOY_P) && k < bytes; k += 0x1000)
			cb->changed(cb->ctx, a + k);
		t->mem->write64(t->ctx, ea, p | prot | (big ? TOY_PS : 0));
		if (cb && cb->touch)
			cb->touch(cb->ctx, ea);
		off += bytes;
	}
	return NULL;
}

/* Unmaps [iova, iova + len): a 2 MiB leaf the range covers is cleared whole, one it cuts is split first. */
static void toy_unmap(struct toy_table *t, uint64_t iova, uint64_t len, const struct iw_guest_cb *cb)
{
	for (uint64_t off = 0; off < len;) {
		uint64_t a = iova + off, e1 = l1_entry(t, a);
		bool whole = (e1 & TOY_PS) && !(a & 0x1fffff) && len - off >= 0x200000;
		uint64_t bytes = whole ? 0x200000 : 0x1000;
		if ((e1 & TOY_P) || (e1 & TOY_PS)) {
			uint64_t ea = entry_at(t, a, whole ? 1 : 2, cb);
			uint64_t old = ea == UINT64_MAX ? 0 : t->mem->read64(t->ctx, ea);
			if (old & TOY_P) {
				for (uint64_t k = 0; cb && cb->changed && k < bytes; k += 0x1000)
					cb->changed(cb->ctx, a + k);
				t->mem->write64(t->ctx, ea, 0);
				if (cb && cb->touch)
					cb->touch(cb->ctx, ea);
			}
		}
		off += bytes;
	}
}

/* ---- the model ---- */

struct toy_host {
	struct vm *vm;
	struct toy_table s2; /* the host's second stage: gpa -> hpa for all guest RAM, built at first use */
	bool populated;
};

struct toy_guest {
	struct vm_pool pool;
	struct toy_table table;
};

static void *host_new(struct vm *vm, const struct iw_config *cfg, char *err, size_t errlen)
{
	(void)cfg;
	struct toy_host *h = iw_calloc(1, sizeof(*h));
	if (!h) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->vm = vm;
	h->s2 = (struct toy_table){.mem = &vm_hpa_ops, .ctx = vm, .root = vm_host_alloc(vm, 4096)};
	return h;
}

static void host_free(void *host) { iw_free(host); }

static const char *memslot_check(void *host, uint64_t base_gfn, uint64_t npages, uint64_t hva)
{
	(void)host;
	(void)hva;
	return base_gfn + npages > (1ull << (TOY_WIDTH - 12)) ? "guest RAM beyond the second stage's 39 bits" : NULL;
}

/* The second stage of all guest RAM: 2 MiB leaves where a block lies in one memslot aligned (its backing
 * is then contiguous and aligned), 4 KiB leaves elsewhere. */
static void s2_populate(struct toy_host *h)
{
	if (h->populated)
		return;
	h->populated = true;
	for (unsigned i = 0; i < vm_nslots(h->vm); i++) {
		const struct vm_slot *sl = vm_slot(h->vm, i);
		uint64_t gpa = sl->base_gfn << 12, end = (sl->base_gfn + sl->npages) << 12;
		while (gpa < end) {
			bool big = !(gpa & 0x1fffff) && end - gpa >= 0x200000 && !((sl->hpa_base + (gpa - (sl->base_gfn << 12))) & 0x1fffff);
			uint64_t bytes = big ? 0x200000 : 0x1000;
			toy_map(&h->s2, gpa, sl->hpa_base + (gpa - (sl->base_gfn << 12)), bytes, false, NULL);
			gpa += bytes;
		}
	}
}

static const char *guest_new(void *host, struct vm *vm, uint64_t origin, unsigned levels, void **guest)
{
	(void)host;
	if (levels != 3)
		return "toy-x86 tables have 3 levels";
	struct toy_guest *g = iw_calloc(1, sizeof(*g));
	if (!g)
		return "out of memory";
	const char *why = vm_guest_pool_open(vm, origin, &g->pool);
	if (why) {
		iw_free(g);
		return why;
	}
	g->table = (struct toy_table){.mem = &vm_gpa_ops, .ctx = &g->pool, .root = vm_gpa_ops.alloc(&g->pool, 4096)};
	if (g->table.root == UINT64_MAX) {
		iw_free(g);
		return "no room for the table's root";
	}
	*guest = g;
	return NULL;
}

static void guest_free(void *guest) { iw_free(guest); }

static const char *guest_map(void *guest, uint64_t iova, uint64_t gpa, uint64_t len, bool readonly, const struct iw_guest_cb *cb)
{
	struct toy_guest *g = guest;
	if (iova >> TOY_WIDTH || len > (1ull << TOY_WIDTH) - iova)
		return "MAP beyond the table's 39 bits";
	return toy_map(&g->table, iova, gpa, len, readonly, cb);
}

static void guest_unmap(void *guest, uint64_t iova, uint64_t len, const struct iw_guest_cb *cb)
{
	struct toy_guest *g = guest;
	if (!(iova >> TOY_WIDTH))
		toy_unmap(&g->table, iova, len < (1ull << TOY_WIDTH) - iova ? len : (1ull << TOY_WIDTH) - iova, cb);
}

static const void *guest_table(const void *guest) { return &((const struct toy_guest *)guest)->table; }

static const struct iw_param toy_params[] = {
	{"toy.wc_l0_entries", 16, 0, 1u << 20, "", "toy-x86: walk-cache entries of level 0 (1 GiB spans)", 0, 0, NULL},
	{"toy.wc_l1_entries", 16, 0, 1u << 20, "", "toy-x86: walk-cache entries of level 1 (2 MiB spans)", 0, 0, NULL},
	{"toy.iotlb_2m_entries", 8, 0, 1u << 20, "", "toy-x86: IOTLB entries of 2 MiB pages", 0, 0, NULL},
	{"toy.ctx_entries", 4, 0, 1u << 20, "", "toy-x86: context-cache entries", 0, 0, NULL},
};
static const struct iw_param_group toy_param_group = {"toy-x86 model", toy_params, 4, NULL};
static const struct iw_counter toy_counters[] = {{"toy_ctx_misses", "toy-x86: context-cache misses"}};
static const struct iw_counter_group toy_counter_group = {"toy-x86 model", toy_counters, 1};

const struct strategy_ops *toy_strategy_at(unsigned i);

const struct iw_model toy_model = {
	.name = "toy-x86",
	.summary = "a test format: x86-like 3 levels, 2 MiB leaves, 2-D walks",
	.fmt = &toy_format,
	.strategy_at = toy_strategy_at,
	.host_new = host_new,
	.host_free = host_free,
	.memslot_check = memslot_check,
	.guest_new = guest_new,
	.guest_free = guest_free,
	.guest_map = guest_map,
	.guest_unmap = guest_unmap,
	.guest_table = guest_table,
	.params = &toy_param_group,
	.counters = &toy_counter_group,
};

/* ---- the strategies ---- */

struct toy_strat {
	struct strategy base;
	struct sim *sim;
	struct toy_table shadow; /* toy-shadow */
};

static struct strategy *toy_create(const struct strategy_ops *self, struct sim *s, char *err, size_t errlen)
{
	struct toy_strat *t = iw_calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->base.ops = self;
	t->sim = s;
	t->shadow = (struct toy_table){.mem = &vm_hpa_ops, .ctx = sim_vm(s), .root = vm_host_alloc(sim_vm(s), 4096)};
	s2_populate(sim_model_host(s));
	return &t->base;
}

static void toy_destroy(struct strategy *st) { iw_free(container_of(st, struct toy_strat, base)); }

/* The hypervisor's handling of the guest's invalidation: a flat cost, then the device's caches. */
static void nested_invalidate(struct strategy *st, const struct iw_inval *inv)
{
	struct sim *s = container_of(st, struct toy_strat, base)->sim;
	sim_charge(s, COMP_RPCIT, 100);
	sim_invalidate(s, inv);
}

/* A 2-D walk through the guest's table and the host's second stage, every entry a device reference. */
static void nested_walk(struct strategy *st, uint64_t iova, bool write, struct sim_xlate *x)
{
	struct sim *s = container_of(st, struct toy_strat, base)->sim;
	struct toy_host *h = sim_model_host(s);
	struct iw_walk w;
	/* The device's context entry first (one source here): read from host memory on a miss. */
	if (!sim_cfg_cache_lookup(s, 0, 1))
		sim_dev_ref(s, COMP_DEVICE_WALK, h->s2.root - 4096);
	iw_walk_2d(&toy_format, sim_guest_table(s), &toy_format, &h->s2, iova, write, &w);
	for (unsigned i = 0; i < w.nrefs; i++)
		sim_dev_ref(s, COMP_DEVICE_WALK, w.refs[i]);
	x->fault = w.fault;
	if (w.fault != IW_FAULT_NONE && w.fault_level >= IW_STAGE2)
		x->fault = TOY_NOT_PRESENT; /* a guest table or page outside guest RAM */
	x->page_bytes = w.fault == IW_FAULT_NONE ? w.page_bytes : 4096;
	x->frame = w.fault == IW_FAULT_NONE ? w.addr & ~(w.page_bytes - 1) : 0;
	x->writable = w.writable;
}

/* The shadow of one guest page (or 2 MiB block, *step), from the guest's table now. */
static void shadow_page(struct toy_strat *t, uint64_t a, uint64_t *step)
{
	struct sim *s = t->sim;
	struct iw_walk w;
	toy_walk(sim_guest_table(s), a, false, &w);
	uint64_t hpa = 0, e1 = l1_entry(&t->shadow, a);
	bool mapped = w.fault == TOY_OK && vm_gpa_to_hpa(sim_vm(s), w.addr & ~0xfffull, &hpa);
	/* A 2 MiB guest leaf is copied whole when its block is backed contiguously and aligned (a is then its
	 * first page, hpa the block's start) and the shadow's level-1 entry holds no table. */
	uint64_t hpa_end = 0;
	bool big = mapped && w.page_bytes == 0x200000 && !(a & 0x1fffff) && !(hpa & 0x1fffff) &&
		   vm_gpa_to_hpa(sim_vm(s), w.addr + 0x1ff000, &hpa_end) && hpa_end == hpa + 0x1ff000 &&
		   (!(e1 & TOY_P) || (e1 & TOY_PS));
	*step = big ? 0x200000 : 0x1000;
	sim_charge(s, COMP_SW, sim_cfg(s)->c_call);
	if (!mapped && !(e1 & TOY_P))
		return; /* nothing there, nothing to clear */
	uint64_t ea = entry_at(&t->shadow, a, big ? 1 : 2, NULL);
	if (ea == UINT64_MAX)
		return;
	uint64_t val = !mapped ? 0 : big ? hpa | TOY_P | TOY_PS | (w.writable ? TOY_W : 0) : hpa | TOY_P | (w.writable ? TOY_W : 0);
	if (vm_hpa_ops.read64(sim_vm(s), ea) == val)
		return;
	sim_cpu_ref(s, COMP_SHADOW_WRITE, ea);
	sim_op(s, OP_SHADOW_WRITES, 1);
	vm_hpa_ops.write64(sim_vm(s), ea, val);
}

static void shadow_invalidate(struct strategy *st, const struct iw_inval *inv)
{
	struct toy_strat *t = container_of(st, struct toy_strat, base);
	struct sim *s = t->sim;
	uint64_t last = inv->addr + (inv->len - 1);
	for (uint64_t a = inv->addr & ~0xfffull; a && a <= last;) {
		uint64_t step;
		shadow_page(t, a, &step);
		uint64_t next = (a & ~(step - 1)) + step;
		a = next > a ? next : 0;
	}
	sim_charge(s, COMP_RPCIT, 100);
	sim_invalidate(s, inv);
}

static void shadow_walk(struct strategy *st, uint64_t iova, bool write, struct sim_xlate *x)
{
	struct toy_strat *t = container_of(st, struct toy_strat, base);
	sim_device_walk(t->sim, &t->shadow, iova, write, x);
}

static const struct strategy_ops toy_nested = {
	.name = "toy-nested",
	.summary = "2-D walk of the guest's table over the host's second stage",
	.create = toy_create,
	.destroy = toy_destroy,
	.invalidate = nested_invalidate,
	.dma_walk = nested_walk,
	.pins_guest_ram = true,
	.model = &toy_model,
};

static const struct strategy_ops toy_shadow = {
	.name = "toy-shadow",
	.summary = "a shadow of the guest's table, 2 MiB leaves copied where the backing allows",
	.create = toy_create,
	.destroy = toy_destroy,
	.invalidate = shadow_invalidate,
	.dma_walk = shadow_walk,
	.model = &toy_model,
};

static const struct strategy_ops *const toy_registry[] = {&toy_nested, &toy_shadow};

const struct strategy_ops *toy_strategy_at(unsigned i) { return i < 2 ? toy_registry[i] : NULL; }

__attribute__((constructor)) static void toy_register(void)
{
	if (config_register(&toy_param_group) != 0 || stats_register(&toy_counter_group) != 0) {
		fputs("toy: cannot register its parameters\n", stderr);
		abort();
	}
}
