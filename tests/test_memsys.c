/* test_memsys: cache hierarchy latencies and LRU eviction, computed by hand. */
#include "check.h"
#include "memsys.h"
#include "rng.h"
#include "sacache.h"

static void test_tiny_sequence(void)
{
	struct iw_config cfg;
	CHECK(config_preset(&cfg, "tiny") == NULL);
	/* tiny: 64 B lines, L1 1 KiB 2-way (8 sets), no L2/L3, L1 1 cycle, DRAM 100, bridge 10. */
	struct memsys m;
	CHECK(memsys_init(&m, &cfg) == 0);
	CHECK_EQ_U64(memsys_cpu(&m, 0), 100);    /* cold */
	CHECK_EQ_U64(memsys_cpu(&m, 8), 1);      /* same line */
	CHECK_EQ_U64(memsys_cpu(&m, 512), 100);  /* line 8, set 0 */
	CHECK_EQ_U64(memsys_cpu(&m, 1024), 100); /* line 16, set 0: evicts line 0 (LRU) */
	CHECK_EQ_U64(memsys_cpu(&m, 520), 1);    /* line 8 still there */
	CHECK_EQ_U64(memsys_cpu(&m, 0), 100);    /* line 0 was evicted */
	CHECK_EQ_U64(memsys_device(&m, 0), 110); /* no L3: bridge + DRAM */
	CHECK_EQ_U64(m.cpu_served[MEM_L1], 2);
	CHECK_EQ_U64(m.cpu_served[MEM_DRAM], 4);
	memsys_destroy(&m);
}

static void test_l3_shared_with_device(void)
{
	struct iw_config cfg;
	config_defaults(&cfg); /* z15: 256 B lines, L1 4, L2 14, L3 45, DRAM 500, bridge 150 */
	struct memsys m;
	CHECK(memsys_init(&m, &cfg) == 0);
	CHECK_EQ_U64(memsys_device(&m, 0x10000), 650); /* cold: bridge + DRAM */
	CHECK_EQ_U64(memsys_device(&m, 0x10000), 650); /* device reads do not allocate */
	CHECK_EQ_U64(memsys_cpu(&m, 0x10000), 500);
	CHECK_EQ_U64(memsys_cpu(&m, 0x100f8), 4);      /* same 256 B line */
	CHECK_EQ_U64(memsys_device(&m, 0x10000), 195); /* the CPU's fill is in the L3 */
	CHECK_EQ_U64(m.device_served[MEM_L3], 1);
	memsys_destroy(&m);
}

