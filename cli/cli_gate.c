/* cli_gate: `iowalk gate REPORT.json --baseline BASE.json [--exact | --tolerance P%]`: compares every
 * number of a report with a baseline for CI performance gates. Exit 0 no regression, 1 on a regression
 * (or any difference with --exact), 2 when the two cannot be compared (different schema, trace,
 * configuration or strategies, nothing to compare) or on bad usage. */
#include "cli.h"
#include "decimal.h"
#include "outfile.h"
#include "report.h"

#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char gate_usage[] =
	"usage: iowalk gate REPORT.json --baseline BASE.json [--exact | --tolerance P%] [--strict]\n"
	"                   [--metric GLOB ...] [--all | --quiet] [--junit FILE] [--accept-config]\n"
	"\n"
	"Compares every number of every strategy in BASE (cycle totals and per translation, update and\n"
	"RPCIT distributions, the per-component breakdown, operation counts, cache, IOTLB and fault\n"
	"counters) and the trace's record count and times with REPORT. The simulator is deterministic, so\n"
	"--exact (what iowalk's own gates use) fails on any difference, a metric missing from either side\n"
	"included. Without --exact, each metric is judged in its direction: cycles, misses, faults and\n"
	"work done are better lower, hits better higher; a metric that got worse by more than the\n"
	"tolerance (default 0.5%) is a regression, one that got better is reported as an improvement;\n"
	"counts that describe the workload rather than performance (translations, updates, checked, ...)\n"
	"are shown when they differ but not judged.\n"
	"\n"
	"--metric GLOB (repeatable) gates only the metrics whose dotted name matches one (fnmatch:\n"
	"'cycles_total', 'cycles_per_*.mean', 'breakdown.*'): the others are not compared. The table shows\n"
	"the metrics that changed (--all: every one; --quiet: none, the summary alone), integers exactly and\n"
	"reals to 9 decimals.\n"
	"\n"
	"--junit FILE writes the result as JUnit XML (a test case per strategy, failing with its metrics) for\n"
	"CI systems, always: reports that cannot be compared give an error case saying why. Reports of\n"
	"different configurations are not compared (every differing key is listed) unless --accept-config.\n"
	"A metric the report has but the baseline has no number for (missing, null, a string) is said, not\n"
	"gated; --strict makes it a regression.\n"
	"\n"
	"exit status: 0 no regression, 1 regression, 2 incompatible inputs, bad usage, or a --junit file that\n"
	"cannot be written\n";

static json_t *load(const char *path)
{
	char err[512];
	json_t *j = cli_json_load(path, err, sizeof(err));
	if (!j)
		cli_error("%s", err);
	else if (!json_is_object(j) || !json_is_string(json_object_get(j, "schema"))) {
		cli_error("%s: not an iowalk report (no \"schema\")", path);
		json_decref(j);
		return NULL;
	}
	return j;
}

#define GATE_MAX_CASES 64

/* One JUnit test case: a strategy (or the trace), its failing metrics. */
struct gate_case {
	char name[64];
	int compared, failures;
	char msg[2048];
	size_t msg_len;
};

struct gate {
	double tol;
	int exact, quiet, strict, all;
	bool header_done;        /* the table's header line, printed before its first row or the summary */
	const char *metrics[32];  /* --metric globs: only metrics whose name matches one are gated */
	unsigned nmetrics;
	int regressions, improvements, compared, unjudged;
	int ungated;             /* report metrics the baseline has no number for (missing, null, a string) */
	char ungated_names[256]; /* the first of them */
	char error[2048];        /* why the two cannot be compared (the JUnit error case), "" when they can */
	struct gate_case cases[GATE_MAX_CASES];
	unsigned ncases;
	struct gate_case *cur;
};

/* How a metric is judged without --exact: +1 lower is better, -1 higher is better, 0 not judged (it
 * describes the workload or the check, not performance). `key` is the last component of the name. */
