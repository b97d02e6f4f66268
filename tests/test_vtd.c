/* test_vtd: the VT-d second-stage and first-stage formats, every width and leaf size: entries written with
 * the architecture's bit values as literals (R 0x1, W 0x2, PS 0x80; P 0x1, RW 0x2, U 0x4, XD bit 63: the
 * specification's "Second-Stage Paging Entries" and "First-Stage Paging Entries", as Linux's
 * generic_pt/fmt/vtdss.h and x86_64.h define them), walked, and compared with addresses worked out by hand
 * from the index fields (9 bits a level above the 12-bit page offset). */
#include "check.h"
#include "physmem.h"
#include "vtd.h"

struct tmem {
	struct physmem *pm;
	uint64_t next; /* the bump allocator's next table (tables written by vtd_map) */
};
static struct tmem mem;
static uint64_t nreads; /* entries read through tops */
static uint64_t t_read(void *c, uint64_t a)
{
	nreads++;
	return physmem_read64(((struct tmem *)c)->pm, a);
}
static void t_write(void *c, uint64_t a, uint64_t v) { CHECK(physmem_write64(((struct tmem *)c)->pm, a, v) == 0); }
static uint64_t t_alloc(void *c, uint64_t bytes)
{
	struct tmem *m = c;
	uint64_t a = (m->next + bytes - 1) & ~(bytes - 1);
	m->next = a + bytes;
	return a;
}
static const struct iw_mem_ops tops = {.read64 = t_read, .write64 = t_write, .alloc = t_alloc, .fill64 = NULL};
static void put(uint64_t a, uint64_t v) { t_write(&mem, a, v); }

static void setup(void)
{
	mem.pm = physmem_new();
	mem.next = 0x1000000;
	CHECK(mem.pm != NULL);
}
static void teardown(void) { physmem_free(mem.pm); }

static struct vtd_table table_of(enum vtd_kind kind, unsigned levels, uint64_t root)
{
	return (struct vtd_table){.ops = &tops, .ctx = &mem, .root = root, .levels = levels, .kind = kind};
}

static void check_refs(const struct iw_walk *w, unsigned n, const uint64_t *refs, unsigned first_level)
{
	CHECK_EQ_U64(w->nrefs, n);
	for (unsigned i = 0; i < n && i < w->nrefs; i++) {
		CHECK_EQ_U64(w->refs[i], refs[i]);
		CHECK_EQ_U64(w->ref_level[i], first_level + i);
	}
}

static void test_encodings(void)
{
	CHECK_EQ_U64(vtd_width(3), 39);
	CHECK_EQ_U64(vtd_width(4), 48);
	CHECK_EQ_U64(vtd_width(5), 57);
	CHECK_EQ_U64(vtd_shift(VTD_LEVEL_PD), 21);
	CHECK_EQ_U64(vtd_shift(VTD_LEVEL_PML5), 48);
	CHECK_EQ_U64(vtd_leaf(VTD_SS, VTD_LEVEL_PT, 0x1234000, true), 0x1234003);
	CHECK_EQ_U64(vtd_leaf(VTD_SS, VTD_LEVEL_PD, 0x40000000, false), 0x40000081);
	CHECK_EQ_U64(vtd_nonleaf(VTD_SS, 0x5000), 0x5003);
	CHECK_EQ_U64(vtd_leaf(VTD_FS, VTD_LEVEL_PT, 0x1234000, false), 0x1234005);
	CHECK_EQ_U64(vtd_leaf(VTD_FS, VTD_LEVEL_PDPT, 0x80000000, true), 0x80000087);
	CHECK_EQ_U64(vtd_nonleaf(VTD_FS, 0x5000), 0x5007);
	/* No present bit in the second stage: R or W makes an entry present, an address alone does not. */
	CHECK(!vtd_present(VTD_SS, 0x33000 | (1ull << 11)) && vtd_present(VTD_SS, 0x2) && vtd_present(VTD_SS, 0x1));
	CHECK(!vtd_present(VTD_FS, 0x33006) && vtd_present(VTD_FS, 0x1));
	CHECK(vtd_levels_check(VTD_SS, 3) == NULL && vtd_levels_check(VTD_SS, 5) == NULL && vtd_levels_check(VTD_SS, 2) != NULL);
	CHECK(vtd_levels_check(VTD_FS, 4) == NULL && vtd_levels_check(VTD_FS, 3) != NULL && vtd_levels_check(VTD_FS, 6) != NULL);
}