static void test_config_errors(void)
{
	struct iw_config c;
	char err[256];
	config_defaults(&c);
	CHECK(config_validate(&c, err, sizeof(err)) == NULL);
	CHECK_STR_CONTAINS(config_set(&c, "cache.l1.ways", "0", err, sizeof(err)), "outside [1,");
	CHECK_STR_CONTAINS(config_set(&c, "nope", "1", err, sizeof(err)), "unknown parameter 'nope'");
	CHECK(strstr(config_set(&c, "nope", "1", err, sizeof(err)), "did you mean") == NULL); /* nothing near */
	/* A near miss names the parameter meant: '.' for '_', a start, a letter or two off. */
	CHECK_STR_CONTAINS(config_set(&c, "cache.l3_kib", "1", err, sizeof(err)), "did you mean 'cache.l3.kib'?");
	CHECK_STR_CONTAINS(config_set(&c, "device.wc_rt", "1", err, sizeof(err)), "did you mean 'device.wc_rt_entries'?");
	CHECK_STR_CONTAINS(config_set(&c, "cost.intercpet", "1", err, sizeof(err)), "did you mean 'cost.intercept'?");
	CHECK_STR_CONTAINS(config_set(&c, "device.walker", "1", err, sizeof(err)), "did you mean 'device.walkers'?");
	CHECK_STR_CONTAINS(config_set(&c, "cost.rpcit", "-5", err, sizeof(err)), "not a non-negative integer");
	CHECK_STR_CONTAINS(config_set(&c, "cost.rpcit", "12x", err, sizeof(err)), "not a non-negative integer");
	CHECK(config_set(&c, "cache.line_bytes", "96", err, sizeof(err)) == NULL);
	CHECK_STR_CONTAINS(config_validate(&c, err, sizeof(err)), "power of two");
	config_defaults(&c);
	CHECK(config_set_kv(&c, "device.iotlb_entries=6", err, sizeof(err)) == NULL);
	CHECK_STR_CONTAINS(config_validate(&c, err, sizeof(err)), "not a multiple of 4 ways");
	config_defaults(&c);
	CHECK(config_set_kv(&c, "cache.l1.kib=3", err, sizeof(err)) == NULL);
	CHECK_STR_CONTAINS(config_validate(&c, err, sizeof(err)), "cache.l1");
	CHECK_STR_CONTAINS(config_set_kv(&c, "=3", err, sizeof(err)), "expected key=value");
	/* A size parameter takes a binary suffix, in its unit; others do not. */
	config_defaults(&c);
	CHECK(config_set_kv(&c, "cache.l3.kib=256M", err, sizeof(err)) == NULL);
	CHECK_EQ_U64(c.l3_kib, 262144);
	CHECK(config_set_kv(&c, "cache.l2.kib=4MiB", err, sizeof(err)) == NULL);
	CHECK_EQ_U64(c.l2_kib, 4096);
	CHECK(config_set_kv(&c, "run.max_record_mib=2G", err, sizeof(err)) == NULL);
	CHECK_EQ_U64(c.max_record_mib, 2048);
	CHECK_STR_CONTAINS(config_set_kv(&c, "run.max_record_mib=1536K", err, sizeof(err)), "not a whole number of MiB");
	CHECK_STR_CONTAINS(config_set_kv(&c, "cache.l1.kib=2T", err, sizeof(err)), "is outside");
	CHECK_STR_CONTAINS(config_set_kv(&c, "device.bridge_cycles=2K", err, sizeof(err)), "not a non-negative integer");
	CHECK_STR_CONTAINS(config_preset(&c, "z99") ? "unknown" : "", "unknown");
	/* INI round trip: what --print-config writes, config_load_ini reads back. */
	config_defaults(&c);
	CHECK(config_set_kv(&c, "cost.rpcit=1234", err, sizeof(err)) == NULL);
	char path[] = "/tmp/iowalk-cfg-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	FILE *f = fdopen(fd, "w");
	config_print(&c, f, NULL);
	fclose(f);
	struct iw_config d;
	config_defaults(&d);
	CHECK(config_load_ini(&d, path, err, sizeof(err)) == NULL);
	CHECK_EQ_U64(d.c_rpcit, 1234);
	CHECK(memcmp(&c, &d, offsetof(struct iw_config, preset)) == 0);
	f = fopen(path, "w");
	fputs("[cost]\nrpcit = 10\nbogus = 1\n", f);
	fclose(f);
	CHECK_STR_CONTAINS(config_load_ini(&d, path, err, sizeof(err)), "line 3: unknown parameter 'cost.bogus'");
	/* A parameter given twice in one file (in one section, or in two of the same name) is refused at its
	 * second line: one of its values is a mistake. */
	CHECK_STR_CONTAINS(config_load_ini_text(&d, "[cost]\nrpcit = 10\n[device]\nwalkers = 2\n[cost]\nrpcit = 20\n", "t.ini", err,
						sizeof(err)),
			   "t.ini: line 6: cost.rpcit: set a second time in this file");
	CHECK_STR_CONTAINS(config_load_ini_text(&d, "device.walkers = 2\n[device]\nwalkers = 3\n", "t.ini", err, sizeof(err)),
			   "line 3: device.walkers: set a second time");
	CHECK(config_load_ini_text(&d, "[device]\nwalkers = 2\n", "t.ini", err, sizeof(err)) == NULL); /* once is fine */
	remove(path);
}

/* memcache (lines kept in order of use) against sacache (use stamps): the same hits, misses and
 * evictions on random references with reuse, filling or not, for power-of-two and other set counts. */
