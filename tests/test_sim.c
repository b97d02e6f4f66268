/* test_sim: the engine end to end in-process: cycle attribution adds up, runs are deterministic,
 * queueing, warm-up, rejected inputs, and a checker that really catches a wrong translation. */
#include "alloc.h"
#include "check.h"
#include "engine.h"
#include "sim_impl.h"
#include "s390_model.h"
#include "invariant.h"
#include "report.h"

#include <jansson.h>
#include <math.h>

#define SAMPLE(name) IOWALK_SOURCE_DIR "/traces/samples/" name

static bool run_check = true; /* whether run() checks every translation (which turns the fast paths off) */

static int run(const char *path, const char *preset, const char **sets, unsigned nsets, uint64_t warmup,
	       struct engine_result *res, struct iw_config *cfg, char *err, size_t errlen)
{
	config_preset(cfg, preset);
	for (unsigned i = 0; i < nsets; i++)
		if (config_set_kv(cfg, sets[i], err, errlen))
			return -1;
	struct engine_opts o = {.trace_path = path, .trace_label = path, .check = run_check, .warmup = warmup};
	for (unsigned i = 0; s390_strategy_at(i); i++)
		o.strategies[o.nstrategies++] = s390_strategy_at(i);
	return engine_run(&o, cfg, res, err, errlen);
}

static void attribution_adds_up(const char *path, const char *preset)
{
	struct engine_result res;
	struct iw_config cfg;
	char err[512];
	CHECK(run(path, preset, NULL, 0, 0, &res, &cfg, err, sizeof(err)) == 0);
	for (unsigned i = 0; i < res.nsims; i++) {
		const struct stats *st = &res.sims[i]->c.st;
		CHECK_EQ_U64(stats_component_sum(st), stats_total(st));
		CHECK(stats_total(st) > 0);
		CHECK_EQ_U64(st->dma.sum, st->dma_cycles);
		CHECK_EQ_U64(st->rpcit.sum, st->rpcit_cycles);
		CHECK_EQ_U64(st->ops[OP_CHECKED], st->ops[OP_DMA_PAGES]);
	}
	engine_result_free(&res);
}

static void test_attribution(void)
{
	attribution_adds_up(SAMPLE("tiny.trace"), "z15");
	attribution_adds_up(SAMPLE("two-slots.trace"), "z15");
	attribution_adds_up(SAMPLE("two-slots.trace"), "tiny");
	attribution_adds_up(SAMPLE("real-excerpt.trace"), "z15");
}

static char *json_of(const char *path, const char *preset)
{
	struct engine_result res;
	struct iw_config cfg;
	char err[512];
	if (run(path, preset, NULL, 0, 0, &res, &cfg, err, sizeof(err)) < 0)
		return NULL;
	struct engine_opts o = {.trace_label = path, .check = true};
	struct report_ctx r = {&res, &cfg, &o};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	CHECK(report_json(&r, f) == 0);
	fclose(f);
	engine_result_free(&res);
	return buf;
}

static void test_deterministic(void)
{
	char *a = json_of(SAMPLE("real-excerpt.trace"), "z15");
	char *b = json_of(SAMPLE("real-excerpt.trace"), "z15");
	CHECK(a && b && strcmp(a, b) == 0);
	free(a);
	free(b);
}

/* The JSON report parses back and every number in it equals the statistics it came from. */
static void test_json_round_trip(void)
{
	struct engine_result res;
	struct iw_config cfg;
	char err[512];
	CHECK(run(SAMPLE("two-slots.trace"), "z15", NULL, 0, 0, &res, &cfg, err, sizeof(err)) == 0);
	struct engine_opts o = {.trace_label = "two-slots", .check = true};
	struct report_ctx r = {&res, &cfg, &o};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	CHECK(report_json(&r, f) == 0);
	fclose(f);
	json_error_t jerr;
	json_t *root = json_loads(buf, 0, &jerr);
	CHECK(root != NULL);
	CHECK(strcmp(json_string_value(json_object_get(root, "schema")), REPORT_SCHEMA) == 0);
	json_t *cj = json_object_get(root, "config");
	CHECK_EQ_U64(json_integer_value(json_object_get(cj, "cost.rpcit")), cfg.c_rpcit);
	CHECK_EQ_U64(json_integer_value(json_object_get(json_object_get(root, "trace"), "records")), res.records);
	json_t *strats = json_object_get(root, "strategies");
	CHECK_EQ_U64(json_object_size(strats), res.nsims);
	for (unsigned i = 0; i < res.nsims; i++) {
		const struct stats *st = &res.sims[i]->c.st;
		json_t *sj = json_object_get(strats, res.sims[i]->ops->name);
		CHECK(sj != NULL);
		if (!sj)
			continue;
		CHECK_EQ_U64(json_integer_value(json_object_get(sj, "cycles_total")), stats_total(st));
		CHECK_EQ_U64(json_integer_value(json_object_get(sj, "translations")), st->ops[OP_DMA_PAGES]);
		json_t *b = json_object_get(sj, "breakdown"), *ops = json_object_get(sj, "ops");
		uint64_t sum = 0;
		for (int c = 0; c < COMP_COUNT; c++) {
			CHECK_EQ_U64(json_integer_value(json_object_get(b, comp_name((enum comp)c))), st->comp[c]);
			sum += (uint64_t)json_integer_value(json_object_get(b, comp_name((enum comp)c)));
		}
		CHECK_EQ_U64(sum, stats_total(st));
		for (int k = 0; k < OP_COUNT; k++)
			CHECK_EQ_U64(json_integer_value(json_object_get(ops, op_name((enum opcount)k))), st->ops[k]);
		json_t *d = json_object_get(sj, "cycles_per_translation");
		CHECK_EQ_U64(json_integer_value(json_object_get(d, "max")), st->dma.max);
		CHECK_EQ_U64(json_integer_value(json_object_get(d, "p50")), hist_quantile(&st->dma, 0.5));
		CHECK(json_real_value(json_object_get(d, "mean")) * (double)st->dma.count - (double)st->dma.sum < 1e-3 * (double)st->dma.sum + 1);
	}
	json_decref(root);
	free(buf);
	engine_result_free(&res);
}

static void test_queueing_and_warmup(void)
{
	struct engine_result res;
	struct iw_config cfg;
	char err[512];
	/* One walker and no IOTLB: the 4-page DMA of two-slots queues three of its walks. */
	const char *sets[] = {"device.walkers=1", "device.iotlb_entries=0"};
	CHECK(run(SAMPLE("two-slots.trace"), "z15", sets, 2, 0, &res, &cfg, err, sizeof(err)) == 0);
	for (unsigned i = 0; i < res.nsims; i++) {
		const struct stats *st = &res.sims[i]->c.st;
		CHECK(st->ops[OP_WALKS_QUEUED] >= 3);
		CHECK(st->comp[COMP_QUEUE] > 0);
		CHECK_EQ_U64(st->ops[OP_IOTLB_HITS], 0);
		CHECK_EQ_U64(stats_component_sum(st), stats_total(st));
	}
	engine_result_free(&res);
	/* Warm-up: the first 9 records (set-up, maps, first refresh) are not counted. */
	CHECK(run(SAMPLE("two-slots.trace"), "z15", NULL, 0, 9, &res, &cfg, err, sizeof(err)) == 0);
	CHECK_EQ_U64(res.sims[0]->c.st.ops[OP_RPCITS], 3);
	CHECK_EQ_U64(res.sims[0]->c.st.ops[OP_DMAS], 4);
	engine_result_free(&res);
	CHECK(run(SAMPLE("tiny.trace"), "z15", NULL, 0, 11, &res, &cfg, err, sizeof(err)) < 0);
	CHECK_STR_CONTAINS(err, "--warmup 11 is not less than");
}

