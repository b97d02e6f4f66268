/* strategies: the registry of translation strategies, in report order (kvm-gfn first: the baseline). */
#include "s390_model.h"

#include <string.h>

extern const struct strategy_ops strategy_kvm_gfn, strategy_root_pfn, strategy_nested, strategy_qemu;

static const struct strategy_ops *const registry[] = {&strategy_kvm_gfn, &strategy_root_pfn, &strategy_nested,
						      &strategy_qemu};

const struct strategy_ops *strategy_at(unsigned i)
{
	return i < sizeof(registry) / sizeof(registry[0]) ? registry[i] : NULL;
}

const struct strategy_ops *strategy_find(const char *name)
{
	for (unsigned i = 0; strategy_at(i); i++)
		if (strcmp(registry[i]->name, name) == 0)
			return registry[i];
	return NULL;
}