/* Second stage, 3 levels (39 bits), a read-only 4 KiB leaf: iova 0x40403045 = PDPT 1, PD 2, PT 3, offset 0x45. */
static void test_ss39_4k(void)
{
	put(0x10000 + 1 * 8, 0x11000 | 0x3);
	put(0x11000 + 2 * 8, 0x12000 | 0x3);
	put(0x12000 + 3 * 8, 0xabcde000 | 0x1);
	struct vtd_table t = table_of(VTD_SS, 3, 0x10000);
	struct iw_walk w;
	vtd_walk(&t, 0x40403045, false, &w);
	CHECK_EQ_U64(w.fault, VTD_OK);
	CHECK_EQ_U64(w.addr, 0xabcde045);
	CHECK_EQ_U64(w.page_bytes, 4096);
	CHECK(!w.writable);
	const uint64_t refs[] = {0x10008, 0x11010, 0x12018};
	check_refs(&w, 3, refs, VTD_LEVEL_PDPT);
	vtd_walk(&t, 0x40403045, true, &w);
	CHECK_EQ_U64(w.fault, VTD_FAULT_WRITE_RO);
	CHECK_EQ_U64(w.fault_level, VTD_LEVEL_PT);
	/* Beyond 39 bits: no entry read. */
	vtd_walk(&t, 1ull << 39, false, &w);
	CHECK_EQ_U64(w.fault, VTD_FAULT_BEYOND_WIDTH);
	CHECK_EQ_U64(w.nrefs, 0);
	/* An entry with an address and SNP but neither R nor W is not present. */
	put(0x12000 + 4 * 8, 0xabcdf000 | (1ull << 11));
	vtd_walk(&t, 0x40404000, false, &w);
	CHECK_EQ_U64(w.fault, VTD_FAULT_NOT_PRESENT);
	CHECK_EQ_U64(w.fault_level, VTD_LEVEL_PT);
	CHECK_EQ_U64(w.nrefs, 3);
	/* The walk from the PD entry's resume value reads what the whole walk reads from there. */
	struct iw_walk full, part;
	vtd_walk(&t, 0x40403045, false, &full);
	vtd_walk_from(&t, 0x40403045, false, VTD_LEVEL_PD, full.resume[0], &part);
	CHECK_EQ_U64(part.addr, 0xabcde045);
	CHECK_EQ_U64(part.nrefs, 2);
	CHECK_EQ_U64(part.refs[0], 0x11010);
	CHECK_EQ_U64(vtd_ss_format.aperture(&t), 1ull << 39);
}

/* Second stage, 4 levels (48 bits), a writable 2 MiB leaf at the PD: iova 5<<39 | 7<<30 | 9<<21 | 0x12345. */
static void test_ss48_2m(void)
{
	uint64_t iova = (5ull << 39) | (7ull << 30) | (9ull << 21) | 0x12345;
	put(0x20000 + 5 * 8, 0x21000 | 0x3);
	put(0x21000 + 7 * 8, 0x22000 | 0x3);
	put(0x22000 + 9 * 8, 0x40000000 | 0x83);
	struct vtd_table t = table_of(VTD_SS, 4, 0x20000);
	struct iw_walk w;
	vtd_walk(&t, iova, true, &w);
	CHECK_EQ_U64(w.fault, VTD_OK);
	CHECK_EQ_U64(w.addr, 0x40012345);
	CHECK_EQ_U64(w.page_bytes, 2u << 20);
	CHECK(w.writable);
	const uint64_t refs[] = {0x20028, 0x21038, 0x22048};
	check_refs(&w, 3, refs, VTD_LEVEL_PML4);
	/* The last page of the 2 MiB leaf. */
	vtd_walk(&t, iova | 0x1fffff, false, &w);
	CHECK_EQ_U64(w.addr, 0x401fffff);
	/* A read-only entry above a writable leaf makes the page read-only. */
	put(0x21000 + 7 * 8, 0x22000 | 0x1);
	vtd_walk(&t, iova, true, &w);
	CHECK_EQ_U64(w.fault, VTD_FAULT_WRITE_RO);
	CHECK_EQ_U64(vtd_count_pages(&t), 512);
}