static void test_memcache_as_sacache(void)
{
	static const uint64_t geo[][2] = {{1, 1}, {4, 1}, {1, 8}, {8, 4}, {7, 2}, {64, 16}, {3, 16}};
	for (unsigned g = 0; g < sizeof(geo) / sizeof(geo[0]); g++) {
		uint64_t sets = geo[g][0], ways = geo[g][1];
		struct memcache m;
		struct sacache c;
		CHECK(memcache_init(&m, sets * ways, (uint32_t)ways, false, 1) == 0);
		CHECK(sacache_init(&c, sets * ways, (uint32_t)ways) == 0);
		struct rng r;
		rng_seed(&r, 100 + g);
		uint64_t recent[32] = {0};
		for (int i = 0; i < 200000; i++) {
			/* Half the references reuse one of the last 32 lines, the rest are spread over 4x the cache. */
			uint64_t line = rng_below(&r, 2) ? recent[rng_below(&r, 32)] : rng_below(&r, 4 * sets * ways);
			recent[i % 32] = line;
			bool fill = rng_below(&r, 4) != 0;
			bool a = memcache_access(&m, line, fill);
			bool b = fill ? sacache_access(&c, line) : sacache_lookup(&c, line, NULL);
			CHECK(a == b);
			if (a != b)
				break;
		}
		CHECK_EQ_U64(m.hits, c.hits);
		CHECK_EQ_U64(m.misses, c.misses);
		CHECK_EQ_U64(m.evictions, c.evictions);
		CHECK(m.hits > 1000 && m.evictions > 1000);
		memcache_destroy(&m);
		sacache_destroy(&c);
	}
}

/* device.l3_allocate=1: a device read that misses the L3 fills it (the next read is an L3 hit), never
 * the CPU's L1/L2 (a CPU reference after it is served by the L3). */
static void test_device_allocates(void)
{
	struct iw_config cfg;
	config_defaults(&cfg);
	cfg.l3_allocate = 1;
	struct memsys m;
	CHECK(memsys_init(&m, &cfg) == 0);
	CHECK_EQ_U64(memsys_device(&m, 0x10000), 650); /* cold: bridge + DRAM, allocates */
	CHECK_EQ_U64(memsys_device(&m, 0x10000), 195); /* bridge + L3 */
	CHECK_EQ_U64(memsys_cpu(&m, 0x10000), 45);     /* in the L3 only */
	CHECK_EQ_U64(m.device_served[MEM_L3], 1);
	CHECK_EQ_U64(m.device_served[MEM_DRAM], 1);
	memsys_destroy(&m);
}

/* cache.replacement=1: the victim of a full set is a random way, the same sequence every run: in a
 * 4-way set filled with lines 0..3, line 4 evicts one of them (not always the least recently used,
 * line 0), and over many misses every way is chosen. LRU evicts line 0. */
static void test_random_replacement(void)
{
	struct memcache c, d;
	CHECK(memcache_init(&c, 4, 4, true, 7) == 0);
	CHECK(memcache_init(&d, 4, 4, true, 7) == 0);
	unsigned evicted_lru = 0, seen[4] = {0, 0, 0, 0};
	for (unsigned round = 0; round < 200; round++) {
		for (uint64_t l = 0; l < 4; l++) {
			memcache_access(&c, 100 * round + l, true);
			memcache_access(&d, 100 * round + l, true);
		}
		memcache_access(&c, 100 * round + 4, true);
		memcache_access(&d, 100 * round + 4, true);
		unsigned gone = 4;
		for (uint64_t l = 0; l < 4; l++)
			if (!memcache_access(&c, 100 * round + l, false))
				gone = (unsigned)l;
		CHECK(gone < 4);
		if (gone < 4)
			seen[gone]++;
		evicted_lru += gone == 0;
		for (uint64_t l = 0; l < 4; l++) /* the same choices in a cache of the same seed */
			CHECK(memcache_access(&c, 100 * round + l, false) == memcache_access(&d, 100 * round + l, false));
	}
	for (unsigned w = 0; w < 4; w++)
		CHECK(seen[w] > 20);
	CHECK(evicted_lru < 200);
	memcache_destroy(&c);
	memcache_destroy(&d);
	struct memcache l;
	CHECK(memcache_init(&l, 4, 4, false, 7) == 0);
	for (uint64_t k = 0; k < 5; k++)
		memcache_access(&l, k, true);
	CHECK(!memcache_access(&l, 0, false));
	CHECK(memcache_access(&l, 1, false));
	memcache_destroy(&l);
}

CHECK_MAIN(CASE(test_tiny_sequence), CASE(test_l3_shared_with_device), CASE(test_config_errors),
	   CASE(test_memcache_as_sacache), CASE(test_device_allocates), CASE(test_random_replacement))
