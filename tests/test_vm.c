/* test_vm: memslots, host DAT walks, the root domain, guest tables, and the reference checker,
 * including a seeded matrix test over levels x host page sizes x random map/unmap sequences. */
#include "check.h"
#include "config.h"
#include "guest.h"
#include "host.h"
#include "checker.h"
#include "rng.h"
#include "vm.h"

/* The VM and the s390 host tables over it (the model creates them together in a simulation). */
static struct s390_host *H;

static struct vm *mkvm(unsigned host_levels, enum s390_host_page page, unsigned root_levels)
{
	char err[128];
	static const uint64_t kib[] = {4, 1024, 2097152};
	struct vm_config vc = {0};
	struct vm *vm = vm_new(&vc, err, sizeof(err));
	CHECK(vm != NULL);
	struct iw_config cfg;
	config_defaults(&cfg);
	CHECK(config_register(&s390_host_params) == 0);
	CHECK(stats_register(&s390_host_counters) == 0);
	config_defaults(&cfg);
	char v[32];
	snprintf(v, sizeof(v), "%u", host_levels);
	CHECK(config_set(&cfg, "vm.host_levels", v, err, sizeof(err)) == NULL);
	snprintf(v, sizeof(v), "%u", root_levels);
	CHECK(config_set(&cfg, "vm.root_levels", v, err, sizeof(err)) == NULL);
	snprintf(v, sizeof(v), "%llu", (unsigned long long)kib[page]);
	CHECK(config_set(&cfg, "vm.host_page_kib", v, err, sizeof(err)) == NULL);
	H = s390_host_new(vm, &cfg, err, sizeof(err));
	CHECK(H != NULL);
	return vm;
}

static void rmvm(struct vm *vm)
{
	s390_host_free(H);
	H = NULL;
	vm_free(vm);
}

static void test_memslot_edges(void)
{
	struct vm *vm = mkvm(3, S390_HOST_PAGE_4K, 3);
	char buf[256];
	CHECK(vm_add_memslot(vm, 0, 0, 0x80000, 0x20000000000ull) == NULL);          /* gpa 0..2G */
	CHECK(vm_add_memslot(vm, 1, 0x100000, 0x80000, 0x20080000000ull) == NULL);   /* gpa 4G..6G */
	CHECK(vm_commit_memslots(vm, buf, sizeof(buf)) == NULL);
	CHECK_EQ_U64(vm_find_slot(vm, 0), 0);
	CHECK_EQ_U64(vm_find_slot(vm, 0x7ffff), 0);      /* last page of slot 0 */
	CHECK_EQ_U64((uint64_t)vm_find_slot(vm, 0x80000), (uint64_t)-1); /* the hole */
	CHECK_EQ_U64((uint64_t)vm_find_slot(vm, 0xfffff), (uint64_t)-1);
	CHECK_EQ_U64(vm_find_slot(vm, 0x100000), 1);     /* first page of slot 1 */
	CHECK_EQ_U64(vm_find_slot(vm, 0x17ffff), 1);
	CHECK_EQ_U64((uint64_t)vm_find_slot(vm, 0x180000), (uint64_t)-1);
	uint64_t h0, h1;
	CHECK(vm_gpa_to_hpa(vm, 0x7ffff000, &h0));
	CHECK(vm_gpa_to_hpa(vm, 0x100000000ull, &h1));
	CHECK(h1 > h0);
	CHECK_EQ_U64(h1 & ((1ull << 31) - 1), 0); /* slots are 2 GiB aligned in host memory */

	/* Last-used cache: second lookup in the same slot hits; a miss costs a tree descent. */
	struct vm_probe p;
	CHECK_EQ_U64(vm_memslot_search(vm, 0x100005, &p), 1);
	CHECK(!p.cache_hit);
	CHECK_EQ_U64(p.nrefs, 1 + 1 + 1); /* read last_used (empty), root probe = slot 1 (mid of 2) hits, write last_used */
	CHECK_EQ_U64(vm_memslot_search(vm, 0x100006, &p), 1);
	CHECK(p.cache_hit);
	CHECK_EQ_U64(p.nrefs, 2);
	CHECK_EQ_U64((uint64_t)vm_memslot_search(vm, 0x90000, &p), (uint64_t)-1);

	/* Overlaps and duplicates are rejected. */
	CHECK(vm_add_memslot(vm, 2, 0x7ffff, 1, 0x30000000000ull) == NULL);
	CHECK_STR_CONTAINS(vm_commit_memslots(vm, buf, sizeof(buf)), "overlaps memslot 0 in guest-physical space");
	rmvm(vm);

	vm = mkvm(3, S390_HOST_PAGE_4K, 3);
	CHECK(vm_add_memslot(vm, 0, 0, 0x100, 0x20000000000ull) == NULL);
	CHECK(vm_add_memslot(vm, 1, 0x100, 0x100, 0x200000ff000ull) == NULL);
	CHECK_STR_CONTAINS(vm_commit_memslots(vm, buf, sizeof(buf)), "overlaps memslot 0 in the VMM's address space");
	rmvm(vm);

	vm = mkvm(3, S390_HOST_PAGE_4K, 3);
	CHECK(vm_add_memslot(vm, 7, 0, 0x100, 0x20000000000ull) == NULL);
	CHECK(vm_add_memslot(vm, 7, 0x100, 0x100, 0x21000000000ull) == NULL);
	CHECK_STR_CONTAINS(vm_commit_memslots(vm, buf, sizeof(buf)), "duplicate memslot id 7");
	CHECK_STR_CONTAINS(s390_host_memslot_check(H, 0x1000, 1, 0x40000000000ull), "host address-space limit (raise vm.host_levels)");
	CHECK_STR_CONTAINS(s390_host_memslot_check(H, 1ull << 30, 1, 0x30000000000ull), "root domain's aperture (raise vm.root_levels)");
	rmvm(vm);
}