/* Second stage, 5 levels (57 bits), a 1 GiB leaf at the PDPT; PS in a PML4E is a reserved field. */
static void test_ss57_1g(void)
{
	uint64_t iova = (3ull << 48) | (4ull << 39) | (6ull << 30) | 0x1234567;
	put(0x30000 + 3 * 8, 0x31000 | 0x3);
	put(0x31000 + 4 * 8, 0x32000 | 0x3);
	put(0x32000 + 6 * 8, 0x80000000 | 0x83);
	struct vtd_table t = table_of(VTD_SS, 5, 0x30000);
	struct iw_walk w;
	vtd_walk(&t, iova, false, &w);
	CHECK_EQ_U64(w.fault, VTD_OK);
	CHECK_EQ_U64(w.addr, 0x81234567);
	CHECK_EQ_U64(w.page_bytes, 1u << 30);
	const uint64_t refs[] = {0x30018, 0x31020, 0x32030};
	check_refs(&w, 3, refs, VTD_LEVEL_PML5);
	put(0x31000 + 4 * 8, 0x32000 | 0x83);
	vtd_walk(&t, iova, false, &w);
	CHECK_EQ_U64(w.fault, VTD_FAULT_RESERVED);
	CHECK_EQ_U64(w.fault_level, VTD_LEVEL_PML4);
	CHECK_EQ_U64(w.nrefs, 2);
	vtd_walk(&t, 1ull << 57, false, &w);
	CHECK_EQ_U64(w.fault, VTD_FAULT_BEYOND_WIDTH);
}

/* First stage, 4 levels: the last page of the lower canonical half (PML4 255, PDPT 511, PD 511, PT 511),
 * read-only and XD; U required on the path; addresses from 2^47 up are beyond the domain. */
static void test_fs48(void)
{
	uint64_t iova = 0x7ffffffff123ull;
	put(0x50000 + 255 * 8, 0x51000 | 0x7);
	put(0x51000 + 511 * 8, 0x52000 | 0x7);
	put(0x52000 + 511 * 8, 0x53000 | 0x7);
	put(0x53000 + 511 * 8, 0xdead000 | 0x5 | (1ull << 63));
	struct vtd_table t = table_of(VTD_FS, 4, 0x50000);
	struct iw_walk w;
	vtd_walk(&t, iova, false, &w);
	CHECK_EQ_U64(w.fault, VTD_OK);
	CHECK_EQ_U64(w.addr, 0xdead123);
	CHECK(!w.writable);
	const uint64_t refs[] = {0x507f8, 0x51ff8, 0x52ff8, 0x53ff8};
	check_refs(&w, 4, refs, VTD_LEVEL_PML4);
	vtd_walk(&t, iova, true, &w);
	CHECK_EQ_U64(w.fault, VTD_FAULT_WRITE_RO);
	vtd_walk(&t, 1ull << 47, false, &w);
	CHECK_EQ_U64(w.fault, VTD_FAULT_BEYOND_WIDTH);
	vtd_walk(&t, 0xffff800000000000ull, false, &w);
	CHECK_EQ_U64(w.fault, VTD_FAULT_BEYOND_WIDTH);
	CHECK_EQ_U64(vtd_fs_format.aperture(&t), 1ull << 47);
	/* A supervisor-only PD entry (U clear): a request without PASID is refused at the leaf. */
	put(0x52000 + 511 * 8, 0x53000 | 0x3);
	vtd_walk(&t, iova, false, &w);
	CHECK_EQ_U64(w.fault, VTD_FAULT_PRIVILEGE);
	CHECK_EQ_U64(w.nrefs, 4);
	/* A 1 GiB first-stage leaf (PS at the PDPT). */
	put(0x51000 + 510 * 8, 0xc0000000 | 0x87);
	vtd_walk(&t, (255ull << 39) | (510ull << 30) | 0x3456789, true, &w);
	CHECK_EQ_U64(w.fault, VTD_OK);
	CHECK_EQ_U64(w.addr, 0xc3456789);
	CHECK_EQ_U64(w.page_bytes, 1u << 30);
	CHECK_EQ_U64(w.nrefs, 2);
}

