/* report: a run's results as a readable table, JSON (schema in docs/report-schema.md) and CSV. */
#ifndef IOWALK_SIM_REPORT_H
#define IOWALK_SIM_REPORT_H

#include "engine.h"

#include <jansson.h>
#include <stdio.h>

#define REPORT_SCHEMA "iowalk-report/2"

struct report_ctx {
	const struct engine_result *res;
	const struct iw_config *cfg;
	const struct engine_opts *opts;
};

void report_table(const struct report_ctx *r, FILE *f);
/* The JSON report as an object (the caller json_decref()s it). */
json_t *report_json_object(const struct report_ctx *r);
/* CSV: the header, with `lead` (comma-separated names, or NULL) as the first columns; then one row per
 * strategy of a JSON report, each starting with `lead` values. The same rows for a run's --csv, a sweep
 * and a sweep's --merge of per-point JSON files; fmt names the fault columns. */
void report_csv_header(FILE *f, const struct iw_model *model, const char *lead);
/* The identity of the build that makes a result: its git revision when built from a clean tree; with
 * uncommitted changes ("-dirty") or outside a repository, that and a hash of the executable, so two
 * different builds never share one. Every report (tool.build), CSV row (build) and sweep_hash has it. */
const char *report_build_id(void);
/* run.config_hash of a report: FNV-1a 64 over every parameter's value and the run settings of r (its res
 * is not read: a sweep's merge computes a point's hash before any run). */
uint64_t report_config_hash(const struct report_ctx *r);
int report_csv_rows(json_t *report, const struct iw_model *model, FILE *f, const char *lead);
/* 0 or -1 (write error). */
int report_json(const struct report_ctx *r, FILE *f);
int report_csv(const struct report_ctx *r, FILE *f);
/* The latency distributions as CDF points (strategy, metric, cycles, cumulative fraction), one per
 * histogram bucket in use. */
int report_cdf(const struct report_ctx *r, FILE *f);

#endif