static const char *run_text(const char *text)
{
	static char err[512];
	char path[] = "/tmp/iowalk-sim-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	struct engine_result res;
	struct iw_config cfg;
	int rc = run(path, "z15", NULL, 0, 0, &res, &cfg, err, sizeof(err));
	remove(path);
	if (rc == 0) {
		engine_result_free(&res);
		return NULL;
	}
	return err;
}

static void test_rejections(void)
{
	CHECK_STR_CONTAINS(run_text("0 MEMSLOT 0 0 0x100 0x20000000000\n1 MAP 0x1000 0x1000 0x1000 rw\n"),
			   "record 2: MAP before IOAT");
	CHECK_STR_CONTAINS(run_text("0 IOAT 0 0x4000 3\n"), "record 1: IOAT before any MEMSLOT");
	CHECK_STR_CONTAINS(run_text("0 MEMSLOT 0 0 0x100 0x20000000000\n0 MEMSLOT 1 0x80 0x100 0x21000000000\n"
				    "0 IOAT 0 0x4000 3\n"),
			   "record 3: memslot 1 (gfn 0x80+0x100) overlaps memslot 0");
	CHECK_STR_CONTAINS(run_text("0 MEMSLOT 0 0 0x100 0x20000000000\n0 IOAT 0 0x200000 3\n"),
			   "IOAT origin is not in guest RAM");
	CHECK_STR_CONTAINS(run_text("0 MEMSLOT 0 0 0x100 0x20000000000\n0 IOAT 0 0x4000 3\n"
				    "1 DMA 0 0x1000 0x4000000000000 r\n"),
			   "exceeds the per-record limit");
	CHECK_STR_CONTAINS(run_text("0 MEMSLOT 0 0 0x100 0x20000000000\n0 IOAT 0 0x4000 3\n"
				    "1 MAP 0x40000000000 0x1000 0x1000 rw\n"),
			   "MAP outside the IOAT's aperture");
	CHECK_STR_CONTAINS(run_text("0 MEMSLOT 0 0 0x100 0x20000000000\n0 IOAT 0 0x4000 3\n"
				    "1 RPCIT 0x40000000000 0x1000\n"),
			   "RPCIT outside the IOAT's aperture");
	/* Faults are counted, never fatal: DMA to unmapped and read-only pages, unmap of unmapped. */
	CHECK(run_text("0 MEMSLOT 0 0 0x1000 0x20000000000\n0 IOAT 0 0x4000 3\n"
		       "1 MAP 0x100000000 0x100000 0x1000 r\n2 RPCIT 0x100000000 0x1000\n"
		       "3 DMA 0 0x100000000 0x10 w\n4 DMA 0 0x200000000 0x10 r\n5 UNMAP 0x300000000 0x100000\n"
		       "6 RPCIT 0 0x40000000000\n") == NULL);
}

/* Runs a text trace under every strategy with --check; the result stays for inspection. 0 or -1. */
static int run_text_res(const char *text, const char **sets, unsigned nsets, struct engine_result *res, char *err,
			size_t errlen)
{
	char path[] = "/tmp/iowalk-sim-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	struct iw_config cfg;
	int rc = run(path, "z15", sets, nsets, 0, res, &cfg, err, errlen);
	remove(path);
	return rc;
}

/* Regression: a DMA resumed from the event queue inside the advance to the next record's time must not
 * stream pages due after that record. 16 pages from cycle 100000, 1300 cycles apart; pages 8-15 were
 * unmapped at 99000 and the RPCIT at 103000 makes it visible, so pages 8-15 (due at 110400 and later)
 * must fault under every strategy, although all 16 pages are in the IOTLB from the first DMA. The MAP at
 * 102000 is the record whose advance resumes the DMA. */
static void test_no_page_after_next_record(void)
{
	const char *trace = "0 MEMSLOT 0 0 0x10000 0x20000000000\n0 IOAT 0 0x1000000 3\n"
			    "1000 MAP 0x100000000 0x2000000 0x10000 rw\n1100 RPCIT 0x100000000 0x10000\n"
			    "50000 DMA 1 0x100000000 0x10000 r\n"
			    "99000 UNMAP 0x100008000 0x8000\n"
			    "100000 DMA 1 0x100000000 0x10000 r\n"
			    "102000 MAP 0x200000000 0x3000000 0x1000 rw\n"
			    "103000 RPCIT 0x100008000 0x8000\n";
	struct engine_result res;
	char err[512];
	CHECK(run_text_res(trace, NULL, 0, &res, err, sizeof(err)) == 0);
	for (unsigned i = 0; i < res.nsims; i++) {
		const struct stats *st = &res.sims[i]->c.st;
		if (st->faults[S390_FAULT_INVALID] != 8)
			fprintf(stderr, "%s: %" PRIu64 " invalid_entry faults, expected 8\n", res.sims[i]->ops->name,
				st->faults[S390_FAULT_INVALID]);
		CHECK_EQ_U64(st->faults[S390_FAULT_INVALID], 8);
		CHECK_EQ_U64(st->ops[OP_DMA_PAGES], 32);
		CHECK_EQ_U64(st->ops[OP_CHECKED], 32);
	}
	engine_result_free(&res);
}

/* Runs a trace without (res[0]) and with (res[1]) the check, which turns the fast paths off. */
static void run_text_both(const char *trace, struct engine_result res[2])
{
	char err[512];
	for (int chk = 0; chk < 2; chk++) {
		run_check = chk;
		CHECK(run_text_res(trace, NULL, 0, &res[chk], err, sizeof(err)) == 0);
		run_check = true;
	}
}

/* Regression: overlapping DMAs' hits taken round by round without per-turn checks (not under --check)
 * must stop at the next record's time. A 3-page DMA at 1000000 and an 8-page one at 1000650 take turns
 * (1300 cycles a page, all pages in the IOTLB); the first DMA's last page is due at 1002600, after the
 * UNMAP of that page at 1002500 and its RPCIT at 1002510, so it faults, under every strategy but direct
 * (whose device has the page's bus address from the DMA's issue), with and without the check. (The first stretch of turns once ran past the record there: a hit, no fault.) */
