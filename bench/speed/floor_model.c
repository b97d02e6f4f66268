/* floor_model: the same modelled work as `iowalk run TRACE -s kvm-gfn`, and nothing of the engine: the
 * reference bench/speed/run measures iowalk's engine against (bench/README.md "The same-work floor").
 *
 * Per record, in trace order, it does what the s390 model and the kvm-gfn strategy do to simulated state:
 * MEMSLOT: the VM's memslots (sim/vm.c); IOAT: the guest's IO table and kvm-gfn's shadow table, the
 * guest root table's pages resolved; MAP/UNMAP: the guest's IOPTE stores through the vCPU's caches
 * (models/s390_ioat/guest.c) and the light dirty tracking (sim/checker.c); RPCIT: the update count, then
 * the shadow refresh of models/s390_ioat/shadow.c with kvm-gfn's resolve (memslot search, GUP-fast walk of
 * the VMM's DAT tables, the folio's reference) and release, and the host RPCIT's IOTLB and walk-cache
 * invalidation; DMA: every page's IOTLB lookup and, on a miss, the device's walk of the shadow table
 * through its walk caches; at the end the final drain. Every CPU reference goes through the L1/L2/L3
 * model and every device reference through the L3 (sim/memsys.c), at the same simulated addresses, so the
 * caches see the same lines. It shares those data structures with iowalk (memsys, physmem, vm, the s390
 * table format, the checker, sacache): what it leaves out is the engine: no cycles, no event queue or
 * clock, no walker slots or DMA streams (each DMA is translated whole at its record), no histograms,
 * no strategy indirection, no reports. It prints the counts it shares with iowalk's report, so the
 * benchmark checks that both did the same work before it reports a ratio.
 *
 * Limits (refused, exit 2): another table format than s390-ioat, host tables other than the defaults
 * (3 levels of 4 KiB pages), FOLL_PIN pins, shared caches, guest tables of other than 3 levels. --set
 * changes a parameter as iowalk's does (the device's IOTLB and walk caches, the CPU caches).
 * `interleaved` counts the records that come before an earlier DMA's last page: where iowalk's streams
 * take turns and this floor translates each DMA whole, the device's references come in another order. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checker.h"
#include "config.h"
#include "floor_decode.h"
#include "guest.h"
#include "host.h"
#include "memsys.h"
#include "physmem.h"
#include "s390_model.h"
#include "sacache.h"
#include "u64map.h"
#include "vm.h"

#define MAX_FNS 256u
#define MAX_DEVS 65536u
#define NWC 2u /* s390's walk caches, nearest the leaf first: segment, region-third */

struct fn {
	struct guest_ioat g;
	struct checker ref;
	/* kvm-gfn's shadow (models/s390_ioat/shadow.c) */
	struct s390_table host;
	struct u64map arrays; /* the posted code's pointer arrays, by level and prefix */
	uint64_t root_hpa;
	uint64_t widest_iova, widest_len;
	struct sacache wc[NWC];
};

static struct {
	struct iw_config cfg;
	struct vm *vm;
	struct physmem *pm;
	struct s390_host *host;
	struct memsys mem;
	struct fn *fns[MAX_FNS];
	uint16_t fn_fid[MAX_FNS];
	unsigned nfns;
	int fn_of_fid[MAX_DEVS]; /* index + 1; 0: none */
	struct sacache *iotlb[MAX_DEVS];
	uint16_t devs[MAX_DEVS];
	unsigned ndevs, version;
	bool memslots_dirty, setup;
	enum s390_level wc_level[NWC];
	unsigned wc_shift[NWC];
	/* the counts shared with iowalk's report (ops; setup's pins apart, as iowalk keeps them) */
	uint64_t records, translations, iotlb_hits, iotlb_misses, walk_cache_hits, device_walk_refs, pins, unpins,
		shadow_writes, updates, guest_reads, vcpu_refs, host_walks, memslot_searches, host_rpcits, faults;
	/* Records that come before the last page of an earlier DMA (its record's time + (pages - 1) x
	 * device.page_gap_cycles): iowalk streams that DMA's later pages after them, this floor does not. */
	uint64_t stream_end, interleaved;
} F;