/* The slot backed at a host-physical address, when the slots' guest-physical and VMM orders are not
 * their host-physical one (backing is allocated in the order slots are added). */
static void test_slot_by_hpa(void)
{
	struct vm *vm = mkvm(3, S390_HOST_PAGE_4K, 3);
	char buf[256];
	CHECK(vm_add_memslot(vm, 0, 0x100000, 0x100, 0x21000000000ull) == NULL); /* gpa 4G, added first */
	CHECK(vm_add_memslot(vm, 1, 0, 0x200, 0x20000000000ull) == NULL);        /* gpa 0, backed above it */
	CHECK(vm_commit_memslots(vm, buf, sizeof(buf)) == NULL);
	uint64_t h4g, h0;
	CHECK(vm_gpa_to_hpa(vm, 0x100000000ull, &h4g));
	CHECK(vm_gpa_to_hpa(vm, 0, &h0));
	CHECK(h0 > h4g);
	CHECK_EQ_U64(vm_slot(vm, (unsigned)vm_find_slot_hpa(vm, h4g))->id, 0);
	CHECK_EQ_U64(vm_slot(vm, (unsigned)vm_find_slot_hpa(vm, h4g + 0xff000))->id, 0); /* its last page */
	CHECK_EQ_U64((uint64_t)vm_find_slot_hpa(vm, h4g + 0x100000), (uint64_t)-1);       /* past its end */
	CHECK_EQ_U64(vm_slot(vm, (unsigned)vm_find_slot_hpa(vm, h0 + 0x1ff123))->id, 1);
	CHECK_EQ_U64((uint64_t)vm_find_slot_hpa(vm, h0 + 0x200000), (uint64_t)-1);
	CHECK_EQ_U64((uint64_t)vm_find_slot_hpa(vm, 0), (uint64_t)-1); /* the host kernel's pool */
	rmvm(vm);
}

static void test_host_walk_pages(void)
{
	static const enum s390_host_page pages[] = {S390_HOST_PAGE_4K, S390_HOST_PAGE_1M, S390_HOST_PAGE_2G};
	static const uint64_t bytes[] = {4096, 1ull << 20, 1ull << 31};
	for (unsigned levels = 3; levels <= 5; levels++) {
		for (int p = 0; p < 3; p++) {
			struct vm *vm = mkvm(levels, pages[p], levels);
			char buf[128];
			CHECK(vm_add_memslot(vm, 0, 0, 0x100000, 0x20000000000ull) == NULL); /* 4 GiB */
			CHECK(vm_commit_memslots(vm, buf, sizeof(buf)) == NULL);
			struct iw_walk w;
			uint64_t hva = 0x20000000000ull + 0x12345678;
			s390_host_walk(H, hva, &w);
			uint64_t hpa;
			CHECK(vm_gpa_to_hpa(vm, 0x12345678, &hpa));
			CHECK_EQ_U64(w.fault, S390_OK);
			CHECK_EQ_U64(w.addr, hpa);
			CHECK_EQ_U64(w.page_bytes, bytes[p]);
			/* Large pages end the walk early: 4K walks all levels, 1M one less, 2G two less. */
			CHECK_EQ_U64(w.nrefs, levels - (unsigned)p);
			s390_root_walk(H, 0x12345678, &w);
			CHECK_EQ_U64(w.fault, S390_OK);
			CHECK_EQ_U64(w.addr, hpa);
			CHECK_EQ_U64(w.nrefs, levels);
			s390_root_walk(H, 0x200000000ull, &w); /* outside guest RAM */
			CHECK_EQ_U64(w.fault, S390_FAULT_INVALID);
			CHECK(!vm_failed(vm));
			rmvm(vm);
		}
	}
}

