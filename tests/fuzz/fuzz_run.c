/* fuzz_run: a whole simulation of an arbitrary (valid-by-the-reader) trace under every strategy, with
 * the checker on: a run either completes or stops with a message; a check failure is a bug. The same
 * run without the checker (which keeps only the pages changed since their last refresh) must give the
 * same numbers, or stop with the same message. Each input runs under two configurations: the tiny
 * preset (one walker, no walk caches in s390, an L1 only), and the same with what it leaves out (s390's
 * walk caches, an L2 and an L3 that device reads fill, caches shared in the bridge, two walkers, random
 * replacement), so that the paths only those reach are explored too. */
#include "engine.h"
#include "models.h"
#include "sim_impl.h"

#include <stdio.h>
#include <string.h>

/* What the second configuration sets over the tiny preset: for every model, then for s390's. */
static const char *const fuller[] = {"cache.l2.kib=2", "cache.l3.kib=8", "device.l3_allocate=1",
				     "cache.replacement=1", "device.shared_caches=1", "device.walkers=2", NULL};
static const char *const fuller_s390[] = {"device.wc_rt_entries=4", "device.wc_st_entries=4", NULL};

static int run(const unsigned char *data, size_t size, bool full, bool check, struct engine_result *res, char *err,
	       size_t errlen)
{
	/* Every strategy of the model the trace's header names (s390 for versions 1 and 2). */
	const struct iw_model *m = model_default();
	FILE *f = fmemopen((void *)data, size, "rb");
	char e[256];
	struct trace_reader *tr = f ? trace_open_stream(f, "fuzz", e, sizeof(e)) : NULL;
	if (tr) {
		const struct iw_model *named = model_find(trace_reader_header(tr)->format);
		m = named ? named : m;
		trace_close(tr);
	}
	struct iw_config cfg;
	config_preset(&cfg, "tiny");
	cfg.max_record_mib = 1; /* keep each input small: MAPs and DMAs are simulated page by page */
	for (unsigned i = 0; full && fuller[i]; i++)
		if (config_set_kv(&cfg, fuller[i], e, sizeof(e)))
			__builtin_trap(); /* the harness's own settings must be valid */
	for (unsigned i = 0; full && m == model_default() && fuller_s390[i]; i++)
		if (config_set_kv(&cfg, fuller_s390[i], e, sizeof(e)))
			__builtin_trap();
	struct engine_opts o;
	memset(&o, 0, sizeof(o));
	o.trace_data = data;
	o.trace_size = size;
	o.trace_label = "fuzz";
	o.check = check;
	for (unsigned i = 0; m->strategy_at(i); i++)
		o.strategies[o.nstrategies++] = m->strategy_at(i);
	return engine_run(&o, &cfg, res, err, errlen);
}

/* The same numbers, but for the count of checked translations. */
static bool same(const struct stats *a, const struct stats *b)
{
	for (unsigned k = 0; k < IW_MAX_COUNTERS; k++)
		if (k != OP_CHECKED && a->ops[k] != b->ops[k])
			return false;
	return memcmp(a->comp, b->comp, sizeof(a->comp)) == 0 && a->rpcit_cycles == b->rpcit_cycles &&
	       a->dma_cycles == b->dma_cycles && a->setup_cycles == b->setup_cycles && a->pinned_peak == b->pinned_peak &&
	       a->pinned_end == b->pinned_end && a->pinned_area == b->pinned_area &&
	       memcmp(a->faults, b->faults, sizeof(a->faults)) == 0;
}

/* The input under one configuration, with and without the checker. */
static void one(const unsigned char *data, size_t size, bool full)
{
	struct engine_result res, light;
	char err[512], err2[512];
	int rc = run(data, size, full, true, &res, err, sizeof(err));
	if (rc == 0) {
		for (unsigned i = 0; i < res.nsims; i++)
			if (stats_component_sum(&res.sims[i]->c.st) != stats_total(&res.sims[i]->c.st))
				__builtin_trap();
	} else if (res.check_failed) {
		fprintf(stderr, "%s\n", err);
		__builtin_trap();
	}
	int rc2 = run(data, size, full, false, &light, err2, sizeof(err2));
	if (rc2 != rc) {
		fprintf(stderr, "with --check: %s; without: %s\n", rc ? err : "ok", rc2 ? err2 : "ok");
		__builtin_trap();
	}
	if (rc == 0) {
		for (unsigned i = 0; i < res.nsims; i++)
			if (!same(&res.sims[i]->c.st, &light.sims[i]->c.st)) {
				fprintf(stderr, "%s: the numbers differ with and without --check\n", res.sims[i]->ops->name);
				__builtin_trap();
			}
		engine_result_free(&res);
		engine_result_free(&light);
	}
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	if (size == 0 || size > 4096)
		return 0;
	one(data, size, false);
	one(data, size, true);
	return 0;
}