static _Noreturn void die(const char *why)
{
	fprintf(stderr, "floor_model: %s (record %" PRIu64 ")\n", why, F.records);
	exit(2);
}

/* kvm-gfn's resolve of gpa (kvm_gfn.c kvm_resolve): memslot search, GUP-fast walk, the folio's reference. */
static bool resolve(uint64_t gpa, uint64_t *hpa)
{
	struct vm_probe p;
	int i = vm_memslot_search(F.vm, gpa >> 12, &p);
	F.memslot_searches += !F.setup;
	for (unsigned k = 0; k < p.nrefs; k++)
		memsys_cpu(&F.mem, p.refs[k]);
	if (i < 0)
		return false;
	uint64_t hva = vm_slot_hva(vm_slot(F.vm, (unsigned)i), gpa >> 12);
	struct iw_walk w;
	s390_host_walk(F.host, hva, &w);
	F.host_walks += !F.setup;
	for (unsigned k = 0; k < w.nrefs; k++)
		memsys_cpu(&F.mem, w.refs[k]);
	if (w.fault != S390_OK)
		return false;
	*hpa = w.addr & ~(S390_PAGE_SIZE - 1);
	memsys_cpu(&F.mem, sim_struct_page(w.addr & ~(w.page_bytes - 1)));
	F.pins += !F.setup;
	return true;
}

/* kvm_release_pfn_dirty(): the folio's reference dropped. */
static void release(uint64_t hpa)
{
	struct s390_folio f = s390_folio_of(F.host, hpa);
	memsys_cpu(&F.mem, sim_struct_page(f.head));
	F.unpins++;
}

static uint64_t pointer_slot(struct fn *f, enum s390_level l, uint64_t iova)
{
	uint64_t prefix = l == S390_LEVEL_RT ? 0 : iova >> s390_level_shift(l - 1);
	uint64_t key = ((uint64_t)l << 56) | prefix, arr;
	if (!u64map_get(&f->arrays, key, &arr)) {
		arr = vm_host_alloc(F.vm, S390_TABLE_BYTES);
		if (arr == UINT64_MAX || u64map_put(&f->arrays, key, arr) < 0)
			die("out of memory (pointer arrays)");
	}
	return arr + (uint64_t)s390_index(l, iova) * 8;
}

/* shadow.c guest_pt(): the guest page table of iova (0), or the level whose entry is invalid (1). */
static int guest_pt(struct fn *f, uint64_t iova, uint64_t *pt_hpa, enum s390_level *skip)
{
	uint64_t table_hpa = f->root_hpa;
	for (enum s390_level l = S390_LEVEL_RT; l < S390_LEVEL_PT; l++) {
		uint64_t slot = pointer_slot(f, l, iova);
		memsys_cpu(&F.mem, slot);
		uint64_t cached = physmem_read64(F.pm, slot);
		if (cached) {
			table_hpa = cached;
			continue;
		}
		uint64_t ea = table_hpa + (uint64_t)s390_index(l, iova) * 8;
		memsys_cpu(&F.mem, ea);
		F.guest_reads++;
		uint64_t e = physmem_read64(F.pm, ea);
		if (!s390_entry_valid(l, e) || (e & S390_TABLE_TYPE_MASK) != s390_table_type(l) ||
		    (l == S390_LEVEL_ST && (e & S390_SEG_FC))) {
			*skip = l;
			return 1;
		}
		uint64_t next_gpa = s390_entry_origin(l, e), next_bytes = s390_table_bytes(l + 1);
		uint64_t first_hpa = 0, held[S390_TABLE_BYTES / S390_PAGE_SIZE];
		for (uint64_t off = 0; off < next_bytes; off += S390_PAGE_SIZE) {
			uint64_t hpa;
			if (!resolve(next_gpa + off, &hpa)) {
				for (uint64_t k = 0; k < off / S390_PAGE_SIZE; k++)
					release(held[k]);
				*skip = l;
				return 1;
			}
			held[off / S390_PAGE_SIZE] = hpa;
			if (off == 0)
				first_hpa = hpa;
		}
		table_hpa = first_hpa + (next_gpa & (S390_PAGE_SIZE - 1));
		memsys_cpu(&F.mem, slot);
		if (physmem_write64(F.pm, slot, table_hpa) < 0)
			die("out of memory");
	}
	*pt_hpa = table_hpa;
	return 0;
}

