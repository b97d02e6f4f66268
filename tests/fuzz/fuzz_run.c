/* fuzz_run: a whole simulation of an arbitrary (valid-by-the-reader) trace under every strategy, with
 * the checker on: a run either completes or stops with a message; a check failure is a bug. The same
 * run without the checker (which keeps only the pages changed since their last refresh) must give the
 * same numbers, or stop with the same message. */
#include "engine.h"
#include "models.h"
#include "sim_impl.h"

#include <stdio.h>
#include <string.h>

static int run(const unsigned char *data, size_t size, bool check, struct engine_result *res, char *err, size_t errlen)
{
	struct iw_config cfg;
	config_preset(&cfg, "tiny");
	cfg.max_record_mib = 1; /* keep each input small: MAPs and DMAs are simulated page by page */
	struct engine_opts o;
	memset(&o, 0, sizeof(o));
	o.trace_data = data;
	o.trace_size = size;
	o.trace_label = "fuzz";
	o.check = check;
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

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	if (size == 0 || size > 4096)
		return 0;
	struct engine_result res, light;
	char err[512], err2[512];
	int rc = run(data, size, true, &res, err, sizeof(err));
	if (rc == 0) {
		for (unsigned i = 0; i < res.nsims; i++)
			if (stats_component_sum(&res.sims[i]->c.st) != stats_total(&res.sims[i]->c.st))
				__builtin_trap();
	} else if (res.check_failed) {
		fprintf(stderr, "%s\n", err);
		__builtin_trap();
	}
	int rc2 = run(data, size, false, &light, err2, sizeof(err2));
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
	return 0;
}