/* First stage, 5 levels (57 bits): a 2 MiB leaf. */
static void test_fs57_2m(void)
{
	uint64_t iova = (1ull << 48) | (2ull << 39) | (3ull << 30) | (4ull << 21) | 0xabcde;
	put(0x60000 + 1 * 8, 0x61000 | 0x7);
	put(0x61000 + 2 * 8, 0x62000 | 0x7);
	put(0x62000 + 3 * 8, 0x63000 | 0x7);
	put(0x63000 + 4 * 8, 0x600000 | 0x87);
	struct vtd_table t = table_of(VTD_FS, 5, 0x60000);
	struct iw_walk w;
	vtd_walk(&t, iova, true, &w);
	CHECK_EQ_U64(w.fault, VTD_OK);
	CHECK_EQ_U64(w.addr, 0x6abcde);
	CHECK_EQ_U64(w.page_bytes, 2u << 20);
	CHECK_EQ_U64(w.nrefs, 4);
	CHECK_EQ_U64(w.ref_level[0], VTD_LEVEL_PML5);
	vtd_walk(&t, 1ull << 56, false, &w);
	CHECK_EQ_U64(w.fault, VTD_FAULT_BEYOND_WIDTH);
}

/* Every width of both stages with every leaf size: the path of iova written entry by entry with the
 * architecture's bit values (SS non-leaf R|W = 0x3, leaf R|W|PS = 0x83 above the PTE; FS non-leaf
 * P|RW|U = 0x7, leaf 0x87 above the PTE), a fresh table each time; the walk reads one entry a level from
 * the root down to the leaf, at table + 8 x (the iova's 9-bit index there), and translates to the leaf's
 * frame plus the offset below the leaf's size. */
static void test_every_width_and_leaf(void)
{
	static const struct {
		int fs;
		unsigned levels;
	} widths[] = {{0, 3}, {0, 4}, {0, 5}, {1, 4}, {1, 5}};
	static const unsigned leaf_shift[] = {12, 21, 30};
	uint64_t next = 0x8000000;
	for (unsigned wi = 0; wi < 5; wi++) {
		for (unsigned li = 0; li < 3; li++) {
			unsigned levels = widths[wi].levels, shift = leaf_shift[li];
			unsigned width = 12 + 9 * levels, top = width - (widths[wi].fs ? 1 : 0);
			/* An iova with every index field non-zero below the top, inside the aperture. */
			uint64_t iova = 0x0000123456789abcull & ((1ull << top) - 1);
			iova |= 1ull << (top - 2); /* a non-zero top index */
			uint64_t root = next, table = root, frame = 0x40000000000ull;
			next += 0x10000;
			unsigned n = 0;
			uint64_t refs[5];
			for (unsigned s = width - 9; ; s -= 9) {
				uint64_t ea = table + ((iova >> s) & 511) * 8;
				refs[n++] = ea;
				if (s == shift) {
					put(ea, frame | (shift == 12 ? 0x3ull : 0x83ull) | (widths[wi].fs ? 0x4 : 0));
					break;
				}
				table = next;
				next += 0x1000;
				put(ea, table | (widths[wi].fs ? 0x7 : 0x3));
			}
			struct vtd_table t = table_of(widths[wi].fs ? VTD_FS : VTD_SS, levels, root);
			struct iw_walk w;
			vtd_walk(&t, iova, true, &w);
			CHECK_EQ_U64(w.fault, VTD_OK);
			CHECK_EQ_U64(w.addr, frame | (iova & ((1ull << shift) - 1)));
			CHECK_EQ_U64(w.page_bytes, 1ull << shift);
			CHECK(w.writable);
			CHECK_EQ_U64(w.nrefs, n);
			for (unsigned i = 0; i < n && i < w.nrefs; i++) {
				CHECK_EQ_U64(w.refs[i], refs[i]);
				CHECK_EQ_U64(w.ref_level[i], 5 - levels + i);
			}
		}
	}
}

