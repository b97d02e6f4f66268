/* fuzz_run: a whole simulation of an arbitrary (valid-by-the-reader) trace under every strategy, with
 * the checker on: a run either completes or stops with a message; a check failure is a bug. */
#include "engine.h"
#include "s390_model.h"

#include <stdio.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	if (size == 0 || size > 4096)
		return 0;
	struct iw_config cfg;
	config_preset(&cfg, "tiny");
	cfg.max_record_mib = 1; /* keep each input small: MAPs and DMAs are simulated page by page */
	struct engine_opts o;
	memset(&o, 0, sizeof(o));
	o.trace_data = data;
	o.trace_size = size;
	o.trace_label = "fuzz";
	o.check = true;
	for (unsigned i = 0; strategy_at(i); i++)
		o.strategies[o.nstrategies++] = strategy_at(i);
	struct engine_result res;
	char err[512];
	if (engine_run(&o, &cfg, &res, err, sizeof(err)) == 0) {
		for (unsigned i = 0; i < res.nsims; i++)
			if (stats_component_sum(&res.sims[i]->st) != stats_total(&res.sims[i]->st))
				__builtin_trap();
		engine_result_free(&res);
	} else if (res.check_failed) {
		fprintf(stderr, "%s\n", err);
		__builtin_trap();
	}
	return 0;
}