/* shadow.c shadow_page(): true when a valid shadow entry changed or went away. */
static bool shadow_page(struct fn *f, uint64_t iova, uint64_t pt_hpa)
{
	uint64_t gea = pt_hpa + (uint64_t)s390_index(S390_LEVEL_PT, iova) * 8;
	memsys_cpu(&F.mem, gea);
	F.guest_reads++;
	uint64_t g = physmem_read64(F.pm, gea);
	bool gvalid = s390_entry_valid(S390_LEVEL_PT, g);
	uint64_t refs[S390_WALK_MAX_REFS];
	unsigned n;
	uint64_t hea = s390_walk_alloc(&f->host, iova, S390_LEVEL_PT, refs, &n);
	if (hea == UINT64_MAX)
		die("host pool exhausted");
	for (unsigned k = 0; k < n; k++)
		memsys_cpu(&F.mem, refs[k]);
	memsys_cpu(&F.mem, hea);
	uint64_t h = physmem_read64(F.pm, hea);
	bool hvalid = s390_entry_valid(S390_LEVEL_PT, h);
	uint64_t new_hpa = 0;
	if (gvalid && !resolve(g & S390_PTE_ADDR_MASK, &new_hpa))
		gvalid = false;
	uint64_t want = gvalid ? s390_entry_page(new_hpa, (g & S390_TABLE_PROTECTED) != 0) : 0;
	if (hvalid && gvalid && h == want) {
		release(new_hpa);
		return false;
	}
	if (!hvalid && !gvalid)
		return false;
	memsys_cpu(&F.mem, hea);
	F.shadow_writes++;
	physmem_write64(F.pm, hea, gvalid ? want : (h | S390_PTE_INVALID));
	if (hvalid)
		release(h & S390_PTE_ADDR_MASK);
	return hvalid;
}

static struct fn *fn_of(uint16_t dev);

/* sim_walk.c sim_invalidate() of a range, for function f's host RPCIT: the IOTLBs of its devices (v1:
 * every DMA stream) and its walk caches. */
static void host_rpcit(struct fn *f, uint64_t iova, uint64_t len)
{
	if (len == 0)
		return;
	F.host_rpcits++;
	uint64_t first = iova >> 12, last = (iova + (len - 1)) >> 12;
	for (unsigned i = 0; i < F.ndevs; i++)
		if (fn_of(F.devs[i]) == f)
			sacache_invalidate_range(F.iotlb[F.devs[i]], first, last);
	for (unsigned w = 0; w < NWC; w++)
		sacache_invalidate_range(&f->wc[w], iova >> F.wc_shift[w], (iova + (len - 1)) >> F.wc_shift[w]);
}

/* The RPCIT of [iova, iova+len) (clipped): the updates it makes visible, then kvm-gfn's refresh. */
static void rpcit(struct fn *f, uint64_t iova, uint64_t len)
{
	uint64_t updates, unmapped;
	if (checker_rpcit(&f->ref, iova, len, &updates, &unmapped) < 0)
		die("out of memory (checker)");
	F.updates += updates;
	uint64_t last = iova + (len - 1), a = iova & ~(S390_PAGE_SIZE - 1);
	bool changed = false;
	do {
		uint64_t pt_hpa;
		enum s390_level level = S390_LEVEL_PT;
		if (guest_pt(f, a, &pt_hpa, &level) == 0)
			changed |= shadow_page(f, a, pt_hpa);
		a = iw_range_step(&s390_ioat_format, a, last, level);
	} while (a);
	if (changed)
		host_rpcit(f, iova, len);
}

