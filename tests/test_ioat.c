/* test_ioat: s390 IO table format: indexes, entries, walks, faults, large frames, 3/4/5 levels. */
#include "check.h"
#include "ioat.h"
#include "physmem.h"

/* A flat test memory: physmem plus a bump allocator. */
struct tmem {
	struct physmem *pm;
	uint64_t next;
};
static uint64_t t_read(void *c, uint64_t a) { return physmem_read64(((struct tmem *)c)->pm, a); }
static void t_write(void *c, uint64_t a, uint64_t v) { CHECK(physmem_write64(((struct tmem *)c)->pm, a, v) == 0); }
static uint64_t t_alloc(void *c, uint64_t bytes)
{
	struct tmem *m = c;
	uint64_t a = (m->next + bytes - 1) & ~(bytes - 1);
	m->next = a + bytes;
	return a;
}
static const struct iw_mem_ops tops = {.read64 = t_read, .write64 = t_write, .alloc = t_alloc, .fill64 = NULL};

static void test_constants(void)
{
	CHECK_EQ_U64(S390_TABLE_BYTES, 0x4000);
	CHECK_EQ_U64(S390_PT_BYTES, 0x800);
	CHECK_EQ_U64(S390_ST_SHIFT, 20);
	CHECK_EQ_U64(S390_RT_SHIFT, 31);
	CHECK_EQ_U64(S390_RS_SHIFT, 42);
	CHECK_EQ_U64(S390_RF_SHIFT, 53);
	CHECK_EQ_U64(s390_aperture_bytes(S390_LEVEL_RT), 1ull << 42);
	CHECK_EQ_U64(s390_aperture_bytes(S390_LEVEL_RS), 1ull << 53);
	CHECK_EQ_U64(s390_aperture_bytes(S390_LEVEL_RF), 0);
	CHECK_EQ_U64(s390_iota(0x1000000, 3), 0x1000804);
	CHECK_EQ_U64(s390_iota(0x1000000, 4), 0x1000808);
	CHECK_EQ_U64(s390_iota(0x1000000, 5), 0x100080c);
}

static void test_indexes(void)
{
	CHECK_EQ_U64(s390_index(S390_LEVEL_PT, 0), 0);
	CHECK_EQ_U64(s390_index(S390_LEVEL_ST, 0), 0);
	CHECK_EQ_U64(s390_index(S390_LEVEL_PT, (1ull << 20) - 1), 0xff);
	CHECK_EQ_U64(s390_index(S390_LEVEL_ST, (1ull << 20) - 1), 0);
	CHECK_EQ_U64(s390_index(S390_LEVEL_ST, 1ull << 20), 1);
	CHECK_EQ_U64(s390_index(S390_LEVEL_RT, (1ull << 31) - 1), 0);
	CHECK_EQ_U64(s390_index(S390_LEVEL_ST, (1ull << 31) - 1), 0x7ff);
	CHECK_EQ_U64(s390_index(S390_LEVEL_RT, 1ull << 31), 1);
	CHECK_EQ_U64(s390_index(S390_LEVEL_ST, 1ull << 31), 0);
	uint64_t end = (1ull << 42) - 1; /* last byte of the RT aperture */
	CHECK_EQ_U64(s390_index(S390_LEVEL_RT, end), 0x7ff);
	CHECK_EQ_U64(s390_index(S390_LEVEL_ST, end), 0x7ff);
	CHECK_EQ_U64(s390_index(S390_LEVEL_PT, end), 0xff);
	CHECK_EQ_U64(s390_index(S390_LEVEL_RS, end), 0);
	CHECK_EQ_U64(s390_index(S390_LEVEL_RS, 1ull << 42), 1);
	CHECK_EQ_U64(s390_index(S390_LEVEL_RF, UINT64_MAX), 0x7ff);
	CHECK_EQ_U64(s390_index(S390_LEVEL_RF, 1ull << 53), 1);
	/* The thread's example IOVA: 0x13fffe000 = RT 2, ST 0x3ff, PT 0xfe. */
	CHECK_EQ_U64(s390_index(S390_LEVEL_RT, 0x13fffe000ull), 2);
	CHECK_EQ_U64(s390_index(S390_LEVEL_ST, 0x13fffe000ull), 0x3ff);
	CHECK_EQ_U64(s390_index(S390_LEVEL_PT, 0x13fffe000ull), 0xfe);
}