static void test_stretch_stops_at_record(void)
{
	const char *trace = "0 MEMSLOT 0 0 0x10000 0x20000000000\n100 IOAT 0 0x1000000 3\n"
			    "200 MAP 0x100000000 0x2000000 0x40000 rw\n300 RPCIT 0x100000000 0x40000\n"
			    "400 DMA 1 0x100000000 0x40000 r\n"
			    "1000000 DMA 1 0x100020000 0x3000 r\n"
			    "1000650 DMA 1 0x100000000 0x8000 r\n"
			    "1002500 UNMAP 0x100022000 0x1000\n"
			    "1002510 RPCIT 0x100022000 0x1000\n";
	struct engine_result res[2];
	run_text_both(trace, res);
	for (int chk = 0; chk < 2; chk++) {
		for (unsigned i = 0; i < res[chk].nsims; i++) {
			const struct stats *st = &res[chk].sims[i]->c.st;
			/* direct's device took the page's bus address when the DMA was issued, before the unmap. */
			uint64_t want = strcmp(res[chk].sims[i]->ops->name, "direct") == 0 ? 0 : 1;
			if (st->faults[S390_FAULT_INVALID] != want)
				fprintf(stderr, "%s%s: %" PRIu64 " invalid_entry faults, expected %" PRIu64 "\n", res[chk].sims[i]->ops->name,
					chk ? " --check" : "", st->faults[S390_FAULT_INVALID], want);
			CHECK_EQ_U64(st->faults[S390_FAULT_INVALID], want);
			CHECK_EQ_U64(st->ops[OP_DMA_PAGES], 64 + 3 + 8);
		}
		engine_result_free(&res[chk]);
	}
}

/* A DMA streaming in place (its pages' hits looked up in a stretch, not under --check) must stop at the
 * next record: a 16-page DMA at 1000000, pages 8-15 unmapped at 1009000 and refreshed at 1009010 (page 8
 * is due at 1010400): the same faults, hits and cycles with and without the check, under every strategy,
 * and faults there are. */
static void test_in_place_stops_at_record(void)
{
	const char *trace = "0 MEMSLOT 0 0 0x10000 0x20000000000\n100 IOAT 0 0x1000000 3\n"
			    "200 MAP 0x100000000 0x2000000 0x10000 rw\n300 RPCIT 0x100000000 0x10000\n"
			    "400 DMA 1 0x100000000 0x10000 r\n"
			    "1000000 DMA 1 0x100000000 0x10000 w\n"
			    "1009000 UNMAP 0x100008000 0x8000\n"
			    "1009010 RPCIT 0x100008000 0x8000\n"
			    "2000000 DMA 1 0x100000000 0x10000 r\n";
	struct engine_result res[2];
	run_text_both(trace, res);
	for (unsigned i = 0; i < res[0].nsims; i++) {
		const struct stats *a = &res[0].sims[i]->c.st, *b = &res[1].sims[i]->c.st;
		CHECK(a->faults[S390_FAULT_INVALID] >= 8);
		CHECK_EQ_U64(a->faults[S390_FAULT_INVALID], b->faults[S390_FAULT_INVALID]);
		CHECK_EQ_U64(a->ops[OP_IOTLB_HITS], b->ops[OP_IOTLB_HITS]);
		CHECK_EQ_U64(a->ops[OP_IOTLB_MISSES], b->ops[OP_IOTLB_MISSES]);
		CHECK_EQ_U64(a->dma_cycles, b->dma_cycles);
	}
	engine_result_free(&res[0]);
	engine_result_free(&res[1]);
}

/* Regression: a valid read-write PTE for guest-physical frame 0 is the value 0 (Linux pt_entry_isvalid()
 * tests only the invalid bit); DMAs through it translate under every strategy, to the host page backing
 * gpa 0, and an unmap makes it fault. */
static void test_gpa_zero_mapping(void)
{
	const char *trace = "0 MEMSLOT 0 0 0x10000 0x20000000000\n0 IOAT 0 0x1000000 3\n"
			    "1000 MAP 0x100000000 0x0 0x2000 rw\n1100 RPCIT 0x100000000 0x2000\n"
			    "90000 DMA 1 0x100000000 0x2000 w\n91000 DMA 1 0x100000000 0x2000 r\n"
			    "200000 UNMAP 0x100000000 0x2000\n200100 RPCIT 0x100000000 0x2000\n"
			    "300000 DMA 1 0x100000000 0x1000 r\n";
	struct engine_result res;
	char err[512];
	int rc = run_text_res(trace, NULL, 0, &res, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "%s\n", err);
	CHECK(rc == 0);
	for (unsigned i = 0; rc == 0 && i < res.nsims; i++) {
		const struct stats *st = &res.sims[i]->c.st;
		CHECK_EQ_U64(st->ops[OP_DMA_PAGES], 5);
		CHECK_EQ_U64(st->ops[OP_CHECKED], 5);
		if (st->faults[S390_FAULT_INVALID] != 1)
			fprintf(stderr, "%s: %" PRIu64 " invalid_entry faults, expected 1\n", res.sims[i]->ops->name,
				st->faults[S390_FAULT_INVALID]);
		CHECK_EQ_U64(st->faults[S390_FAULT_INVALID], 1);
		for (int f = 2; f < S390_FAULT_COUNT; f++)
			CHECK_EQ_U64(st->faults[f], 0);
	}
	if (rc == 0)
		engine_result_free(&res);
}

/* Regression: simulated time must not wrap. A trace whose times leave no headroom below 2^64 is rejected
 * with the record and the reason; nothing reports a negative or wrapped stall. */
static void test_time_headroom(void)
{
	CHECK_STR_CONTAINS(run_text("0 MEMSLOT 0 0 0x10000 0x20000000000\n0 IOAT 0 0x1000000 3\n"
				    "18446744073709550000 MAP 0x100000000 0x2000000 0x1000 rw\n"
				    "18446744073709550001 RPCIT 0x100000000 0x1000\n"
				    "18446744073709550002 DMA 1 0x100000000 0x1000 r\n"),
			   "time");
	CHECK_STR_CONTAINS(run_text("0 MEMSLOT 0 0 0x10000 0x20000000000\n0 IOAT 0 0x1000000 3\n"
				    "4611686018427387905 MAP 0x100000000 0x2000000 0x1000 rw\n"),
			   "record 3, MAP): time is above 2^62 cycles");
	/* At 2^62 itself: the DMA waits for the RPCIT's vCPU; the stall is what the RPCIT took, not wrapped. */
	const char *trace = "0 MEMSLOT 0 0 0x10000 0x20000000000\n0 IOAT 0 0x1000000 3\n"
			    "4611686018427387904 MAP 0x100000000 0x2000000 0x1000 rw\n"
			    "4611686018427387904 RPCIT 0x100000000 0x1000\n"
			    "4611686018427387904 DMA 1 0x100000000 0x1000 r\n";
	struct engine_result res;
	char err[512];
	CHECK(run_text_res(trace, NULL, 0, &res, err, sizeof(err)) == 0);
	for (unsigned i = 0; i < res.nsims; i++) {
		const struct stats *st = &res.sims[i]->c.st;
		/* A guest with the refresh bit off (or no translation) issues no RPCIT after a map: no stall. */
		bool refreshes = res.sims[i]->refresh == IW_REFRESH_ALL;
		CHECK_EQ_U64(st->ops[OP_GUEST_STALLS], refreshes ? 1 : 0);
		CHECK_EQ_U64(st->ops[OP_RPCITS_SKIPPED], refreshes ? 0 : 1);
		CHECK(refreshes ? st->guest_stall_cycles > 0 && st->guest_stall_cycles <= st->rpcit_cycles
				: st->guest_stall_cycles == 0 && st->rpcit_cycles == 0);
		CHECK_EQ_U64(st->ops[OP_DMA_PAGES], 1);
		CHECK_EQ_U64(st->faults[S390_FAULT_INVALID], 0);
	}
	engine_result_free(&res);
}

