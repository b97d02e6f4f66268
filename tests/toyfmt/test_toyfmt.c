/* test_toyfmt: a second table format (toy.c: x86-like, 3 levels, 2 MiB leaves) registered beside s390's
 * exactly as a new model would be (models/models.c with one more entry), run end to end through the CLI
 * with --check: the front end picks its model from the trace's header (format version 3), the engine
 * walks it through walk caches of its levels, holds 2 MiB pages in their own IOTLB structure, rounds its
 * invalidations, and a strategy walks it 2-D. The expected counts are worked out by hand below. */
#include "../check.h"
#include "cli.h"
#include "models.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern const struct iw_model toy_model;
static char dir[64], trace[128];

/* 128 MiB of guest RAM at gpa 0 (backed 2 MiB-aligned), the guest's tables from 64 MiB; 4 MiB mapped
 * with two 2 MiB leaves, three read-only 4 KiB pages; then DMAs, an unmap that splits a 2 MiB leaf, and a
 * DMA beyond the 39 bits. */
static const char toy_trace[] =
	"%iowalk-trace 3\n%format toy-x86\n%name toy\n"
	"0 MEMSLOT 0 0 0x8000 0x7f0000000000\n"
	"1 IOAT 1 0x4000000 3\n"
	"10 MAP 1 0x200000 0x400000 0x400000 rw\n"
	"20 MAP 1 0x1000000 0x801000 0x3000 r\n"
	"30 RPCIT 1 0x200000 0x400000\n"
	"40 RPCIT 1 0x1000000 0x3000\n"
	"100000 DMA 1 0x200000 0x10000 w\n"
	"200000 DMA 1 0x1000000 0x3000 r\n"
	"300000 DMA 1 0x1001000 0x1000 w\n"
	"400000 UNMAP 1 0x300000 0x1000\n"
	"410000 RPCIT 1 0x300000 0x1000\n"
	"500000 DMA 1 0x2ff000 0x3000 r\n"
	"600000 DMA 1 0x8000000000 0x1000 r\n"
	"700000 RPCIT 1 0x200000 0x400000\n"
	"800000 DMA 1 0x1000000 0x1000 r\n";

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/iowalk-toyfmt-XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	snprintf(trace, sizeof(trace), "%s/toy.trace", dir);
	FILE *f = fopen(trace, "w");
	CHECK(f && fputs(toy_trace, f) >= 0 && fclose(f) == 0);
}

static void teardown(void)
{
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK(system(cmd) == 0);
}

static json_t *run(bool check, const char *name)
{
	char json[160];
	snprintf(json, sizeof(json), "%s/%s.json", dir, name);
	char *argv[] = {"run", trace, "-q", "--json", json, check ? "--check" : "-q", NULL};
	CHECK_EQ_U64(cli_run(6, argv), 0);
	json_error_t e;
	json_t *j = json_load_file(json, 0, &e);
	CHECK(j != NULL);
	return j;
}

static uint64_t op(json_t *j, const char *strategy, const char *section, const char *key)
{
	json_t *v = json_object_get(json_object_get(json_object_get(json_object_get(j, "strategies"), strategy), section), key);
	if (!json_is_integer(v)) {
		fprintf(stderr, "%s: %s.%s missing\n", strategy, section, key);
		check_failures++;
		return UINT64_MAX;
	}
	return (uint64_t)json_integer_value(v);
}

static void test_registry(void)
{
	CHECK(model_find("toy-x86") == &toy_model);
	CHECK(model_at(2) == &toy_model && model_at(3) == NULL);
	CHECK_STR_CONTAINS(cli_format_names(), "s390-ioat, vtd, toy-x86");
	char err[256];
	CHECK(cli_trace_model(trace, NULL, err, sizeof(err)) == &toy_model);
	struct engine_opts o;
	CHECK(cli_parse_strategies("all", &toy_model, &o, err, sizeof(err)) == 0);
	CHECK_EQ_U64(o.nstrategies, 2);
	CHECK(cli_parse_strategies("kvm-gfn", &toy_model, &o, err, sizeof(err)) < 0);
	CHECK_STR_CONTAINS(err, "unknown strategy 'kvm-gfn' of table format toy-x86 (known: toy-nested, toy-shadow)");
}