static void test_entries(void)
{
	CHECK_EQ_U64(s390_entry_table(S390_LEVEL_RT, 0x1234c000), 0x1234c000 | 0x4 | 0x3);
	CHECK_EQ_U64(s390_entry_table(S390_LEVEL_RS, 0x8000), 0x8000 | 0x8 | 0x3);
	CHECK_EQ_U64(s390_entry_table(S390_LEVEL_RF, 0x8000), 0x8000 | 0xc | 0x3);
	CHECK_EQ_U64(s390_entry_table(S390_LEVEL_ST, 0x1800), 0x1800);
	CHECK_EQ_U64(s390_entry_page(0x4dbb000, false), 0x4dbb000);
	CHECK_EQ_U64(s390_entry_page(0x4dbb000, true), 0x4dbb200);
	CHECK_EQ_U64(s390_entry_large(S390_LEVEL_ST, 0x300000, true), 0x300000 | 0x400 | 0x200);
	CHECK_EQ_U64(s390_entry_invalid(S390_LEVEL_PT), 0x400);
	CHECK_EQ_U64(s390_entry_invalid(S390_LEVEL_ST), 0x20);
	CHECK(!s390_entry_valid(S390_LEVEL_PT, 0x4dbb400));
	CHECK(s390_entry_valid(S390_LEVEL_ST, 0x1800));
	CHECK(!s390_entry_valid(S390_LEVEL_RT, 0x20));
	CHECK_EQ_U64(s390_entry_origin(S390_LEVEL_RT, 0x1234c007), 0x1234c000);
	CHECK_EQ_U64(s390_entry_origin(S390_LEVEL_ST, 0x1a00), 0x1800);
	CHECK_EQ_U64(s390_entry_origin(S390_LEVEL_ST, 0x300600), 0x300000);
	CHECK_EQ_U64(s390_entry_origin(S390_LEVEL_PT, 0x4dbb600), 0x4dbb000);
}

static void walk_map_levels(unsigned levels)
{
	struct tmem m = {physmem_new(), 0x10000};
	struct s390_table t;
	CHECK(s390_table_init(&t, &tops, &m, levels) == 0);
	uint64_t iova = levels == 3 ? 0x13fffe000ull : (5ull << 42) + 0x13fffe000ull;
	CHECK(s390_map(&t, iova, 0x4dbb000, S390_LEVEL_PT, false) == 0);
	struct iw_walk w;
	s390_walk(&t, iova + 0x123, true, &w);
	CHECK_EQ_U64(w.fault, S390_OK);
	CHECK_EQ_U64(w.addr, 0x4dbb123);
	CHECK_EQ_U64(w.page_bytes, 4096);
	CHECK_EQ_U64(w.nrefs, levels);
	CHECK_EQ_U64(w.refs[0], t.origin + 8ull * s390_index(s390_root_level(levels), iova));
	CHECK_EQ_U64(w.ref_level[w.nrefs - 1], S390_LEVEL_PT);
	/* Neighbour page in the same PT: invalid PTE. Neighbour segment: invalid STE. */
	s390_walk(&t, iova + 0x1000, false, &w);
	CHECK_EQ_U64(w.fault, S390_FAULT_INVALID);
	CHECK_EQ_U64(w.fault_level, S390_LEVEL_PT);
	s390_walk(&t, iova + (1ull << 20), false, &w);
	CHECK_EQ_U64(w.fault, S390_FAULT_INVALID);
	CHECK_EQ_U64(w.fault_level, S390_LEVEL_ST);
	CHECK_EQ_U64(w.nrefs, levels - 1);
	CHECK(s390_unmap(&t, iova));
	CHECK(!s390_unmap(&t, iova));
	s390_walk(&t, iova, false, &w);
	CHECK_EQ_U64(w.fault, S390_FAULT_INVALID);
	CHECK_EQ_U64(physmem_read64(m.pm, w.refs[w.nrefs - 1]), 0x4dbb400); /* frame kept, invalid bit set */
	if (levels == 3) {
		s390_walk(&t, 1ull << 42, false, &w);
		CHECK_EQ_U64(w.fault, S390_FAULT_OUT_OF_RANGE);
		CHECK_EQ_U64(w.nrefs, 0);
	}
	physmem_free(m.pm);
}