/* Regression: under qemu, an unmap of a page whose gpa was not guest RAM (vfio refused to map it) must
 * not unpin anything; pins and unpins balance under every strategy. */
static void test_unmap_of_unmapped_gpa(void)
{
	const char *trace = "0 MEMSLOT 0 0 0x10000 0x20000000000\n0 IOAT 0 0x1000000 3\n"
			    "1000 MAP 0x100000000 0x400000000 0x2000 rw\n1100 RPCIT 0x100000000 0x2000\n"
			    "900000 DMA 1 0x100000000 0x1000 r\n"
			    "950000 UNMAP 0x100000000 0x2000\n950100 RPCIT 0x100000000 0x2000\n";
	struct engine_result res;
	char err[512];
	CHECK(run_text_res(trace, NULL, 0, &res, err, sizeof(err)) == 0);
	for (unsigned i = 0; i < res.nsims; i++) {
		const struct stats *st = &res.sims[i]->c.st;
		if (strcmp(res.sims[i]->ops->name, "qemu") == 0) {
			CHECK_EQ_U64(st->ops[OP_PINS], 0);
			CHECK_EQ_U64(st->ops[OP_UNPINS], 0);
		}
		CHECK_EQ_U64(st->faults[S390_FAULT_INVALID], 1);
	}
	engine_result_free(&res);
}

/* Regression: statistics reset by warm-up while translations wait for a walker keep their IOTLB lookup
 * cycles (they are counted when they start), so the components still sum to the path totals. */
static void test_warmup_with_queued_walks(void)
{
	struct engine_result res;
	struct iw_config cfg;
	char err[512];
	/* One walker, no IOTLB, pages back to back: the 4-page DMA of record 7 and the one of record 8 wait
	 * for the walker when warm-up ends after record 8 (5 walks queued then; 20 cycles of lookups). */
	const char *sets[] = {"device.walkers=1", "device.iotlb_entries=0", "device.page_gap_cycles=0"};
	CHECK(run(SAMPLE("two-slots.trace"), "z15", sets, 3, 8, &res, &cfg, err, sizeof(err)) == 0);
	for (unsigned i = 0; i < res.nsims; i++) {
		const struct stats *st = &res.sims[i]->c.st;
		CHECK_EQ_U64(stats_component_sum(st), stats_total(st));
		CHECK_EQ_U64(st->dma.sum, st->dma_cycles);
	}
	engine_result_free(&res);
}

/* A deliberately wrong strategy: its walk returns the right page's neighbour. The checker must stop it. */
struct bad {
	struct strategy base;
	struct sim *s;
};
static struct strategy *bad_create(const struct strategy_ops *self, struct sim *s, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	struct bad *b = iw_calloc(1, sizeof(*b));
	b->base.ops = self;
	b->s = s;
	return &b->base;
}
static void bad_destroy(struct strategy *st) { iw_free(container_of(st, struct bad, base)); }
static void bad_invalidate(struct strategy *st, const struct iw_inval *inv)
{
	(void)st;
	(void)inv;
}
static void bad_walk(struct strategy *st, uint64_t iova, bool write, struct sim_xlate *x)
{
	struct sim *s = container_of(st, struct bad, base)->s;
	struct iw_walk w;
	s390_walk(s390_guest_table(s), iova, write, &w);
	uint64_t hpa = 0;
	vm_gpa_to_hpa(s->c.vm, w.addr, &hpa);
	x->fault = w.fault;
	x->frame = (hpa & ~0xfffull) + 0x1000;
	x->page_bytes = 4096;
	x->writable = w.writable;
}
static const struct strategy_ops bad_ops = {.name = "bad", .summary = "wrong on purpose", .create = bad_create,
					   .destroy = bad_destroy, .invalidate = bad_invalidate, .dma_walk = bad_walk,
					   .model = &s390_ioat_model};

static void test_checker_catches(void)
{
	struct iw_config cfg;
	config_defaults(&cfg);
	struct engine_opts o = {.trace_path = SAMPLE("tiny.trace"), .trace_label = "tiny", .check = true};
	o.strategies[o.nstrategies++] = &bad_ops;
	struct engine_result res;
	char err[512];
	CHECK(engine_run(&o, &cfg, &res, err, sizeof(err)) < 0);
	CHECK_STR_CONTAINS(err, "record 6: check failed: strategy bad, DMA dev 1 write iova 0x13fffe000");
	/* Without --check the same run completes (an asserting build stops it: its invariants check every
	 * translation against the reference map). */
	if (!IW_INVARIANTS_ON) {
		o.check = false;
		CHECK(engine_run(&o, &cfg, &res, err, sizeof(err)) == 0);
		engine_result_free(&res);
	}
}

/* ---- fidelity: drain, set-up apart, refresh policy, host era, direct ---- */

static int run_with(const char *text, const char **sets, unsigned nsets, bool no_drain, struct engine_result *res,
		    struct iw_config *cfg)
{
	char path[] = "/tmp/iowalk-sim-XXXXXX", err[512];
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	config_preset(cfg, "z15");
	for (unsigned i = 0; i < nsets; i++)
		if (config_set_kv(cfg, sets[i], err, sizeof(err)))
			return -1;
	struct engine_opts o = {.trace_path = path, .trace_label = path, .check = true, .no_drain = no_drain};
	for (unsigned i = 0; s390_strategy_at(i); i++)
		o.strategies[o.nstrategies++] = s390_strategy_at(i);
	int rc = engine_run(&o, cfg, res, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "run_with: %s\n", err);
	remove(path);
	return rc;
}

static const struct stats *stats_of(const struct engine_result *res, const char *name)
{
	for (unsigned i = 0; i < res->nsims; i++)
		if (strcmp(res->sims[i]->ops->name, name) == 0)
			return &res->sims[i]->c.st;
	CHECK(!"strategy not run");
	return &res->sims[0]->c.st;
}

/* Two pages mapped, refreshed, used, unmapped; the trace ends before the guest's flush. */
static const char drain_trace[] = "0 MEMSLOT 0 0 0x10000 0x20000000000\n0 IOAT 0 0x1000000 3\n"
				  "1000 MAP 0x13fffe000 0x4dbb000 0x2000 rw\n1100 RPCIT 0x13fffe000 0x2000\n"
				  "50000 DMA 1 0x13fffe000 0x2000 r\n90000 UNMAP 0x13fffe000 0x2000\n";