static void test_big_guest_footprint(void)
{
	/* A 1 TiB guest with a few pages touched materializes only what it touches. */
	struct vm *vm = mkvm(4, S390_HOST_PAGE_4K, 3);
	char buf[128];
	CHECK(vm_add_memslot(vm, 0, 0, 1ull << 28, 0x100000000000ull) == NULL);
	CHECK(vm_commit_memslots(vm, buf, sizeof(buf)) == NULL);
	struct iw_walk w;
	for (uint64_t g = 0; g < (1ull << 40); g += 1ull << 36) {
		s390_root_walk(H, g, &w);
		CHECK_EQ_U64(w.fault, S390_OK);
		s390_host_walk(H, 0x100000000000ull + g, &w);
		CHECK_EQ_U64(w.fault, S390_OK);
	}
	CHECK(physmem_frames(vm_physmem(vm)) < 200);
	rmvm(vm);
}

/* After every step, every page of the window walks to the reference's answer. */
static void matrix_one(unsigned levels, enum s390_host_page page, uint64_t seed)
{
	struct vm *vm = mkvm(levels, page, levels);
	char buf[128];
	CHECK(vm_add_memslot(vm, 0, 0, 0x40000, 0x20000000000ull) == NULL);
	CHECK(vm_commit_memslots(vm, buf, sizeof(buf)) == NULL);
	struct guest_ioat g = {0};
	CHECK(guest_ioat_init(&g, vm, 0x1000000, levels) == NULL);
	/* The full reference map, and the light one (changed pages only) fed by the model's reports: both must
	 * count the same updates and unmap flushes at every refresh. */
	struct checker ref, light;
	CHECK(checker_init(&ref, true) == 0);
	CHECK(checker_init(&light, false) == 0);
	struct rng r;
	rng_seed(&r, seed);
	/* A window of 64 pages straddling a 1 MiB and (for 4+ levels) a region boundary. */
	uint64_t base = levels == 3 ? 0x17ffe0000ull : (1ull << 42) - 0x20000;
	int bad_before = check_failures;
	const struct iw_guest_cb lcb = {.changed = checker_changed, .touch = NULL, .ctx = &light};
	for (int step = 0; step < 200 && check_failures == bad_before; step++) {
		uint64_t pg = rng_below(&r, 64), n = 1 + rng_below(&r, 4);
		if (pg + n > 64)
			n = 64 - pg;
		uint64_t iova = base + pg * 4096;
		if (rng_below(&r, 3) != 0) {
			uint64_t gpa = 0x2000000 + rng_below(&r, 0x1000) * 4096;
			bool ro = rng_below(&r, 4) == 0;
			CHECK(guest_ioat_map(&g, iova, gpa, n * 4096, ro, &lcb) == NULL);
			CHECK(checker_map(&ref, iova, gpa, n * 4096, ro) == 0);
			CHECK(checker_map(&light, iova, gpa, n * 4096, ro) == 0);
		} else {
			guest_ioat_unmap(&g, iova, n * 4096, &lcb);
			CHECK(checker_unmap(&ref, iova, n * 4096) == 0);
			CHECK(checker_unmap(&light, iova, n * 4096) == 0);
		}
		if (rng_below(&r, 4) == 0) {
			uint64_t from = rng_below(&r, 64), len = 1 + rng_below(&r, 64 - from), u1, m1, u2, m2;
			CHECK(checker_rpcit(&ref, base + from * 4096, len * 4096, &u1, &m1) == 0);
			CHECK(checker_rpcit(&light, base + from * 4096, len * 4096, &u2, &m2) == 0);
			CHECK_EQ_U64(u2, u1);
			CHECK_EQ_U64(m2, m1);
		}
		CHECK(!light.failed);
		CHECK_EQ_U64(light.ndirty, ref.ndirty);
		CHECK_EQ_U64(light.guest.len, 0); /* the light map keeps no views */
		for (uint64_t p = 0; p < 64; p++) {
			struct iw_walk w;
			uint64_t a = base + p * 4096;
			s390_walk(&g.table, a, true, &w);
			uint64_t want = checker_guest(&ref, a >> 12);
			if (!want) {
				CHECK_EQ_U64(w.fault, S390_FAULT_INVALID);
			} else if (want & CHECK_RO) {
				CHECK_EQ_U64(w.fault, S390_FAULT_PROTECTION);
				s390_walk(&g.table, a, false, &w);
				CHECK_EQ_U64(w.fault, S390_OK);
				CHECK_EQ_U64(w.addr >> 12, want >> 2);
			} else {
				CHECK_EQ_U64(w.fault, S390_OK);
				CHECK_EQ_U64(w.addr >> 12, want >> 2);
			}
		}
	}
	if (check_failures != bad_before)
		fprintf(stderr, "matrix failure: levels=%u page=%d seed=%" PRIu64 "\n", levels, (int)page, seed);
	CHECK(!vm_failed(vm));
	checker_destroy(&ref);
	checker_destroy(&light);
	rmvm(vm);
}