static void test_levels(void)
{
	walk_map_levels(3);
	walk_map_levels(4);
	walk_map_levels(5);
}

static void test_faults(void)
{
	struct tmem m = {physmem_new(), 0x10000};
	struct s390_table t;
	CHECK(s390_table_init(&t, &tops, &m, 3) == 0);
	CHECK(s390_map(&t, 0x100000000ull, 0x5000, S390_LEVEL_PT, true) == 0);
	struct iw_walk w;
	s390_walk(&t, 0x100000000ull, true, &w);
	CHECK_EQ_U64(w.fault, S390_FAULT_PROTECTION);
	s390_walk(&t, 0x100000000ull, false, &w);
	CHECK_EQ_U64(w.fault, S390_OK);
	CHECK(!w.writable);
	uint64_t rte = t.origin + 8 * 2;
	uint64_t good = physmem_read64(m.pm, rte);
	physmem_write64(m.pm, rte, (good & ~0x3ull) | 0x1); /* table length 1 */
	s390_walk(&t, 0x100000000ull, false, &w);
	CHECK_EQ_U64(w.fault, S390_FAULT_TABLE_LENGTH);
	CHECK_EQ_U64(w.fault_level, S390_LEVEL_RT);
	physmem_write64(m.pm, rte, good | 0x40); /* table offset */
	s390_walk(&t, 0x100000000ull, false, &w);
	CHECK_EQ_U64(w.fault, S390_FAULT_TABLE_LENGTH);
	physmem_write64(m.pm, rte, (good & ~0xcull) | 0x8); /* RSX type in an RT table */
	s390_walk(&t, 0x100000000ull, false, &w);
	CHECK_EQ_U64(w.fault, S390_FAULT_TABLE_TYPE);
	/* An all-zero region entry is valid by its invalid bit and fails the type check (SX bits in an RT). */
	physmem_write64(m.pm, rte, 0);
	s390_walk(&t, 0x100000000ull, false, &w);
	CHECK_EQ_U64(w.fault, S390_FAULT_TABLE_TYPE);
	CHECK_EQ_U64(w.fault_level, S390_LEVEL_RT);
	physmem_write64(m.pm, rte, good | S390_TABLE_INVALID);
	s390_walk(&t, 0x100000000ull, false, &w);
	CHECK_EQ_U64(w.fault, S390_FAULT_INVALID);
	physmem_write64(m.pm, rte, good);
	/* An all-zero PTE is a valid read-write mapping of frame 0 (pt_entry_isvalid() tests bit 0x400 only). */
	CHECK(s390_map(&t, 0x100002000ull, 0, S390_LEVEL_PT, false) == 0);
	s390_walk(&t, 0x100002010ull, true, &w);
	CHECK_EQ_U64(w.fault, S390_OK);
	CHECK_EQ_U64(w.addr, 0x10);
	CHECK(w.writable);
	CHECK_EQ_U64(physmem_read64(m.pm, w.refs[w.nrefs - 1]), 0);
	/* Protection on an upper level makes the whole subtree read-only. */
	CHECK(s390_map(&t, 0x100001000ull, 0x6000, S390_LEVEL_PT, false) == 0);
	physmem_write64(m.pm, rte, good | S390_TABLE_PROTECTED);
	s390_walk(&t, 0x100001000ull, true, &w);
	CHECK_EQ_U64(w.fault, S390_FAULT_PROTECTION);
	for (int f = 0; f < S390_FAULT_COUNT; f++)
		CHECK(strcmp(s390_fault_name((enum s390_fault)f), "?") != 0);
	physmem_free(m.pm);
}