static void guest_touch(void *ctx, uint64_t gpa)
{
	(void)ctx;
	uint64_t hpa;
	if (vm_gpa_to_hpa(F.vm, gpa, &hpa)) {
		memsys_cpu(&F.mem, hpa);
		F.vcpu_refs++;
	}
}

static void commit(void)
{
	char why[256];
	if (F.memslots_dirty && vm_commit_memslots(F.vm, why, sizeof(why)))
		die(why);
	F.memslots_dirty = false;
}

static void ioat(uint16_t fid, uint64_t origin, unsigned levels)
{
	if (levels != 3 || F.nfns == MAX_FNS || F.fn_of_fid[fid] || (F.version < 2 && F.nfns))
		die("IOAT: this floor takes one 3-level table per function");
	struct fn *f = calloc(1, sizeof(*f));
	if (!f || checker_init(&f->ref, false) < 0 || u64map_init(&f->arrays, 64) < 0)
		die("out of memory");
	for (unsigned w = 0; w < NWC; w++) {
		uint64_t e = w == 0 ? F.cfg.wc_st_entries : F.cfg.wc_rt_entries, ways = F.cfg.wc_ways;
		if (sacache_init(&f->wc[w], e, (uint32_t)(e < ways ? (e ? e : 1) : ways)) < 0)
			die("out of memory");
	}
	const char *why = guest_ioat_init(&f->g, F.vm, origin, levels);
	if (why)
		die(why);
	F.fns[F.nfns] = f;
	F.fn_fid[F.nfns++] = fid;
	F.fn_of_fid[fid] = (int)F.nfns;
	/* shadow_setup(): the shadow table, and the guest root table's pages resolved (set-up). */
	if (s390_table_init(&f->host, &vm_hpa_ops, F.vm, levels) < 0)
		die("cannot allocate the shadow table");
	F.setup = true;
	for (uint64_t off = 0; off < S390_TABLE_BYTES; off += S390_PAGE_SIZE) {
		uint64_t hpa;
		if (!resolve(origin + off, &hpa))
			die("guest root table not in guest RAM");
		if (off == 0)
			f->root_hpa = hpa;
	}
	F.setup = false;
}

static struct fn *fn_of(uint16_t dev)
{
	int i = F.version < 2 ? (F.nfns ? 1 : 0) : F.fn_of_fid[dev];
	if (!i)
		die("a record of a function with no IOAT");
	return F.fns[i - 1];
}

static struct sacache *iotlb_of(uint16_t dev)
{
	if (!F.iotlb[dev]) {
		uint64_t e = F.cfg.iotlb_entries, ways = F.cfg.iotlb_ways;
		if (!(F.iotlb[dev] = calloc(1, sizeof(struct sacache))) ||
		    sacache_init(F.iotlb[dev], e, (uint32_t)(e < ways ? (e ? e : 1) : ways)) < 0)
			die("out of memory");
		F.devs[F.ndevs++] = dev;
	}
	return F.iotlb[dev];
}