static void test_drain(void)
{
	struct engine_result res;
	struct iw_config cfg;
	CHECK(run_with(drain_trace, NULL, 0, false, &res, &cfg) == 0);
	const struct stats *k = stats_of(&res, "kvm-gfn");
	/* The final flush makes both unmaps visible: kvm-gfn drops both leaf pins; the 9 guest table pages
	 * it resolved (root 4, segment table 4, page table 1) stay pinned. */
	CHECK_EQ_U64(k->ops[OP_DRAIN_UPDATES], 2);
	CHECK_EQ_U64(k->ops[OP_UPDATES], 4);
	CHECK_EQ_U64(k->ops[OP_RPCITS], 2);
	CHECK_EQ_U64(k->ops[OP_UNPINS], 2);
	CHECK_EQ_U64(k->pinned_peak, 11);
	CHECK_EQ_U64(k->pinned_end, 9);
	/* nested (refresh off): the map refresh is not issued, the final flush (after unmaps) is. */
	const struct stats *n = stats_of(&res, "nested");
	CHECK_EQ_U64(n->ops[OP_RPCITS], 1);
	CHECK_EQ_U64(n->ops[OP_RPCITS_SKIPPED], 1);
	CHECK_EQ_U64(n->ops[OP_DRAIN_UPDATES], 2);
	/* direct: no RPCIT at all, the same updates. */
	const struct stats *d = stats_of(&res, "direct");
	CHECK_EQ_U64(d->ops[OP_RPCITS], 0);
	CHECK_EQ_U64(d->ops[OP_RPCITS_SKIPPED], 2);
	CHECK_EQ_U64(d->ops[OP_UPDATES], 4);
	CHECK_EQ_U64(d->rpcit_cycles, 0);
	engine_result_free(&res);
	/* --no-drain: the unmaps stay unrefreshed, their pins held. */
	CHECK(run_with(drain_trace, NULL, 0, true, &res, &cfg) == 0);
	k = stats_of(&res, "kvm-gfn");
	CHECK_EQ_U64(k->ops[OP_DRAIN_UPDATES], 0);
	CHECK_EQ_U64(k->ops[OP_UPDATES], 2);
	CHECK_EQ_U64(k->ops[OP_UNPINS], 0);
	CHECK_EQ_U64(k->pinned_end, 11);
	engine_result_free(&res);
}

/* Set-up is reported apart: the up-front pinning of all guest RAM costs cost.setup_pin_page per page
 * (a memslot added later included) and changes no path's cycles. */
static void test_setup_apart(void)
{
	static const char trace[] = "0 MEMSLOT 0 0 0x10000 0x20000000000\n0 IOAT 0 0x1000000 3\n"
				    "1000 MAP 0x13fffe000 0x4dbb000 0x1000 rw\n1100 RPCIT 0x13fffe000 0x1000\n"
				    "2000 MEMSLOT 1 0x100000 0x800 0x20100000000\n"
				    "50000 DMA 1 0x13fffe000 0x1000 r\n";
	struct engine_result a, b;
	struct iw_config ca, cb;
	const char *cheap[] = {"cost.setup_pin_page=1000"}, *dear[] = {"cost.setup_pin_page=3000"};
	CHECK(run_with(trace, cheap, 1, false, &a, &ca) == 0);
	CHECK(run_with(trace, dear, 1, false, &b, &cb) == 0);
	for (unsigned i = 0; i < a.nsims; i++) {
		const struct stats *x = &a.sims[i]->c.st, *y = &b.sims[i]->c.st;
		CHECK_EQ_U64(stats_total(x), stats_total(y));
		CHECK_EQ_U64(stats_component_sum(x), stats_total(x));
		bool upfront = a.sims[i]->ops->pins_guest_ram;
		CHECK_EQ_U64(x->setup_pinned_pages, upfront ? 0x10800 : 0);
		CHECK_EQ_U64(y->setup_cycles - x->setup_cycles, upfront ? 0x10800 * 2000ull : 0);
		CHECK(x->pinned_peak >= x->setup_pinned_pages);
	}
	/* The amortized figure: total + set-up x min(1, simulated time / horizon), per translation. */
	struct engine_opts o = {.trace_label = "t", .check = true, .amortize_s = 1e-6};
	struct report_ctx r = {&a, &ca, &o};
	json_t *root = report_json_object(&r);
	json_t *rp = json_object_get(json_object_get(root, "strategies"), "root-pfn");
	const struct stats *st = stats_of(&a, "root-pfn");
	double secs = (double)(st->window_end - st->window_start) / 5200e6, share = secs / 1e-6 < 1 ? secs / 1e-6 : 1;
	double want = (double)stats_total(st) + (double)st->setup_cycles * share;
	json_t *am = json_object_get(rp, "amortized");
	CHECK(fabs(json_real_value(json_object_get(am, "cycles_total")) - want) < 1e-6 * want);
	CHECK(json_real_value(json_object_get(am, "setup_share")) > 0);
	json_decref(root);
	engine_result_free(&a);
	engine_result_free(&b);
}

/* The host kernel's era: the 2022 s390-iommu issued a host RPCIT for every new map (qemu on tiny: 2 maps
 * + 1 batched unmap = 3), the 2025 driver on an LPAR host only for the unmap (1); the refresh bit of
 * nested turned on brings back the guest's map refresh. */
static void test_era_and_refresh(void)
{
	struct engine_result res;
	struct iw_config cfg;
	const char *sets[] = {"host.era=2022", "nested.refresh=1"};
	char err[512];
	config_defaults(&cfg);
	CHECK(run(SAMPLE("tiny.trace"), "z15", sets, 2, 0, &res, &cfg, err, sizeof(err)) == 0);
	CHECK_EQ_U64(stats_of(&res, "qemu")->ops[OP_HOST_RPCITS], 3);
	CHECK_EQ_U64(stats_of(&res, "nested")->ops[OP_RPCITS], 2);
	CHECK_EQ_U64(stats_of(&res, "nested")->ops[OP_RPCITS_SKIPPED], 0);
	uint64_t sw2022 = stats_of(&res, "root-pfn")->comp[COMP_SW];
	engine_result_free(&res);
	config_defaults(&cfg);
	CHECK(run(SAMPLE("tiny.trace"), "z15", NULL, 0, 0, &res, &cfg, err, sizeof(err)) == 0);
	CHECK_EQ_U64(stats_of(&res, "qemu")->ops[OP_HOST_RPCITS], 1);
	/* root-pfn: 11 root lookups, each under dma_table_lock in 2022 (7 of them during the RPCITs). */
	CHECK_EQ_U64(sw2022 - stats_of(&res, "root-pfn")->comp[COMP_SW], 7 * cfg.c_spinlock);
	engine_result_free(&res);
}

/* direct gives up isolation: the write through the read-only mapping of two-slots goes through (and is
 * counted), where every translated strategy faults it. */
static void test_direct_unprotected(void)
{
	struct engine_result res;
	struct iw_config cfg;
	char err[512];
	config_defaults(&cfg);
	CHECK(run(SAMPLE("two-slots.trace"), "z15", NULL, 0, 0, &res, &cfg, err, sizeof(err)) == 0);
	for (unsigned i = 0; i < res.nsims; i++) {
		const struct stats *st = &res.sims[i]->c.st;
		bool direct = strcmp(res.sims[i]->ops->name, "direct") == 0;
		CHECK_EQ_U64(st->ops[OP_UNPROTECTED_WRITES], direct ? 1 : 0);
		CHECK_EQ_U64(st->faults[S390_FAULT_PROTECTION], direct ? 0 : 1);
	}
	engine_result_free(&res);
}