static void test_large(void)
{
	struct tmem m = {physmem_new(), 0x10000};
	struct s390_table t;
	CHECK(s390_table_init(&t, &tops, &m, 3) == 0);
	t.large_st = true;
	t.large_rt = true;
	CHECK(s390_map(&t, 0x100000000ull, 0x40000000ull, S390_LEVEL_ST, false) == 0);
	struct iw_walk w;
	s390_walk(&t, 0x1000fffffull, true, &w);
	CHECK_EQ_U64(w.fault, S390_OK);
	CHECK_EQ_U64(w.addr, 0x400fffffull);
	CHECK_EQ_U64(w.page_bytes, 1ull << 20);
	CHECK_EQ_U64(w.nrefs, 2);
	CHECK(s390_map(&t, 0x200000000ull, 0x80000000ull, S390_LEVEL_RT, true) == 0);
	s390_walk(&t, 0x27fffffffull, false, &w);
	CHECK_EQ_U64(w.fault, S390_OK);
	CHECK_EQ_U64(w.addr, 0xffffffffull);
	CHECK_EQ_U64(w.page_bytes, 1ull << 31);
	CHECK_EQ_U64(w.nrefs, 1);
	/* Without format control honoured, the ST entry is followed as a page-table origin. */
	t.large_st = false;
	s390_walk(&t, 0x100000000ull, false, &w);
	CHECK_EQ_U64(w.nrefs, 3);
	physmem_free(m.pm);
}

/* walk_from() from any entry a whole walk went through gives the whole walk's result and its entries
 * below that one: 3/4/5 levels, random mappings (4 KiB, read-only, 1 MiB and 2 GiB frames), some upper
 * entries protected, invalid or of a wrong type, reads and writes. */
static void test_walk_from(void)
{
	uint64_t x = 777;
	for (unsigned levels = 3; levels <= 5; levels++) {
		struct tmem m = {physmem_new(), 0x10000};
		struct s390_table t;
		CHECK(s390_table_init(&t, &tops, &m, levels) == 0);
		t.large_st = t.large_rt = true;
		uint64_t mapped[400];
		for (int i = 0; i < 400; i++) {
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			uint64_t iova = mapped[i] = ((x >> 8) % (16ull << 30)) & ~0xfffull; /* 16 GiB: several RT entries */
			/* 2 GiB frames above 14 GiB, 1 MiB frames from 8 to 12 GiB (where no page table is), pages
			 * elsewhere. */
			if (iova >= (14ull << 30))
				CHECK(s390_map(&t, iova & ~((1ull << 31) - 1), 0x80000000ull, S390_LEVEL_RT, x & 1) == 0);
			else if (iova >= (8ull << 30) && iova < (12ull << 30))
				CHECK(s390_map(&t, iova & ~((1ull << 20) - 1), 0x40000000ull, S390_LEVEL_ST, x & 1) == 0);
			else
				CHECK(s390_map(&t, iova, (x >> 4) & 0xfffff000ull, S390_LEVEL_PT, (x & 3) == 0) == 0);
		}
		/* Damage some entries right above a leaf (protected, invalid, wrong type), and protect one
		 * region-third entry (a read-only subtree). */
		for (int i = 0; i < 40; i++) {
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			struct iw_walk w;
			s390_walk(&t, mapped[(x >> 20) % 400], false, &w);
			unsigned k = w.nrefs - 1; /* the segment entry above a page table; the RT entry for i == 0 */
			while (k > 0 && w.ref_level[k] != (i ? S390_LEVEL_ST : S390_LEVEL_RT))
				k--;
			if (w.ref_level[k] != (i ? S390_LEVEL_ST : S390_LEVEL_RT) || k + 1 >= w.nrefs)
				continue;
			uint64_t ea = w.refs[k], e = physmem_read64(m.pm, ea);
			uint64_t bits[3] = {S390_TABLE_PROTECTED, S390_TABLE_INVALID, 0x4};
			physmem_write64(m.pm, ea, e ^ (i ? bits[(x >> 40) % 3] : S390_TABLE_PROTECTED));
		}
		unsigned tried = 0;
		for (int i = 0; i < 3000; i++) {
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			/* Mostly near a mapping (its segment or region), else anywhere (most of it unmapped). */
			uint64_t near = mapped[(x >> 20) % 400] ^ (((x >> 4) & 0xff) << (i % 3 ? 12 : 21));
			uint64_t iova = (i % 4 ? near : (x >> 8) % (17ull << 30)) | (x & 0xfff);
			bool write = x & 1;
			struct iw_walk full, part;
			s390_walk(&t, iova, write, &full);
			for (unsigned r = 0; r + 1 < full.nrefs; r++) {
				unsigned level = full.ref_level[r] + 1;
				s390_ioat_format.walk_from(&t, iova, write, level, full.resume[r], &part);
				tried++;
				CHECK_EQ_U64(part.fault, full.fault);
				CHECK_EQ_U64(part.addr, full.addr);
				CHECK_EQ_U64(part.page_bytes, full.page_bytes);
				CHECK_EQ_U64(part.writable, full.writable);
				if (full.fault != S390_OK)
					CHECK_EQ_U64(part.fault_level, full.fault_level);
				CHECK_EQ_U64(part.nrefs, full.nrefs - r - 1);
				for (unsigned k = 0; k < part.nrefs; k++) {
					CHECK_EQ_U64(part.refs[k], full.refs[r + 1 + k]);
					CHECK_EQ_U64(part.ref_level[k], full.ref_level[r + 1 + k]);
				}
			}
		}
		CHECK(tried > 1000);
		physmem_free(m.pm);
	}
}