/* Page-selective invalidation: the smallest aligned power of two of pages; domain above MAMV. */
static void test_inval(void)
{
	struct iw_inval a = {.scope = IW_INVAL_RANGE, .addr = 0x1000, .len = 0x1000};
	vtd_inval_round(&a, 9);
	CHECK(a.scope == IW_INVAL_RANGE && a.addr == 0x1000 && a.len == 0x1000);
	struct iw_inval b = {.scope = IW_INVAL_RANGE, .addr = 0x1000, .len = 0x2000}; /* pages 1, 2: am 2 */
	vtd_inval_round(&b, 9);
	CHECK(b.scope == IW_INVAL_RANGE && b.addr == 0 && b.len == 0x4000);
	struct iw_inval c = {.scope = IW_INVAL_RANGE, .addr = 0x200000, .len = 0x200000}; /* 512 aligned: am 9 */
	vtd_inval_round(&c, 9);
	CHECK(c.scope == IW_INVAL_RANGE && c.addr == 0x200000 && c.len == 0x200000);
	struct iw_inval d = {.scope = IW_INVAL_RANGE, .addr = 0x1ff000, .len = 0x2000}; /* crosses 2 MiB: am 10 */
	vtd_inval_round(&d, 9);
	CHECK(d.scope == IW_INVAL_DOMAIN);
}

/* The table writers: 2 MiB leaves where aligned, 4 KiB elsewhere; an unmap that cuts a large leaf splits
 * it; the pages heard as changed. */
static unsigned nchanged;
static void changed(void *ctx, uint64_t iova)
{
	(void)ctx;
	(void)iova;
	nchanged++;
}