/* One page's translation: the IOTLB, else the device's walk of the shadow table (sim_walk.c). */
static void translate(struct fn *f, struct sacache *t, uint64_t iova, bool write)
{
	F.translations++;
	if (sacache_lookup(t, iova >> 12, NULL)) {
		F.iotlb_hits++;
		return;
	}
	F.iotlb_misses++;
	unsigned from = 0;
	uint64_t resume = 0;
	for (unsigned i = 0; i < NWC; i++)
		if (sacache_lookup_all(&f->wc[i], iova >> F.wc_shift[i], &resume)) {
			F.walk_cache_hits++;
			from = F.wc_level[i] + 1;
			break;
		}
	struct iw_walk w;
	if (from)
		s390_ioat_format.walk_from(&f->host, iova, write, from, resume, &w);
	else
		s390_walk(&f->host, iova, write, &w);
	for (unsigned i = 0; i < w.nrefs; i++) {
		if (w.ref_level[i] < from)
			continue;
		memsys_device(&F.mem, w.refs[i]);
		F.device_walk_refs++;
		if (i + 1 < w.nrefs)
			for (unsigned k = 0; k < NWC; k++)
				if (w.ref_level[i] == F.wc_level[k]) {
					sacache_fill(&f->wc[k], iova >> F.wc_shift[k], w.resume[i]);
					break;
				}
	}
	if (w.fault != IW_FAULT_NONE) {
		F.faults++;
		return;
	}
	sacache_fill(t, iova >> 12, (w.addr & ~(w.page_bytes - 1)) | (w.writable ? 1 : 0));
}

static void record(const unsigned char *p)
{
	unsigned kind = p[8], flags = p[9];
	uint16_t dev = (uint16_t)iw_get_le(p + 10, 2);
	uint64_t a = iw_get_le(p + 16, 8), b = iw_get_le(p + 24, 8), c = iw_get_le(p + 32, 8);
	F.records++;
	uint64_t t = iw_get_le(p, 8);
	F.interleaved += t < F.stream_end;
	if (kind != 2)
		commit();
	struct iw_guest_cb cb = {.changed = checker_changed, .touch = guest_touch};
	switch (kind) {
	case 1: /* IOAT */
		ioat(dev, a, flags);
		break;
	case 2: { /* MEMSLOT */
		const char *why = s390_host_memslot_check(F.host, a, b, c);
		if (why || (why = vm_add_memslot(F.vm, (uint32_t)iw_get_le(p + 12, 4), a, b, c)))
			die(why);
		F.memslots_dirty = true;
		break;
	}
	case 3: { /* MAP */
		struct fn *f = fn_of(dev);
		cb.ctx = &f->ref;
		const char *why = guest_ioat_map(&f->g, a, b, c, flags == 1, &cb);
		if (why || checker_map(&f->ref, a, b, c, flags == 1) < 0)
			die(why ? why : "out of memory");
		break;
	}
	case 4: { /* UNMAP */
		struct fn *f = fn_of(dev);
		cb.ctx = &f->ref;
		guest_ioat_unmap(&f->g, a, c, &cb);
		if (checker_unmap(&f->ref, a, c) < 0)
			die("out of memory");
		break;
	}
	case 5: { /* RPCIT, clipped to the aperture */
		struct fn *f = fn_of(dev);
		uint64_t ap = s390_aperture_bytes(S390_LEVEL_RT);
		if (a >= ap)
			die("RPCIT outside the aperture");
		if (c > ap - a)
			c = ap - a;
		if (c > f->widest_len) {
			f->widest_iova = a;
			f->widest_len = c;
		}
		rpcit(f, a, c);
		break;
	}
	case 6: { /* DMA: each page, in order */
		struct fn *f = fn_of(dev);
		struct sacache *tlb = iotlb_of(dev);
		uint64_t first = a >> 12, last = (a + (c - 1)) >> 12;
		for (uint64_t pg = first;; pg++) {
			translate(f, tlb, pg << 12, flags == 2);
			if (pg == last)
				break;
		}
		uint64_t end = t + (last - first) * F.cfg.page_gap_cycles;
		F.stream_end = end > F.stream_end ? end : F.stream_end;
		break;
	}
	default: die("unknown record kind");
	}
}

/* sim_vcpu.c flush_all() at the end: an RPCIT over the pages changed since their last one (or the widest
 * refresh when it covers them). */