/* toy-nested, by hand (no walk caches; its second stage maps guest RAM with 2 MiB leaves, so a stage-2
 * walk reads 2 entries):
 *  - DMA of 16 pages in a 2 MiB guest leaf: one miss, a 2-D walk of 2 stage-1 entries, 2 x (2 + 1) + 2 = 8
 *    references, the translation a 2 MiB page (the smaller of the stages') held in the 2 MiB IOTLB
 *    structure: the other 15 pages hit it;
 *  - 3 read-only 4 KiB pages: 3 misses of 3 x (2 + 1) + 2 = 11 references each (33);
 *  - a write to one of them: a hit, refused (write_to_readonly);
 *  - the unmap of one page of the 2 MiB leaf splits it; its invalidation (one page: no rounding) removes
 *    the 2 MiB entry; 3 pages around it: 11 + 9 (the unmapped page: 3 stage-1 entries read, not present)
 *    + 11;
 *  - a DMA beyond 39 bits: a miss, no reference, beyond_width;
 *  - a refresh of 1024 pages: more than an address mask holds (512), so the whole domain is invalidated:
 *    a page cached before misses again, 11 references.
 * Total 83 references, 9 misses, 16 hits; and its device's context entry, read once (the context cache
 * then holds it): 84, one context-cache miss. toy-shadow (walk caches of levels 0 and 1; its shadow copies the
 * 2 MiB leaves): 2 (level 0, the 2 MiB leaf) + 2 (level-0 cache hit: level 1, the leaf) + 1 + 1 (level-1
 * cache hits) + 3 (the invalidation removed the level-0 entry: a whole walk of the split leaf's table)
 * + 1 + 1 (level-1 hits) + 3 (the domain invalidation emptied the walk caches too) = 14 references, 5
 * walk-cache hits; shadow writes: 2 large leaves, 3 pages, the
 * unmapped page cleared. */
static void test_counts(void)
{
	json_t *j = run(true, "checked"), *l = run(false, "light");
	const char *s[] = {"toy-nested", "toy-shadow"};
	const uint64_t refs[] = {84, 14}, wch[] = {0, 5}, ctx[] = {1, 0};
	for (int i = 0; i < 2; i++) {
		CHECK_EQ_U64(op(j, s[i], "ops", "device_walk_refs"), refs[i]);
		CHECK_EQ_U64(op(j, s[i], "ops", "walk_cache_hits"), wch[i]);
		CHECK_EQ_U64(op(j, s[i], "ops", "toy_ctx_misses"), ctx[i]);
		CHECK_EQ_U64(op(j, s[i], "ops", "iotlb_misses"), 9);
		CHECK_EQ_U64(op(j, s[i], "ops", "iotlb_hits"), 16);
		CHECK_EQ_U64(op(j, s[i], "ops", "dma_translations"), 25);
		CHECK_EQ_U64(op(j, s[i], "ops", "checked"), 25);
		CHECK_EQ_U64(op(j, s[i], "faults", "write_to_readonly"), 1);
		CHECK_EQ_U64(op(j, s[i], "faults", "not_present"), 1);
		CHECK_EQ_U64(op(j, s[i], "faults", "beyond_width"), 1);
		/* The same numbers without the check. */
		CHECK_EQ_U64(op(l, s[i], "ops", "device_walk_refs"), refs[i]);
		CHECK_EQ_U64(op(l, s[i], "ops", "iotlb_hits"), 16);
		CHECK_EQ_U64(op(l, s[i], "ops", "checked"), 0);
	}
	CHECK_EQ_U64(op(j, "toy-shadow", "ops", "shadow_writes"), 6);
	CHECK_EQ_U64(op(j, "toy-nested", "ops", "shadow_writes"), 0);
	json_decref(j);
	json_decref(l);
}

/* A toy trace given to an s390 strategy, and an s390 trace to a toy one, are refused with the reason. */
static void test_mismatch(void)
{
	char *argv[] = {"run", trace, "-q", "-s", "kvm-gfn", NULL};
	CHECK(cli_run(5, argv) != 0);
}

CHECK_MAIN(CASE(setup), CASE(test_registry), CASE(test_counts), CASE(test_mismatch), CASE(teardown))
