/* stats: see stats.h. */
#include "stats.h"

#include <string.h>

static const char *const comp_names[] = {
#define X(id, name, help) name,
	COMPONENTS(X)
#undef X
};
static const char *const comp_helps[] = {
#define X(id, name, help) help,
	COMPONENTS(X)
#undef X
};
static const char *const op_names[] = {
#define X(id, name, help) name,
	OPCOUNTS(X)
#undef X
};
static const char *const op_helps[] = {
#define X(id, name, help) help,
	OPCOUNTS(X)
#undef X
};

static const struct iw_counter *reg[IW_MAX_EXT_COUNTERS];
static const char *reg_owner[IW_MAX_EXT_COUNTERS];
static const struct iw_counter_group *reg_group[IW_MAX_EXT_COUNTERS];
static const struct iw_counter_group *groups[IW_MAX_EXT_COUNTERS];
static unsigned nreg, ngroups;

int stats_counter_index(const char *name)
{
	for (unsigned i = 0; i < OP_COUNT; i++)
		if (strcmp(op_names[i], name) == 0)
			return (int)i;
	for (unsigned i = 0; i < nreg; i++)
		if (strcmp(reg[i]->name, name) == 0)
			return (int)(OP_COUNT + i);
	return -1;
}

int stats_register(const struct iw_counter_group *g)
{
	for (unsigned i = 0; i < ngroups; i++)
		if (groups[i] == g)
			return 0;
	if (ngroups == IW_MAX_EXT_COUNTERS || nreg + g->n > IW_MAX_EXT_COUNTERS)
		return -1;
	for (unsigned i = 0; i < g->n; i++)
		if (stats_counter_index(g->counters[i].name) >= 0)
			return -1;
	for (unsigned i = 0; i < g->n; i++) {
		reg_owner[nreg] = g->owner;
		reg_group[nreg] = g;
		reg[nreg++] = &g->counters[i];
	}
	groups[ngroups++] = g;
	return 0;
}

unsigned stats_ncounters(void) { return OP_COUNT + nreg; }
const char *stats_counter_name(unsigned i) { return i < OP_COUNT ? op_names[i] : i < OP_COUNT + nreg ? reg[i - OP_COUNT]->name : "?"; }
const char *stats_counter_help(unsigned i) { return i < OP_COUNT ? op_helps[i] : i < OP_COUNT + nreg ? reg[i - OP_COUNT]->help : "?"; }
const struct iw_counter_group *stats_counter_group(unsigned i)
{
	return i >= OP_COUNT && i < OP_COUNT + nreg ? reg_group[i - OP_COUNT] : NULL;
}
const char *stats_counter_owner(unsigned i) { return i >= OP_COUNT && i < OP_COUNT + nreg ? reg_owner[i - OP_COUNT] : NULL; }

const char *comp_name(enum comp c) { return comp_names[c]; }
const char *comp_help(enum comp c) { return comp_helps[c]; }
const char *op_name(enum opcount o) { return op_names[o]; }

void stats_init(struct stats *s)
{
	memset(s->comp, 0, sizeof(s->comp));
	memset(s->ops, 0, sizeof(s->ops));
	memset(s->faults, 0, sizeof(s->faults));
	s->rpcit_cycles = s->dma_cycles = s->setup_cycles = s->guest_stall_cycles = 0;
	s->setup_pinned_pages = s->pinned_peak = s->pinned_end = 0;
	s->pinned_area = 0;
	s->window_start = s->window_end = 0;
	hist_init(&s->dma);
	hist_init(&s->update);
	hist_init(&s->rpcit);
}

uint64_t stats_pinned_avg_bytes(const struct stats *s)
{
	uint64_t span = s->window_end - s->window_start;
	return span ? (uint64_t)(s->pinned_area * 4096u / span) : s->pinned_end * 4096u;
}

uint64_t stats_component_sum(const struct stats *s)
{
	uint64_t t = 0;
	for (int c = 0; c < COMP_COUNT; c++)
		t += s->comp[c];
	return t;
}