/* physmem_fill64() leaves the memory that many physmem_write64() calls leave: two memories, random
 * ranges (within a frame, across frames, over absent frames) and values (0 included), compared word by
 * word; the fills make no more frames of their own than the writes (whole frames of one value share
 * one until written). */
static void test_physmem_fill(void)
{
	struct physmem *a = physmem_new(), *b = physmem_new();
	CHECK(a && b);
	uint64_t x = 12345;
	for (int i = 0; i < 300; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		uint64_t addr = ((x >> 20) % (64 * 4096)) & ~7ull, bytes = ((x >> 40) % 20000) & ~7ull;
		uint64_t val = (x & 3) == 0 ? 0 : x >> 1;
		CHECK(physmem_fill64(a, addr, bytes, val) == 0);
		for (uint64_t o = 0; o < bytes; o += 8)
			CHECK(physmem_write64(b, addr + o, val) == 0);
	}
	for (uint64_t w = 0; w < 70 * 4096; w += 8)
		if (physmem_read64(a, w) != physmem_read64(b, w)) {
			CHECK_EQ_U64(physmem_read64(a, w), physmem_read64(b, w));
			break;
		}
	CHECK(physmem_frames(a) <= physmem_frames(b));
	CHECK(physmem_frames(b) > 10);
	physmem_free(a);
	physmem_free(b);
	/* Copy on write: four whole frames filled with one value make no frame of their own; a write to
	 * one of them makes that one (the others still read the value), a write of the value it holds makes
	 * none, and a fill of 0 takes a frame away. */
	struct physmem *c = physmem_new();
	CHECK(c != NULL);
	CHECK(physmem_fill64(c, 0x10000, 4 * 4096, 0x20) == 0);
	CHECK_EQ_U64(physmem_frames(c), 0);
	CHECK_EQ_U64(physmem_read64(c, 0x10000), 0x20);
	CHECK_EQ_U64(physmem_read64(c, 0x13ff8), 0x20);
	CHECK(physmem_write64(c, 0x11008, 0x20) == 0);
	CHECK_EQ_U64(physmem_frames(c), 0);
	CHECK(physmem_write64(c, 0x11008, 7) == 0);
	CHECK_EQ_U64(physmem_frames(c), 1);
	CHECK_EQ_U64(physmem_read64(c, 0x11008), 7);
	CHECK_EQ_U64(physmem_read64(c, 0x11010), 0x20);
	CHECK_EQ_U64(physmem_read64(c, 0x12008), 0x20);
	CHECK_EQ_U64(physmem_read64(c, 0x10008), 0x20);
	CHECK(physmem_fill64(c, 0x11000, 4096, 0) == 0);
	CHECK_EQ_U64(physmem_frames(c), 0);
	CHECK_EQ_U64(physmem_read64(c, 0x11008), 0);
	physmem_free(c);
}

CHECK_MAIN(CASE(test_physmem_fill), CASE(test_constants), CASE(test_indexes), CASE(test_entries), CASE(test_levels), CASE(test_faults),
	   CASE(test_large), CASE(test_walk_from))
