/* cli_gate: `iowalk gate REPORT.json --baseline BASE.json [--tolerance P%] [--exact]`: compares a report
 * with a baseline for CI performance gates. Exit 0 within tolerance, 1 on a regression, 2 when the two
 * cannot be compared (different schema, trace, configuration or strategies) or on bad usage. */
#include "sim/cli.h"
#include "sim/report.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char gate_usage[] =
	"usage: iowalk gate REPORT.json --baseline BASE.json [--tolerance P%] [--exact] [--quiet]\n"
	"\n"
	"Compares every metric of every strategy in BASE (cycles totals and per translation, per update\n"
	"and per RPCIT distributions, operation counts) with REPORT. Lower is better for all of them: a\n"
	"metric that grew by more than the tolerance (default 0.5%) is a regression; one that shrank is\n"
	"reported as an improvement and fails only with --exact, which fails on any difference.\n"
	"\n"
	"exit status: 0 within tolerance, 1 regression, 2 incompatible inputs or bad usage\n";

static json_t *load(const char *path)
{
	json_error_t e;
	json_t *j = json_load_file(path, 0, &e);
	if (!j)
		cli_error("%s: line %d: %s", path, e.line, e.text);
	else if (!json_is_object(j) || !json_is_string(json_object_get(j, "schema"))) {
		cli_error("%s: not an iowalk report (no \"schema\")", path);
		json_decref(j);
		return NULL;
	}
	return j;
}

struct gate {
	double tol;
	int exact, quiet;
	int regressions, improvements, compared;
};

static void compare(struct gate *g, const char *strategy, const char *metric, json_t *bv, json_t *nv)
{
	if (!json_is_number(bv))
		return;
	double b = json_number_value(bv);
	double n = json_is_number(nv) ? json_number_value(nv) : NAN;
	g->compared++;
	const char *status = "ok";
	double rel = b != 0 ? (n - b) / fabs(b) : (n == 0 ? 0 : INFINITY);
	if (isnan(n)) {
		status = "MISSING";
		g->regressions++;
	} else if (n != b) {
		if (rel > g->tol) {
			status = "REGRESSION";
			g->regressions++;
		} else if (g->exact) {
			status = "CHANGED";
			g->regressions++;
		} else if (rel < -g->tol) {
			status = "improved";
			g->improvements++;
		} else {
			status = "within";
		}
	}
	if (!g->quiet || strcmp(status, "ok") != 0)
		printf("%-9s %-34s %16.3f %16.3f %+9.3f%%  %s\n", strategy, metric, b, n, isfinite(rel) ? rel * 100 : 0.0,
		       status);
}

static void compare_object(struct gate *g, const char *strategy, const char *prefix, json_t *b, json_t *n)
{
	const char *key;
	json_t *bv;
	json_object_foreach(b, key, bv)
	{
		char name[128];
		snprintf(name, sizeof(name), "%s%s", prefix, key);
		json_t *nv = json_object_get(n, key);
		if (json_is_object(bv))
			compare_object(g, strategy, strcat(name, "."), bv, nv);
		else
			compare(g, strategy, name, bv, nv);
	}
}

static int incompatible(const char *why)
{
	cli_error("gate: cannot compare: %s", why);
	return CLI_EXIT_USAGE;
}