/* Several PCI functions (format v2): each its own IO address space. Counted by hand for kvm-gfn and
 * direct on traces/samples/two-functions.trace: function 0's DMA of 2 pages misses twice (3 device
 * refs, then a segment walk-cache hit: 1); function 3's first DMA misses in its own caches (3 refs);
 * both re-reads hit; function 3's unmap and RPCIT leave function 0's entry (a hit) and make function 3's
 * last DMA miss and fault (3 refs). direct translates by gpa and has no bus address for the unmapped
 * IOVA (no lookup). Per-function counts add up to the totals; shared bridge caches give the same here. */
static void test_functions(void)
{
	for (int shared = 0; shared <= 1; shared++) {
		struct engine_result res;
		struct iw_config cfg;
		char err[512];
		const char *sets[] = {shared ? "device.shared_caches=1" : "device.shared_caches=0"};
		config_defaults(&cfg);
		CHECK(run(SAMPLE("two-functions.trace"), "z15", sets, 1, 0, &res, &cfg, err, sizeof(err)) == 0);
		for (unsigned i = 0; i < res.nsims; i++) {
			const struct sim *sm = res.sims[i];
			const struct stats *st = &sm->c.st;
			bool direct = strcmp(sm->ops->name, "direct") == 0;
			CHECK_EQ_U64(sm->nfns, 2);
			CHECK(sm->fns[0]->fid == 0 && sm->fns[1]->fid == 3);
			CHECK_EQ_U64(st->ops[OP_DMA_PAGES], 7);
			CHECK_EQ_U64(st->ops[OP_IOTLB_HITS], 3);
			CHECK_EQ_U64(st->faults[S390_FAULT_INVALID], 1);
			CHECK_EQ_U64(st->ops[OP_UPDATES], 6);
			if (strcmp(sm->ops->name, "kvm-gfn") == 0 || direct) {
				CHECK_EQ_U64(st->ops[OP_IOTLB_MISSES], direct ? 3 : 4);
				CHECK_EQ_U64(st->ops[OP_DEVICE_WALK_REFS], direct ? 7 : 10);
				CHECK_EQ_U64(st->ops[OP_WALK_CACHE_HITS], 1);
			}
			uint64_t x = 0, u = 0, rc = 0, dc = 0;
			for (unsigned k = 0; k < sm->nfns; k++) {
				x += sm->fns[k]->st.translations;
				u += sm->fns[k]->st.updates;
				rc += sm->fns[k]->st.rpcit_cycles;
				dc += sm->fns[k]->st.dma_cycles;
			}
			CHECK_EQ_U64(sm->fns[0]->st.translations, 4);
			CHECK_EQ_U64(x, st->ops[OP_DMA_PAGES]);
			CHECK_EQ_U64(u, st->ops[OP_UPDATES]);
			CHECK_EQ_U64(rc, st->rpcit_cycles);
			CHECK_EQ_U64(dc, st->dma_cycles);
		}
		engine_result_free(&res);
	}
	/* What format v2 refuses, and a v1 trace's second IOAT. */
	static const char head[] = "%iowalk-trace 2\n0 MEMSLOT 0 0 0x10000 0x20000000000\n0 IOAT 1 0x1000000 3\n";
	char t[512];
	snprintf(t, sizeof(t), "%s5 DMA 2 0x100000000 0x10 r\n", head);
	CHECK_STR_CONTAINS(run_text(t), "DMA by function 2, which registered no IOAT");
	snprintf(t, sizeof(t), "%s5 MAP 2 0x100000000 0x5000 0x1000 rw\n", head);
	CHECK_STR_CONTAINS(run_text(t), "MAP of function 2, which registered no IOAT");
	snprintf(t, sizeof(t), "%s5 IOAT 1 0x2000000 3\n", head);
	CHECK_STR_CONTAINS(run_text(t), "function 1 registered its IOAT already");
	snprintf(t, sizeof(t), "%s5 IOAT 2 0x1000000 3\n", head);
	CHECK_STR_CONTAINS(run_text(t), "inside the IO tables of another function");
	CHECK_STR_CONTAINS(run_text("0 MEMSLOT 0 0 0x10000 0x20000000000\n0 IOAT 0 0x1000000 3\n0 IOAT 1 0x2000000 3\n"),
			   "a second IOAT (format v1 has one IO address space");
}

/* direct takes each page's bus address when the DMA is issued (the driver hands the device gpa + window
 * start at map time): a lazy UNMAP of the IOVAs while the DMA streams (its pages at 50000, 51300, 52600
 * and 53900; the unmap at 52000, no RPCIT after it) cannot take the last two pages' addresses away. No
 * fault, with and without the check. (Resolved page by page as the DMA streamed, the last two pages
 * faulted as invalid entries on valid guest RAM, and the check accepted it.) */
static void test_direct_bus_address_at_issue(void)
{
	const char *trace = "0 MEMSLOT 0 0 0x10000 0x20000000000\n0 IOAT 0 0x1000000 3\n"
			    "1000 MAP 0x100000000 0x2000000 0x4000 rw\n1100 RPCIT 0x100000000 0x4000\n"
			    "50000 DMA 1 0x100000000 0x4000 w\n"
			    "52000 UNMAP 0x100000000 0x4000\n";
	struct engine_result res[2];
	run_text_both(trace, res);
	for (int chk = 0; chk < 2; chk++) {
		const struct stats *st = stats_of(&res[chk], "direct");
		CHECK(st != NULL);
		if (!st)
			continue;
		CHECK_EQ_U64(st->ops[OP_DMA_PAGES], 4);
		CHECK_EQ_U64(st->faults[S390_FAULT_INVALID], 0);
		engine_result_free(&res[chk]);
	}
}

/* kvm-gfn's (and qemu's) pin of one mapped page of a trace, with the given settings: the pin and unpin
 * cycles of its RPCIT path, and its update cycles. */
static void pin_costs(const char *trace, const char *backing, const char *longterm, uint64_t *pin, uint64_t *rpcit)
{
	struct engine_result res;
	char err[512];
	const char *sets[] = {backing, longterm};
	CHECK(run_text_res(trace, sets, 2, &res, err, sizeof(err)) == 0);
	const struct stats *st = stats_of(&res, "kvm-gfn");
	CHECK(st != NULL);
	*pin = st ? st->comp[COMP_PIN] : 0;
	*rpcit = st ? st->rpcit_cycles : 0;
	engine_result_free(&res);
}

/* A pin is charged to the folio the host walk found, not to the backing the configuration asked for: a
 * 1 GiB memslot cannot be backed by 2 GiB pages (the host walk falls back to 4 KiB pages), nor a slot
 * whose hva is not 1 MiB aligned by 1 MiB pages, so both cost what 4 KiB backing costs (they were
 * cheaper: every pin hit one cached struct page of a 2 GiB or 1 MiB head). FOLL_PIN's _pincount atomic
 * is the large folio's, whichever of its pages is pinned: a page at a 1 MiB folio's head costs what a
 * page inside it does (it cost one atomic less). */