static void test_map_unmap(void)
{
	for (int k = 0; k < 2; k++) {
		enum vtd_kind kind = k ? VTD_FS : VTD_SS;
		struct vtd_table t = table_of(kind, 4, t_alloc(&mem, 4096));
		/* 4 MiB at 2 MiB-aligned iova and pa: two PD leaves; then 3 pages at an unaligned pa. */
		CHECK(vtd_map(&t, 0x200000, 0x40000000, 0x400000, true, 21, changed, NULL, NULL) == NULL);
		CHECK(vtd_map(&t, 0x1000000, 0x50001000, 0x3000, false, 21, changed, NULL, NULL) == NULL);
		CHECK_EQ_U64(vtd_count_pages(&t), 1027);
		struct iw_walk w;
		vtd_walk(&t, 0x3ff123, false, &w);
		CHECK(w.fault == VTD_OK && w.addr == 0x401ff123 && w.page_bytes == (2u << 20) && w.nrefs == 3);
		vtd_walk(&t, 0x1002000, true, &w);
		CHECK_EQ_U64(w.fault, VTD_FAULT_WRITE_RO);
		/* A map over a mapped page replaces it (heard), nothing else is heard. */
		nchanged = 0;
		CHECK(vtd_map(&t, 0x1001000, 0x60000000, 0x1000, true, 21, changed, NULL, NULL) == NULL);
		CHECK_EQ_U64(nchanged, 1);
		/* Unmapping one page of the first 2 MiB leaf splits it: 511 of its pages stay where they were. */
		nchanged = 0;
		vtd_unmap(&t, 0x300000, 0x1000, changed, NULL, NULL);
		CHECK_EQ_U64(nchanged, 1);
		CHECK_EQ_U64(vtd_count_pages(&t), 1026);
		vtd_walk(&t, 0x300000, false, &w);
		CHECK(w.fault == VTD_FAULT_NOT_PRESENT && w.fault_level == VTD_LEVEL_PT);
		vtd_walk(&t, 0x301abc, true, &w);
		CHECK(w.fault == VTD_OK && w.addr == 0x40101abc && w.page_bytes == 4096 && w.writable);
		/* Unmapping the second leaf whole clears it at the PD (512 pages heard). */
		nchanged = 0;
		vtd_unmap(&t, 0x400000, 0x200000, changed, NULL, NULL);
		CHECK_EQ_U64(nchanged, 512);
		CHECK_EQ_U64(vtd_count_pages(&t), 514);
		/* 4 KiB only: a 2 MiB-aligned map of 2 MiB makes 512 PTEs. */
		CHECK(vtd_map(&t, 0x800000, 0x70000000, 0x200000, true, 12, NULL, NULL, NULL) == NULL);
		vtd_walk(&t, 0x800000, false, &w);
		CHECK(w.fault == VTD_OK && w.page_bytes == 4096 && w.nrefs == 4);
		/* An entry holds address bits 51:12: a page ending at 2^52 maps, one past it is refused and
		 * nothing of it is written. */
		CHECK(vtd_map(&t, 0xa00000, (1ull << 52) - 0x1000, 0x1000, true, 12, NULL, NULL, NULL) == NULL);
		vtd_walk(&t, 0xa00fff, false, &w);
		CHECK(w.fault == VTD_OK && w.addr == (1ull << 52) - 1);
		CHECK(vtd_map(&t, 0xb00000, (1ull << 52) - 0x1000, 0x2000, true, 12, NULL, NULL, NULL) != NULL);
		CHECK(vtd_map(&t, 0xb00000, 0x3e666666668a6000ull, 0x1000, true, 12, NULL, NULL, NULL) != NULL);
		vtd_walk(&t, 0xb00000, false, &w);
		CHECK_EQ_U64(w.fault, VTD_FAULT_NOT_PRESENT);
	}
}

/* An unmap's cost follows the tables, not the range: 1 TiB of a 4-level table holding one page (found by
 * fuzz_run: it stepped 4 KiB at a time, 2^28 steps) reads a few entries per absent table it skips. */
static void test_unmap_sparse(void)
{
	for (int k = 0; k < 2; k++) {
		struct vtd_table t = table_of(k ? VTD_FS : VTD_SS, 4, t_alloc(&mem, 4096));
		CHECK(vtd_map(&t, 0x13ffff000, 0x8ecea000, 0x1000, false, 21, NULL, NULL, NULL) == NULL);
		nreads = 0;
		nchanged = 0;
		vtd_unmap(&t, 0x13fffd000, 1ull << 40, changed, NULL, NULL);
		CHECK_EQ_U64(nchanged, 1); /* the one mapped page, heard */
		CHECK(nreads < 20000);     /* 2^28 pages of range: before, about 5 reads each */
		CHECK_EQ_U64(vtd_count_pages(&t), 0);
	}
}

CHECK_MAIN(CASE(setup), CASE(test_encodings), CASE(test_ss39_4k), CASE(test_ss48_2m), CASE(test_ss57_1g), CASE(test_fs48),
	   CASE(test_fs57_2m), CASE(test_inval), CASE(test_map_unmap), CASE(test_unmap_sparse), CASE(test_every_width_and_leaf), CASE(teardown))