int cli_gate(int argc, char **argv)
{
	static const struct option opts[] = {{"baseline", required_argument, NULL, 'b'},
					     {"tolerance", required_argument, NULL, 't'},
					     {"exact", no_argument, NULL, 'e'},
					     {"quiet", no_argument, NULL, 'q'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	struct gate g = {.tol = 0.005};
	const char *base_path = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "b:t:eqh", opts, NULL)) != -1) {
		switch (c) {
		case 'b': base_path = optarg; break;
		case 't': {
			char *end;
			errno = 0;
			double v = strtod(optarg, &end);
			if (*end == '%')
				end++;
			if (errno || *end || end == optarg || v < 0 || v > 1000) {
				cli_error("gate: --tolerance '%s': expected a percentage like 0.5%%", optarg);
				return CLI_EXIT_USAGE;
			}
			g.tol = v / 100;
			break;
		}
		case 'e': g.exact = 1; break;
		case 'q': g.quiet = 1; break;
		case 'h': fputs(gate_usage, stdout); return CLI_EXIT_OK;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (!base_path || argc - optind != 1) {
		cli_error("gate: expected REPORT.json and --baseline BASE.json (see 'iowalk gate --help')");
		return CLI_EXIT_USAGE;
	}
	json_t *n = load(argv[optind]), *b = load(base_path);
	int rc = CLI_EXIT_USAGE;
	if (!n || !b)
		goto out;
	if (strcmp(json_string_value(json_object_get(n, "schema")), json_string_value(json_object_get(b, "schema"))) != 0) {
		rc = incompatible("different report schemas");
		goto out;
	}
	json_t *nt = json_object_get(n, "trace"), *bt = json_object_get(b, "trace");
	if (!json_equal(json_object_get(nt, "hash"), json_object_get(bt, "hash"))) {
		rc = incompatible("the reports are of different traces (trace.hash differs)");
		goto out;
	}
	json_t *ncfg = json_object_get(n, "config"), *bcfg = json_object_get(b, "config");
	if (!json_equal(ncfg, bcfg)) {
		const char *key;
		json_t *v;
		json_object_foreach(bcfg, key, v)
		{
			if (!json_equal(v, json_object_get(ncfg, key))) {
				char why[256];
				snprintf(why, sizeof(why), "different configurations (first difference: config.%s)", key);
				rc = incompatible(why);
				goto out;
			}
		}
		rc = incompatible("different configurations (the report has parameters the baseline lacks)");
		goto out;
	}
	if (!json_equal(json_object_get(json_object_get(n, "run"), "warmup_records"),
			json_object_get(json_object_get(b, "run"), "warmup_records"))) {
		rc = incompatible("different warm-up");
		goto out;
	}
	json_t *ns = json_object_get(n, "strategies"), *bs = json_object_get(b, "strategies");
	const char *name;
	json_t *bst;
	if (!g.quiet)
		printf("%-9s %-34s %16s %16s %10s  %s\n", "strategy", "metric", "baseline", "report", "change", "status");
	json_object_foreach(bs, name, bst)
	{
		json_t *nst = json_object_get(ns, name);
		if (!nst) {
			char why[128];
			snprintf(why, sizeof(why), "strategy %s is in the baseline but not in the report", name);
			rc = incompatible(why);
			goto out;
		}
		static const char *const metrics[] = {"translations", "iopte_updates", "rpcits", "cycles_total",
						      "cycles_rpcit_path", "cycles_dma_path", "cycles_setup",
						      "cycles_per_translation_amortized", NULL};
		for (const char *const *m = metrics; *m; m++)
			compare(&g, name, *m, json_object_get(bst, *m), json_object_get(nst, *m));
		static const char *const objects[] = {"cycles_per_translation", "cycles_per_update", "cycles_per_rpcit",
						      "ops", NULL};
		for (const char *const *o = objects; *o; o++) {
			char prefix[64];
			snprintf(prefix, sizeof(prefix), "%s.", *o);
			compare_object(&g, name, prefix, json_object_get(bst, *o), json_object_get(nst, *o));
		}
	}
	printf("gate: %d metrics compared, %d regression%s, %d improvement%s (tolerance %.3g%%%s)\n", g.compared,
	       g.regressions, g.regressions == 1 ? "" : "s", g.improvements, g.improvements == 1 ? "" : "s",
	       g.tol * 100, g.exact ? ", exact" : "");
	rc = g.regressions ? CLI_EXIT_FAIL : CLI_EXIT_OK;
out:
	json_decref(n);
	json_decref(b);
	return rc;
}