static void drain(void)
{
	commit();
	for (unsigned i = 0; i < F.nfns; i++) {
		struct fn *f = F.fns[i];
		uint64_t first, last;
		if (!checker_dirty_span(&f->ref, &first, &last))
			continue;
		uint64_t iova = first << 12, len = (last - first + 1) << 12;
		if (f->widest_len && f->widest_iova <= iova && iova + len - 1 <= f->widest_iova + (f->widest_len - 1)) {
			iova = f->widest_iova;
			len = f->widest_len;
		}
		uint64_t ap = s390_aperture_bytes(S390_LEVEL_RT);
		if (iova >= ap)
			continue;
		if (len > ap - iova)
			len = ap - iova;
		rpcit(f, iova, len);
	}
}

int main(int argc, char **argv)
{
	if (argc < 2 || (argc - 2) % 2) {
		fputs("usage: iowalk-floor-model TRACE [--set KEY=VALUE ...]   (binary, zstd or not; s390-ioat, kvm-gfn)\n", stderr);
		return 2;
	}
	(void)s390_strategy_at(0); /* links the model's parameter registration */
	config_defaults(&F.cfg);
	char err[256];
	for (int i = 2; i + 1 < argc; i += 2)
		if (strcmp(argv[i], "--set") != 0 || config_set_kv(&F.cfg, argv[i + 1], err, sizeof(err)))
			die(strcmp(argv[i], "--set") ? "expected --set KEY=VALUE" : err);
	if (config_validate(&F.cfg, err, sizeof(err)) || config_value(&F.cfg, "vm.host_levels") != 3 ||
	    config_value(&F.cfg, "vm.host_page_kib") != 4 || F.cfg.shared_caches || config_value(&F.cfg, "kvm.pin_longterm"))
		die("the defaults are not what this floor models");
	struct vm_config vc = {.max_memslots = F.cfg.max_memslots};
	if (!(F.vm = vm_new(&vc, err, sizeof(err))) || !(F.host = s390_host_new(F.vm, &F.cfg, err, sizeof(err))) ||
	    memsys_init(&F.mem, &F.cfg) < 0)
		die(err);
	F.pm = vm_physmem(F.vm);
	F.wc_level[0] = S390_LEVEL_ST;
	F.wc_level[1] = S390_LEVEL_RT;
	F.wc_shift[0] = s390_level_shift(S390_LEVEL_ST);
	F.wc_shift[1] = s390_level_shift(S390_LEVEL_RT);
	/* The header's version (set before the first record) decides how a DMA's dev names its function. */
	if (floor_decode(argv[1], 1u << 1 | 1u << 2 | 1u << 3, "s390-ioat", &F.version, record))
		return 1;
	drain();
	printf("floor_model: records=%" PRIu64 " translations=%" PRIu64 " iotlb_hits=%" PRIu64 " iotlb_misses=%" PRIu64
	       " walk_cache_hits=%" PRIu64 " device_walk_refs=%" PRIu64 " pins=%" PRIu64 " unpins=%" PRIu64
	       " shadow_writes=%" PRIu64 " iopte_updates=%" PRIu64 " guest_table_reads=%" PRIu64 " guest_vcpu_refs=%" PRIu64
	       " host_walks=%" PRIu64 " memslot_searches=%" PRIu64 " host_rpcits=%" PRIu64 " interleaved=%" PRIu64,
	       F.records, F.translations, F.iotlb_hits, F.iotlb_misses, F.walk_cache_hits, F.device_walk_refs, F.pins,
	       F.unpins, F.shadow_writes, F.updates, F.guest_reads, F.vcpu_refs, F.host_walks, F.memslot_searches,
	       F.host_rpcits, F.interleaved);
	static const char *const lv[] = {"l1", "l2", "l3"};
	for (int l = 0; l < 3; l++)
		printf(" %s_hits=%" PRIu64 " %s_misses=%" PRIu64, lv[l], F.mem.c[l].hits, lv[l], F.mem.c[l].misses);
	printf(" device_l3=%" PRIu64 " device_dram=%" PRIu64 "\n", F.mem.device_served[MEM_L3], F.mem.device_served[MEM_DRAM]);
	return 0;
}