int cli_metric_direction(const char *name, const char *key)
{
	static const char *const neutral[] = {"translations", "iopte_updates", "rpcits", "dmas", "dma_translations",
					      "checked", "count", "records", "first_cycle", "last_cycle",
					      "ratio_total_cycles", "drain_updates", "rpcits_skipped", "horizon_s",
					      "setup_share", "ratio", "simulated_seconds", NULL};
	for (const char *const *n = neutral; *n; n++)
		if (strcmp(key, *n) == 0)
			return 0;
	size_t k = strlen(key);
	if ((k >= 4 && strcmp(key + k - 4, "hits") == 0) || strncmp(name, "cache.device_served.l", 21) == 0)
		return -1;
	return 1;
}

/* A number as it is: an integer exactly, a real at fixed precision (never 3.61049e+07); "-" for none. */
static void fmt_num(json_t *v, char *buf, size_t len)
{
	if (json_is_integer(v))
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, len, "%.9f", json_real_value(v));
	else
		snprintf(buf, len, "-");
}

/* The table's header, once, before its first row or the summary (not before an error: the reports could
 * not be compared, or no metric matched). */
static void table_header(struct gate *g)
{
	if (!g->quiet && !g->header_done)
		printf("%-9s %-40s %20s %20s %10s  %s\n", "strategy", "metric", "baseline", "report", "change", "status");
	g->header_done = true;
}

static void compare(struct gate *g, const char *strategy, const char *name, const char *key, json_t *bv, json_t *nv)
{
	if (g->nmetrics) { /* --metric: only the metrics chosen are gated */
		bool chosen = false;
		for (unsigned i = 0; i < g->nmetrics && !chosen; i++)
			chosen = fnmatch(g->metrics[i], name, 0) == 0;
		if (!chosen)
			return;
	}
	const char *status = "ok";
	double b = json_is_number(bv) ? json_number_value(bv) : NAN;
	double n = json_is_number(nv) ? json_number_value(nv) : NAN;
	double rel = 0;
	g->compared++;
	if (!json_is_number(bv) && !json_is_number(nv))
		return;
	if (!json_is_number(nv)) {
		status = "MISSING";
		g->regressions++;
	} else if (!json_is_number(bv)) {
		/* The baseline has no number here (missing, null or a string): nothing to gate it against. */
		status = g->exact || g->strict ? "NEW" : "new";
		g->regressions += g->exact || g->strict;
		if (!g->exact) {
			size_t l = strlen(g->ungated_names);
			if (g->ungated < 4 && l + strlen(name) + 3 < sizeof(g->ungated_names))
				snprintf(g->ungated_names + l, sizeof(g->ungated_names) - l, "%s%s", l ? ", " : "", name);
			g->ungated++;
		}
	} else if (n != b) {
		rel = b != 0 ? (n - b) / fabs(b) : INFINITY;
		int dir = cli_metric_direction(name, key);
		double worse = dir * (n > b ? 1 : -1); /* > 0: the change is for the worse */
		if (g->exact) {
			status = "CHANGED";
			g->regressions++;
		} else if (dir == 0) {
			status = "differs";
			g->unjudged++;
		} else if (fabs(rel) <= g->tol) {
			status = "within";
		} else if (worse > 0) {
			status = "REGRESSION";
			g->regressions++;
		} else {
			status = "improved";
			g->improvements++;
		}
	}
	if (g->cur) {
		g->cur->compared++;
		bool failed = strcmp(status, "MISSING") == 0 || strcmp(status, "NEW") == 0 ||
			      strcmp(status, "CHANGED") == 0 || strcmp(status, "REGRESSION") == 0;
		if (failed) {
			g->cur->failures++;
			size_t room = sizeof(g->cur->msg) - g->cur->msg_len;
			char bs[40], ns[40];
			fmt_num(bv, bs, sizeof(bs));
			fmt_num(nv, ns, sizeof(ns));
			int w = snprintf(g->cur->msg + g->cur->msg_len, room, "%s %s: baseline %s, report %s\n", status, name, bs, ns);
			if (w > 0)
				g->cur->msg_len += (size_t)w < room ? (size_t)w : room - 1;
		}
	}
	/* Every metric with --all; else only those that changed (a passing gate prints its summary alone). */
	if (!g->quiet && (g->all || (strcmp(status, "ok") != 0 && strcmp(status, "within") != 0))) {
		char bs[40], ns[40];
		fmt_num(bv, bs, sizeof(bs));
		fmt_num(nv, ns, sizeof(ns));
		table_header(g);
		printf("%-9s %-40s %20s %20s %+9.3f%%  %s\n", strategy, name, bs, ns, isfinite(rel) ? rel * 100 : 0.0, status);
	}
}

