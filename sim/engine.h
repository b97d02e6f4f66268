/* engine: replays one trace into one simulation per strategy, in lockstep (the trace is read once,
 * streaming), with warm-up and progress reporting. */
#ifndef IOWALK_SIM_ENGINE_H
#define IOWALK_SIM_ENGINE_H

#include "config.h"
#include "sim.h"
#include "trace.h"

#include <stdbool.h>

#define ENGINE_MAX_STRATEGIES 8

struct engine_opts {
	const char *trace_path;       /* or NULL for an in-memory trace given by trace_data */
	const unsigned char *trace_data;
	size_t trace_size;
	const struct trace_memory *trace_mem; /* when set: the same trace, read into memory already
					       (engine_load_trace()): replayed from there */
	const char *trace_label;      /* how reports name the trace */
	bool format_given;            /* the strategies' model was named by the user (--format), not read from
					 the trace's header: a header that disagrees is the user's mistake */
	const struct strategy_ops *strategies[ENGINE_MAX_STRATEGIES];
	unsigned nstrategies;
	bool check;
	uint64_t warmup;              /* records replayed before statistics start */
	bool no_drain;                /* leave IOPTE changes not refreshed by the end of the trace unrefreshed */
	double amortize_s;            /* report set-up amortized over this many seconds of such work (0: not) */
	bool progress;                /* print progress on stderr when it is a terminal */
	bool progress_lines;          /* print progress lines on stderr even when it is not (--progress) */
	const char *tag;              /* free text recorded in the report's run.tag (sweep points) */
	uint64_t mrc_max_entries;     /* iowalk mrc: the IOTLB's curves up to this size (sim_enable_mrc()); 0: none */
	double mrc_sample;            /* their fully associative curves' SHARDS rate (0 or 1: every key) */
	bool mrc_all;                 /* also the configuration and strategy-own caches' curves (sim_mrc_all()) */
	bool skip_refused;            /* a strategy that refuses the trace (sim_refuse()) is left out and
					 reported as not run, instead of failing the run ('all') */
};

struct engine_result {
	struct sim *sims[ENGINE_MAX_STRATEGIES];
	unsigned nsims;
	struct trace_header hdr;
	uint64_t records;
	uint64_t trace_hash;
	uint64_t first_time, last_time;
	bool check_failed;            /* on failure: a translation disagreed with the reference map */
	/* Strategies left out because they refuse the trace (engine_opts.skip_refused): name and reason. */
	struct engine_refusal {
		const char *name;
		char why[512];
	} refused[ENGINE_MAX_STRATEGIES];
	unsigned nrefused;
};

/* The trace o names read whole into memory (at most max_records records), for runs of one trace under
 * many configurations (sensitivity samples) to set as o->trace_mem: NULL with the reason in err when it
 * holds more (*too_big set), cannot be read or memory runs out. */
struct trace_memory *engine_load_trace(const struct engine_opts *o, uint64_t max_records, bool *too_big, char *err,
				       size_t errlen);

/* The strategy of model m named name, or NULL. */
const struct strategy_ops *strategy_find(const struct iw_model *m, const char *name);
/* Position of ops among its model's strategies (their number when it is not registered). */
unsigned strategy_rank(const struct strategy_ops *ops);

/* Whether counter i (stats_ncounters()) is reported for runs of model m: the engine's, and those m and its
 * strategies registered (a build that knows several models reports each run's own). */
bool model_reports_counter(const struct iw_model *m, unsigned i);

/* The parameter groups of model m and its strategies. */
void model_param_scope(const struct iw_model *m, struct iw_param_scope *sc);

/* 0, or -1 with the reason in err. On success the caller frees with engine_result_free(). */
int engine_run(const struct engine_opts *o, const struct iw_config *cfg, struct engine_result *res, char *err,
	       size_t errlen);
void engine_result_free(struct engine_result *res);

#endif