static void test_pin_folio(void)
{
	static const char gig[] = "0 MEMSLOT 0 0 0x40000 0x20000000000\n0 IOAT 0 0x1000000 3\n"
				  "1000 MAP 0x100000000 0x2001000 0x1000 rw\n1100 RPCIT 0x100000000 0x1000\n";
	static const char unaligned[] = "0 MEMSLOT 0 0 0x40000 0x20000001000\n0 IOAT 0 0x1000000 3\n"
					"1000 MAP 0x100000000 0x2001000 0x1000 rw\n1100 RPCIT 0x100000000 0x1000\n";
	uint64_t p4, r4, p, r;
	pin_costs(gig, "vm.host_page_kib=4", "kvm.pin_longterm=0", &p4, &r4);
	pin_costs(gig, "vm.host_page_kib=2097152", "kvm.pin_longterm=0", &p, &r);
	CHECK_EQ_U64(p, p4);
	CHECK_EQ_U64(r, r4);
	pin_costs(unaligned, "vm.host_page_kib=4", "kvm.pin_longterm=0", &p4, &r4);
	pin_costs(unaligned, "vm.host_page_kib=1024", "kvm.pin_longterm=0", &p, &r);
	CHECK_EQ_U64(p, p4);
	CHECK_EQ_U64(r, r4);
	/* 1 MiB backing that can be had: the guest page at a folio's head (gpa 0x2000000) and one inside it
	 * (0x2001000) cost the same long-term pin. */
	static const char head[] = "0 MEMSLOT 0 0 0x40000 0x20000000000\n0 IOAT 0 0x1000000 3\n"
				   "1000 MAP 0x100000000 0x2000000 0x1000 rw\n1100 RPCIT 0x100000000 0x1000\n";
	uint64_t ph, rh;
	pin_costs(head, "vm.host_page_kib=1024", "kvm.pin_longterm=1", &ph, &rh);
	pin_costs(gig, "vm.host_page_kib=1024", "kvm.pin_longterm=1", &p, &r);
	CHECK_EQ_U64(ph, p);
	CHECK(ph > 0);
}

/* The mean cycles per IOPTE update is every RPCIT-path cycle over the updates, not truncated: three pages
 * mapped and refreshed, then refreshed again with nothing changed (the second RPCIT still costs the
 * shadowing strategies their intercept). The report's cycles_per_update.mean equals cycles_rpcit_path /
 * iopte_updates for every strategy (it was the mean of each RPCIT's cycles divided, truncated, by its
 * updates, leaving the second RPCIT out). */
static void test_update_mean(void)
{
	const char *trace = "0 MEMSLOT 0 0 0x10000 0x20000000000\n0 IOAT 0 0x1000000 3\n"
			    "1000 MAP 0x100000000 0x2000000 0x3000 rw\n1100 RPCIT 0x100000000 0x3000\n"
			    "200000 RPCIT 0x100000000 0x3000\n";
	struct engine_result res;
	char err[512];
	struct iw_config cfg;
	config_defaults(&cfg);
	CHECK(run_text_res(trace, NULL, 0, &res, err, sizeof(err)) == 0);
	struct engine_opts o = {.trace_label = "t", .check = true};
	struct report_ctx r = {&res, &cfg, &o};
	json_t *root = report_json_object(&r);
	CHECK(root != NULL);
	json_t *strats = json_object_get(root, "strategies");
	unsigned shadowing = 0;
	for (unsigned i = 0; i < res.nsims; i++) {
		const struct stats *st = &res.sims[i]->c.st;
		json_t *sj = json_object_get(strats, res.sims[i]->ops->name);
		double mean = json_real_value(json_object_get(json_object_get(sj, "cycles_per_update"), "mean"));
		CHECK_EQ_U64(st->ops[OP_UPDATES], 3);
		double want = (double)st->rpcit_cycles / 3.0;
		if (fabs(mean - want) > 1e-9 * (want + 1))
			fprintf(stderr, "%s: cycles_per_update.mean %.6f, RPCIT path / updates %.6f\n", res.sims[i]->ops->name, mean, want);
		CHECK(fabs(mean - want) <= 1e-9 * (want + 1));
		if (st->ops[OP_RPCITS] == 2)
			shadowing++;
	}
	CHECK(shadowing >= 3); /* kvm-gfn, root-pfn, qemu: the second RPCIT was issued and cost cycles */
	json_decref(root);
	engine_result_free(&res);
}

/* IOTA registration is set-up: its operations are counted apart (setup_ops), as its cycles are. A trace
 * that registers an IOAT and does nothing else: kvm-gfn resolved the guest's root table (16 KiB: four
 * pages, each a memslot search, a host walk and a pin) and root-pfn walked the root domain for each,
 * all in setup_ops; no path
 * count has any of it (pins and memslot searches were counted with the RPCIT path's). */
static void test_setup_ops_apart(void)
{
	const char *trace = "0 MEMSLOT 0 0 0x10000 0x20000000000\n0 IOAT 0 0x1000000 3\n";
	struct engine_result res;
	char err[512];
	CHECK(run_text_res(trace, NULL, 0, &res, err, sizeof(err)) == 0);
	for (unsigned i = 0; i < res.nsims; i++) {
		const struct stats *st = &res.sims[i]->c.st;
		for (unsigned k = 0; k < stats_ncounters(); k++)
			CHECK_EQ_U64(st->ops[k], 0);
	}
	const struct stats *k = stats_of(&res, "kvm-gfn"), *r = stats_of(&res, "root-pfn");
	CHECK(k && r);
	if (k && r) {
		CHECK_EQ_U64(k->setup_ops[OP_PINS], 4);
		CHECK_EQ_U64(k->setup_ops[OP_MEMSLOT_SEARCHES], 4);
		CHECK(k->setup_cycles > 0);
		CHECK_EQ_U64(r->setup_ops[stats_counter_index("root_walks")], 4);
	}
	engine_result_free(&res);
}

/* QEMU refuses a translated guest table that is not region-third (reg_ioat()): qemu asked for by name
 * fails the run saying why; with every strategy asked for (skip_refused) it is left out and reported as
 * not run. The shadowing strategies run a 4-level table as a what-if, and say so; at 3 levels nothing
 * is a what-if. */
static void test_qemu_refuses_levels(void)
{
	const char *t4 = "0 MEMSLOT 0 0 0x10000 0x20000000000\n0 IOAT 0 0x1000000 4\n"
			 "1000 MAP 0x100000000 0x2000000 0x1000 rw\n1100 RPCIT 0x100000000 0x1000\n";
	char path[] = "/tmp/iowalk-sim-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	fputs(t4, f);
	fclose(f);
	struct iw_config cfg;
	config_defaults(&cfg);
	struct engine_result res;
	char err[512];
	struct engine_opts o = {.trace_path = path, .trace_label = path, .check = true};
	o.strategies[o.nstrategies++] = strategy_find(&s390_ioat_model, "qemu");
	CHECK(engine_run(&o, &cfg, &res, err, sizeof(err)) < 0);
	CHECK_STR_CONTAINS(err, "QEMU refuses a translated IOAT whose root is not a region-third table");
	o.nstrategies = 0;
	for (unsigned i = 0; s390_strategy_at(i); i++)
		o.strategies[o.nstrategies++] = s390_strategy_at(i);
	o.skip_refused = true;
	CHECK(engine_run(&o, &cfg, &res, err, sizeof(err)) == 0);
	CHECK_EQ_U64(res.nrefused, 1);
	CHECK(res.nrefused == 1 && strcmp(res.refused[0].name, "qemu") == 0);
	CHECK_EQ_U64(res.nsims, o.nstrategies - 1);
	for (unsigned i = 0; i < res.nsims; i++) {
		const char *n = res.sims[i]->ops->name;
		bool shadow = strcmp(n, "kvm-gfn") == 0 || strcmp(n, "root-pfn") == 0;
		CHECK(shadow == (res.sims[i]->what_if != NULL));
	}
	engine_result_free(&res);
	remove(path);
	CHECK(run(SAMPLE("tiny.trace"), "z15", NULL, 0, 0, &res, &cfg, err, sizeof(err)) == 0);
	CHECK_EQ_U64(res.nrefused, 0);
	for (unsigned i = 0; i < res.nsims; i++)
		CHECK(res.sims[i]->what_if == NULL);
	engine_result_free(&res);
}