/* Compares every number under b and n (objects, recursively), naming each by its dotted path. */
static void compare_tree(struct gate *g, const char *strategy, const char *prefix, const char *key, json_t *b,
			 json_t *n)
{
	if (json_is_object(b) || json_is_object(n)) {
		const char *k;
		json_t *v;
		size_t plen = strlen(prefix);
		json_object_foreach(b, k, v)
		{
			char *name = malloc(plen + strlen(k) + 2);
			if (!name)
				continue;
			sprintf(name, "%s%s%s", prefix, plen ? "." : "", k);
			compare_tree(g, strategy, name, k, v, json_object_get(n, k));
			free(name);
		}
		json_object_foreach(n, k, v)
		{
			if (json_object_get(b, k))
				continue;
			char *name = malloc(plen + strlen(k) + 2);
			if (!name)
				continue;
			sprintf(name, "%s%s%s", prefix, plen ? "." : "", k);
			compare_tree(g, strategy, name, k, NULL, v);
			free(name);
		}
		return;
	}
	if (json_is_number(b) || json_is_number(n))
		compare(g, strategy, prefix, key, b, n);
}

static struct gate_case *begin_case(struct gate *g, const char *name)
{
	if (g->ncases == GATE_MAX_CASES)
		return g->cur = NULL;
	g->cur = &g->cases[g->ncases++];
	memset(g->cur, 0, sizeof(*g->cur));
	snprintf(g->cur->name, sizeof(g->cur->name), "%s", name);
	return g->cur;
}

static void xml_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		switch (ch) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\t':
		case '\n':
		case '\r': fputc(ch, f); break;
		default:
			/* XML 1.0 has no control characters, not even escaped: shown as \xNN text. */
			if (ch < 0x20 || ch == 0x7f)
				fprintf(f, "\\x%02x", ch);
			else
				fputc(ch, f);
		}
	}
}

/* JUnit XML: one test case per strategy (and one for the trace), failing with the metrics that did. */
/* Writes the JUnit XML into of (staged when the gate began) and commits it. 0, or -1 (said). */
static int write_junit(const struct gate *g, struct outfile *of)
{
	char err[512];
	FILE *f = outfile_fp(of);
	int failures = 0;
	for (unsigned i = 0; i < g->ncases; i++)
		failures += g->cases[i].failures > 0;
	bool has_error = g->error[0] != '\0';
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"iowalk-gate\" tests=\"%u\" failures=\"%d\" errors=\"%d\">\n",
		g->ncases + has_error, failures, has_error ? 1 : 0);
	if (has_error) {
		/* The reports could not be compared: one error case that says why (CI then shows it). */
		fputs("  <testcase classname=\"iowalk.gate\" name=\"compatibility\"><error message=\"the reports cannot be compared\">", f);
		xml_text(f, g->error);
		fputs("</error></testcase>\n", f);
	}
	for (unsigned i = 0; i < g->ncases; i++) {
		const struct gate_case *c = &g->cases[i];
		fputs("  <testcase classname=\"iowalk.gate\" name=\"", f);
		xml_text(f, c->name);
		fprintf(f, "\">");
		if (c->failures) {
			fprintf(f, "<failure message=\"%d of %d metrics %s\">", c->failures, c->compared,
				g->exact ? "differ" : "regressed or are missing");
			xml_text(f, c->msg);
			fputs("</failure>", f);
		}
		fputs("</testcase>\n", f);
	}
	fputs("</testsuite>\n", f);
	if (outfile_commit(of, err, sizeof(err)) < 0) {
		cli_error("gate: %s", err);
		return -1;
	}
	return 0;
}

/* Appends a line to the reason the reports cannot be compared (written to the JUnit file too). */
static void gate_error_line(struct gate *g, const char *line)
{
	size_t l = strlen(g->error);
	snprintf(g->error + l, sizeof(g->error) - l, "%s\n", line);
}

