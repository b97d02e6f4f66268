/* report: a run's results as a readable table, JSON (schema in docs/report-schema.md) and CSV. */
#ifndef IOWALK_SIM_REPORT_H
#define IOWALK_SIM_REPORT_H

#include "sim/engine.h"

#include <stdio.h>

#define REPORT_SCHEMA "iowalk-report/1"

struct report_ctx {
	const struct engine_result *res;
	const struct iw_config *cfg;
	const struct engine_opts *opts;
};

void report_table(const struct report_ctx *r, FILE *f);
/* 0 or -1 (write error). */
int report_json(const struct report_ctx *r, FILE *f);
int report_csv(const struct report_ctx *r, FILE *f);

#endif