/* The guest's own IOPTE stores go through its vCPU's caches: after a MAP, nested's 2-D walk of the DMA
 * that follows reads the guest's three entries (region-third, segment, page) from the L3, where the
 * guest's stores left them (they came from DRAM), and every other entry (stage 2) from DRAM. Counted as
 * guest_vcpu_refs (3), charged to no path. direct's guest writes no table: no such reference. */
static void test_guest_stores_cached(void)
{
	const char *trace = "0 MEMSLOT 0 0 0x10000 0x20000000000\n0 IOAT 0 0x1000000 3\n"
			    "1000 MAP 0x100000000 0x2000000 0x1000 rw\n1100 RPCIT 0x100000000 0x1000\n"
			    "50000 DMA 1 0x100000000 0x1000 r\n";
	struct engine_result res;
	char err[512];
	/* (The refresh: a shadowing design refuses a guest that never flushes its new mapping; nested's
	 * guest, refresh bit off, does not issue it.) */
	CHECK(run_text_res(trace, NULL, 0, &res, err, sizeof(err)) == 0);
	for (unsigned i = 0; i < res.nsims; i++) {
		const struct sim *sm = res.sims[i];
		bool direct = strcmp(sm->ops->name, "direct") == 0;
		CHECK_EQ_U64(sm->c.st.ops[OP_GUEST_TABLE_REFS], direct ? 0 : 3);
		if (strcmp(sm->ops->name, "nested") == 0) {
			CHECK_EQ_U64(sm->c.mem.device_served[MEM_L3], 3);
			CHECK_EQ_U64(sm->c.mem.device_served[MEM_DRAM], sm->c.st.ops[OP_DEVICE_WALK_REFS] - 3);
			CHECK_EQ_U64(sm->c.st.rpcit_cycles, 0);
		}
	}
	engine_result_free(&res);
}

/* A guest whose function does not ask for refreshes after maps (nested's, refresh bit off) flushes its
 * unmaps as Linux dma-iommu's per-CPU flush queue does: when its timer (10 ms after the first unmap
 * queued: 52,000,000 cycles at 5.2 GHz) runs out, and when an unmap finds the ring full (255 of 256
 * entries queued), not when the refresh-on guest of the trace did (it never did here). Before the timer
 * a DMA of the unmapped pages still hits nested's IOTLB; after it, it faults. kvm-gfn's guest refreshes
 * as the trace says (no flush until the end): no fault. */
static void test_refresh_off_flush_queue(void)
{
	const char *trace = "0 MEMSLOT 0 0 0x10000 0x20000000000\n0 IOAT 0 0x1000000 3\n"
			    "1000 MAP 0x100000000 0x2000000 0x4000 rw\n1100 RPCIT 0x100000000 0x4000\n"
			    "10000 DMA 1 0x100000000 0x4000 r\n"
			    "20000 UNMAP 0x100000000 0x4000\n"
			    "40000000 DMA 1 0x100000000 0x4000 r\n"
			    "60000000 DMA 1 0x100000000 0x4000 r\n";
	struct engine_result res[2];
	run_text_both(trace, res);
	for (int chk = 0; chk < 2; chk++) {
		const struct stats *n = stats_of(&res[chk], "nested"), *k = stats_of(&res[chk], "kvm-gfn");
		CHECK(n && k);
		if (n && k) {
			CHECK_EQ_U64(n->ops[OP_FQ_FLUSHES], 1);
			CHECK_EQ_U64(n->faults[S390_FAULT_INVALID], 4);
			CHECK_EQ_U64(n->ops[OP_IOTLB_HITS], 4);
			CHECK_EQ_U64(k->ops[OP_FQ_FLUSHES], 0);
			CHECK_EQ_U64(k->faults[S390_FAULT_INVALID], 0);
		}
		engine_result_free(&res[chk]);
	}
	/* 300 one-page unmaps within a millisecond, then a DMA 20 ms later: the ring fills once (a flush at
	 * the 256th unmap) and the timer runs out once; with a ring of 2048 only the timer flushes. */
	char *t = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&t, &len);
	fputs("0 MEMSLOT 0 0 0x10000 0x20000000000\n0 IOAT 0 0x1000000 3\n"
	      "1000 MAP 0x100000000 0x2000000 0x200000 rw\n1100 RPCIT 0x100000000 0x200000\n", f);
	for (unsigned i = 0; i < 300; i++)
		fprintf(f, "%u UNMAP 0x%llx 0x1000\n", 10000 + 10 * i, 0x100000000ull + 0x1000ull * i);
	fputs("104000000 DMA 1 0x100000000 0x1000 r\n", f);
	fclose(f);
	const char *big[] = {"guest.fq_entries=2048"};
	for (int ring = 0; ring < 2; ring++) {
		struct engine_result r;
		char err[512];
		CHECK(run_text_res(t, ring ? big : NULL, ring ? 1 : 0, &r, err, sizeof(err)) == 0);
		const struct stats *n = stats_of(&r, "nested");
		CHECK(n != NULL);
		if (n)
			CHECK_EQ_U64(n->ops[OP_FQ_FLUSHES], ring ? 1 : 2);
		engine_result_free(&r);
	}
	free(t);
}

CHECK_MAIN(CASE(test_attribution), CASE(test_deterministic), CASE(test_json_round_trip), CASE(test_queueing_and_warmup), CASE(test_rejections),
	   CASE(test_checker_catches), CASE(test_no_page_after_next_record), CASE(test_gpa_zero_mapping),
	   CASE(test_time_headroom), CASE(test_unmap_of_unmapped_gpa), CASE(test_warmup_with_queued_walks),
	   CASE(test_drain), CASE(test_setup_apart), CASE(test_era_and_refresh), CASE(test_direct_unprotected), CASE(test_functions),
	   CASE(test_stretch_stops_at_record), CASE(test_in_place_stops_at_record),
	   CASE(test_direct_bus_address_at_issue), CASE(test_pin_folio), CASE(test_update_mean), CASE(test_setup_ops_apart), CASE(test_qemu_refuses_levels),
	   CASE(test_guest_stores_cached), CASE(test_refresh_off_flush_queue))
