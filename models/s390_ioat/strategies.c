/* strategies: the registry of the s390 model's translation strategies, in report order (kvm-gfn first:
 * the baseline of the ratios). It is the only list of them: the CLI's help and errors, the report's order
 * and baseline, the figures' colours (by position) and the tests all come from it (through
 * iw_model.strategy_at). A new strategy is one file plus one line here. */
#include "s390_model.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REGISTRY(X) X(strategy_kvm_gfn) X(strategy_root_pfn) X(strategy_nested) X(strategy_qemu) X(strategy_direct)

/* A test may compile this file with IOWALK_EXTRA_STRATEGY naming one more strategy, registered after the
 * others exactly as a new line above would be (tests/plugin/). */
#ifdef IOWALK_EXTRA_STRATEGY
#define ALL(X) REGISTRY(X) X(IOWALK_EXTRA_STRATEGY)
#else
#define ALL(X) REGISTRY(X)
#endif

#define DECLARE(s) extern const struct strategy_ops s;
#define ENTRY(s) &s,
ALL(DECLARE)
static const struct strategy_ops *const registry[] = {ALL(ENTRY)};

/* The parameters of the model and of every strategy, registered before main() in registry order, so
 * --print-config, --set, INI files and reports know them. */
__attribute__((constructor)) static void register_params(void)
{
	bool ok = config_register(s390_ioat_model.params) == 0 && stats_register(s390_ioat_model.counters) == 0;
	for (unsigned i = 0; ok && i < sizeof(registry) / sizeof(registry[0]); i++)
		ok = (!registry[i]->params || config_register(registry[i]->params) == 0) &&
		     (!registry[i]->counters || stats_register(registry[i]->counters) == 0);
	if (!ok) {
		fputs("iowalk: a parameter or counter name is taken twice, or there are too many\n", stderr);
		abort();
	}
}

const struct strategy_ops *s390_strategy_at(unsigned i)
{
	return i < sizeof(registry) / sizeof(registry[0]) ? registry[i] : NULL;
}