static void test_matrix(void)
{
	for (unsigned levels = 3; levels <= 5; levels++)
		for (int p = 0; p < 3; p++)
			for (uint64_t seed = 1; seed <= 4; seed++)
				matrix_one(levels, (enum s390_host_page)p, seed * 7919 + levels);
}

static void test_checker_sync(void)
{
	struct checker c;
	CHECK(checker_init(&c, true) == 0);
	CHECK(checker_map(&c, 0x10000, 0x5000, 0x2000, false) == 0);
	CHECK(!checker_in_sync(&c, 0x10));
	CHECK_EQ_U64(checker_synced(&c, 0x10), 0);
	uint64_t up, unm, lo, hi;
	CHECK(checker_dirty_span(&c, &lo, &hi));
	CHECK_EQ_U64(lo, 0x10);
	CHECK_EQ_U64(hi, 0x11);
	CHECK(checker_rpcit(&c, 0x10000, 0x1000, &up, &unm) == 0);
	CHECK_EQ_U64(up, 1);
	CHECK_EQ_U64(unm, 0); /* a refresh after a new mapping: not an unmap flush */
	CHECK(checker_dirty_span(&c, &lo, &hi));
	CHECK_EQ_U64(lo, 0x11);
	CHECK(checker_in_sync(&c, 0x10));
	CHECK(!checker_in_sync(&c, 0x11));
	CHECK_EQ_U64(checker_synced(&c, 0x10), (0x5ull << 2) | CHECK_VALID);
	CHECK(checker_unmap(&c, 0x10000, 0x2000) == 0);
	CHECK_EQ_U64(checker_guest(&c, 0x10), 0);
	CHECK_EQ_U64(checker_synced(&c, 0x10), (0x5ull << 2) | CHECK_VALID);
	CHECK(checker_rpcit(&c, 0, 1ull << 42, &up, &unm) == 0);
	CHECK_EQ_U64(up, 2);
	CHECK_EQ_U64(unm, 2); /* both pages were unmapped since their last refresh */
	CHECK_EQ_U64(checker_synced(&c, 0x10), 0);
	CHECK(checker_in_sync(&c, 0x11));
	CHECK(!checker_dirty_span(&c, &lo, &hi));
	checker_destroy(&c);
}

/* A page remapped twice without an RPCIT: the device may hold any of its mappings since the last
 * RPCIT; the history keeps them, and an RPCIT clears it. */
static void test_checker_history(void)
{
	struct checker c;
	uint64_t up, unm;
	CHECK(checker_init(&c, true) == 0);
	CHECK(checker_map(&c, 0x10000, 0xa000, 0x1000, false) == 0);
	CHECK(checker_rpcit(&c, 0x10000, 0x1000, &up, &unm) == 0);
	CHECK(checker_dirty_of(&c, 0x10) == NULL);
	CHECK(checker_map(&c, 0x10000, 0xb000, 0x1000, false) == 0); /* a -> b: a is the synced view */
	const struct checker_dirty *d = checker_dirty_of(&c, 0x10);
	CHECK(d != NULL);
	CHECK_EQ_U64(d->nseen, 0);
	CHECK(checker_map(&c, 0x10000, 0xc000, 0x1000, true) == 0); /* b -> c: b is intermediate */
	d = checker_dirty_of(&c, 0x10);
	CHECK_EQ_U64(d->nseen, 1);
	CHECK_EQ_U64(d->seen[0], (0xbull << 2) | CHECK_VALID);
	CHECK_EQ_U64(checker_synced(&c, 0x10), (0xaull << 2) | CHECK_VALID);
	CHECK_EQ_U64(checker_guest(&c, 0x10), (0xcull << 2) | CHECK_VALID | CHECK_RO);
	for (int i = 0; i < CHECK_HISTORY + 1; i++)
		CHECK(checker_unmap(&c, 0x10000, 0x1000) == 0 && checker_map(&c, 0x10000, 0xd000, 0x1000, false) == 0);
	CHECK(checker_dirty_of(&c, 0x10)->overflow);
	CHECK(checker_rpcit(&c, 0, 0x100000, &up, &unm) == 0);
	CHECK_EQ_U64(up, 1);
	CHECK_EQ_U64(unm, 1); /* remapped over a valid mapping, then unmapped */
	CHECK(checker_dirty_of(&c, 0x10) == NULL);
	checker_destroy(&c);
}

CHECK_MAIN(CASE(test_memslot_edges), CASE(test_slot_by_hpa), CASE(test_checker_history), CASE(test_host_walk_pages), CASE(test_big_guest_footprint), CASE(test_matrix),
	   CASE(test_checker_sync))