static int incompatible(struct gate *g, const char *why)
{
	cli_error("gate: cannot compare: %s", why);
	gate_error_line(g, why);
	return CLI_EXIT_USAGE;
}

int cli_gate(int argc, char **argv)
{
	static const struct option opts[] = {{"baseline", required_argument, NULL, 'b'},
					     {"tolerance", required_argument, NULL, 't'},
					     {"exact", no_argument, NULL, 'e'},
					     {"quiet", no_argument, NULL, 'q'},
					     {"all", no_argument, NULL, 'a'},
					     {"metric", required_argument, NULL, 'm'},
					     {"help", no_argument, NULL, 'h'},
					     {"junit", required_argument, NULL, 'J'},
					     {"accept-config", no_argument, NULL, 'A'},
					     {"strict", no_argument, NULL, 'S'},
					     {NULL, 0, NULL, 0}};
	static struct gate g; /* large (the JUnit cases): not on the stack */
	memset(&g, 0, sizeof(g));
	g.tol = 0.005;
	const char *base_path = NULL, *junit = NULL;
	int accept_config = 0;
	int c;
	optind = 1;
	while ((c = cli_getopt(argc, argv, "b:t:eqh", opts, NULL, "gate")) != -1) {
		switch (c) {
		case 'b': base_path = optarg; break;
		case 't': {
			char *end;
			errno = 0;
			double v = iw_strtod_decimal(optarg, &end);
			if (*end == '%')
				end++;
			if (errno || *end || end == optarg || !isfinite(v) || v < 0 || v > 1000) {
				cli_error("gate: --tolerance '%s': expected a percentage like 0.5%%", optarg);
				return CLI_EXIT_USAGE;
			}
			g.tol = v / 100;
			break;
		}
		case 'e': g.exact = 1; break;
		case 'J': junit = optarg; break;
		case 'A': accept_config = 1; break;
		case 'S': g.strict = 1; break;
		case 'q': g.quiet = 1; break;
		case 'a': g.all = 1; break;
		case 'm':
			if (g.nmetrics == sizeof(g.metrics) / sizeof(g.metrics[0])) {
				cli_error("gate: more than %zu --metric globs", sizeof(g.metrics) / sizeof(g.metrics[0]));
				return CLI_EXIT_USAGE;
			}
			g.metrics[g.nmetrics++] = optarg;
			break;
		case 'h': fputs(gate_usage, stdout); return CLI_EXIT_OK;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (!base_path || argc - optind != 1) {
		cli_error("gate: expected REPORT.json and --baseline BASE.json (see 'iowalk gate --help')");
		return CLI_EXIT_USAGE;
	}
	/* The JUnit file is staged first: a path that cannot be written fails the gate before it compares
	 * (it failed after, with the exit status of a regression). */
	struct outfile *junit_of = NULL;
	if (junit) {
		char err[512];
		if (!(junit_of = outfile_open(junit, err, sizeof(err)))) {
			cli_error("gate: --junit %s", err);
			return CLI_EXIT_USAGE;
		}
	}
	json_t *n = load(argv[optind]), *b = load(base_path);
	int rc = CLI_EXIT_USAGE;
	if (!n || !b)
		goto out;
	if (strcmp(json_string_value(json_object_get(n, "schema")), json_string_value(json_object_get(b, "schema"))) != 0) {
		rc = incompatible(&g, "different report schemas");
		goto out;
	}
	json_t *nt = json_object_get(n, "trace"), *bt = json_object_get(b, "trace");
	if (!json_equal(json_object_get(nt, "hash"), json_object_get(bt, "hash"))) {
		rc = incompatible(&g, "the reports are of different traces (trace.hash differs)");
		goto out;
	}
	json_t *ncfg = json_object_get(n, "config"), *bcfg = json_object_get(b, "config");
	if (!json_equal(ncfg, bcfg)) {
		/* Every differing key, so the cause is plain; --accept-config compares anyway. */
		const char *key;
		json_t *v;
		for (int pass = 0; pass < 2; pass++) {
			json_t *from = pass ? ncfg : bcfg, *other = pass ? bcfg : ncfg;
			json_object_foreach(from, key, v)
			{
				json_t *w = json_object_get(other, key);
				if (pass && w)
					continue;
				if (w && json_equal(v, w))
					continue;
				char *tv = json_dumps(v, JSON_ENCODE_ANY), *tw = w ? json_dumps(w, JSON_ENCODE_ANY) : NULL;
				char line[512];
				snprintf(line, sizeof(line), "config.%s: baseline %s, report %s", key, pass ? "(absent)" : tv,
					 pass ? tv : tw ? tw : "(absent)");
				fprintf(stderr, "gate: %s\n", line);
				if (!accept_config)
					gate_error_line(&g, line);
				free(tv);
				free(tw);
			}
		}
		if (!accept_config) {
			rc = incompatible(&g, "different configurations (listed above; --accept-config compares anyway)");
			goto out;
		}
	}
	if (!json_equal(json_object_get(json_object_get(n, "run"), "warmup_records"),
			json_object_get(json_object_get(b, "run"), "warmup_records"))) {
		rc = incompatible(&g, "different warm-up");
		goto out;
	}
	json_t *ns = json_object_get(n, "strategies"), *bs = json_object_get(b, "strategies");
	if (!json_is_object(bs) || json_object_size(bs) == 0) {
		rc = incompatible(&g, "the baseline has no strategies to compare");
		goto out;
	}
	const char *name;
	json_t *bst;
	json_object_foreach(ns, name, bst)
	{
		if (!json_object_get(bs, name)) {
			char why[128];
			snprintf(why, sizeof(why), "strategy %.64s is in the report but not in the baseline", name);
			rc = incompatible(&g, why);
			goto out;
		}
	}
	begin_case(&g, "trace");
	static const char *const trace_numbers[] = {"records", "first_cycle", "last_cycle", NULL};
	for (const char *const *k = trace_numbers; *k; k++) {
		char tname[32];
		snprintf(tname, sizeof(tname), "trace.%s", *k);
		compare_tree(&g, "-", tname, *k, json_object_get(bt, *k), json_object_get(nt, *k));
	}
	json_object_foreach(bs, name, bst)
	{
		json_t *nst = json_object_get(ns, name);
		if (!nst) {
			char why[128];
			snprintf(why, sizeof(why), "strategy %.64s is in the baseline but not in the report", name);
			rc = incompatible(&g, why);
			goto out;
		}
		begin_case(&g, name);
		compare_tree(&g, name, "", "", bst, nst);
	}
	g.cur = NULL;
	if (g.compared == 0) {
		rc = incompatible(&g, g.nmetrics ? "no metric matches the --metric globs" : "the baseline has no metrics to compare");
		goto out;
	}
	table_header(&g);
	if (g.exact)
		printf("gate: %d metrics compared exactly, %d differ\n", g.compared, g.regressions);
	else
		printf("gate: %d metrics compared, %d regression%s, %d improvement%s, %d unjudged difference%s "
		       "(tolerance %.3g%%)\n",
		       g.compared, g.regressions, g.regressions == 1 ? "" : "s", g.improvements,
		       g.improvements == 1 ? "" : "s", g.unjudged, g.unjudged == 1 ? "" : "s", g.tol * 100);
	if (g.ungated && !g.exact)
		fprintf(stderr, "gate: note: %d metric%s of the report %s no number in the baseline (missing, null or a string: %s%s)%s\n",
			g.ungated, g.ungated == 1 ? "" : "s", g.ungated == 1 ? "has" : "have", g.ungated_names,
			g.ungated > 4 ? ", ..." : "", g.strict ? ": regressions under --strict" : ": not gated (--strict fails on them)");
	rc = g.regressions ? CLI_EXIT_FAIL : CLI_EXIT_OK;
out:
	/* The JUnit file is written whatever the outcome, a failure to compare included (an error case). */
	if (junit_of) {
		if (!n || !b)
			gate_error_line(&g, "a report could not be read (see the message above)");
		if (write_junit(&g, junit_of) < 0)
			rc = CLI_EXIT_USAGE; /* not a regression: the result could not be delivered */
	}
	json_decref(n);
	json_decref(b);
	return rc;
}
