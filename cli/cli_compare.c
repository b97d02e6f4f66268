/* cli_compare: `iowalk compare A.json B.json [--markdown|--latex|--json] [--all]`: two reports side by
 * side, per strategy and metric: both values, the difference, the ratio and whether B is better or worse
 * (each metric's direction, as `iowalk gate` judges it; workload counts are not judged). */
#include "cli.h"

#include <fnmatch.h>
#include <stdbool.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char compare_usage[] =
	"usage: iowalk compare A.json B.json [--markdown | --latex [--metric GLOB ...] | --json] [--all]\n"
	"\n"
	"Compares two reports of `iowalk run --json` metric by metric, for every strategy both contain: A's\n"
	"value, B's, the difference B - A, the ratio B / A, and B's verdict: better or worse in the metric's\n"
	"direction (cycles, misses, faults lower; hits higher), or '-' for counts that describe the workload\n"
	"(translations, updates, checked, ...). Differences of trace or configuration are listed first, key\n"
	"by key. Only the metrics that differ are shown unless --all.\n"
	"\n"
	"  --markdown   a Markdown table        --json   a JSON array\n"
	"  --latex      a booktabs tabular to \\input: strategies as columns, per metric a row of A, of B and\n"
	"               of B / A, numbers fixed-point; --metric NAME|GLOB (repeatable) chooses the metrics\n"
	"               (default: cycles_per_update.mean, cycles_per_translation.mean,\n"
	"               cycles_per_translation_all, cycles_total)\n"
	"\n"
	"exit status: 0, or 2 when a file is not an iowalk report or on bad usage\n";

enum fmt { F_TEXT, F_MD, F_TEX, F_JSON };

struct cmp {
	enum fmt fmt;
	int all;
	const char *metrics[32]; /* --latex: the metrics (names or globs) of the table */
	unsigned nmetrics;
	unsigned rows, shown;
	json_t *out; /* --json */
};

static json_t *load(const char *path)
{
	char err[512];
	json_t *j = cli_json_load(path, err, sizeof(err));
	if (!j) {
		cli_error("compare: %s", err);
		return NULL;
	}
	if (!json_is_object(j) || !json_is_string(json_object_get(j, "schema")) ||
	    !json_is_object(json_object_get(j, "strategies"))) {
		cli_error("compare: %s: not an iowalk report", path);
		json_decref(j);
		return NULL;
	}
	return j;
}

static void row(struct cmp *c, const char *strategy, const char *name, const char *key, json_t *av, json_t *bv)
{
	int have_a = json_is_number(av), have_b = json_is_number(bv);
	if (!have_a && !have_b)
		return;
	double a = have_a ? json_number_value(av) : NAN, b = have_b ? json_number_value(bv) : NAN;
	c->rows++;
	int same = have_a && have_b && a == b;
	if (same && !c->all)
		return;
	c->shown++;
	int dir = cli_metric_direction(name, key);
	const char *verdict = "-";
	if (have_a && have_b && !same && dir != 0)
		verdict = (b - a) * dir < 0 ? "better" : "worse";
	else if (!have_a || !have_b)
		verdict = have_a ? "missing in B" : "only in B";
	double diff = b - a, ratio = have_a && have_b && a != 0 ? b / a : NAN;
	char rtext[32] = "-"; /* no ratio to a zero or a missing value (it printed "nan") */
	if (isfinite(ratio))
		snprintf(rtext, sizeof(rtext), "%.4f", ratio);
	switch (c->fmt) {
	case F_TEXT:
		printf("%-9s %-40s %16.6g %16.6g %+14.6g %9s  %s\n", strategy, name, a, b, diff, rtext, verdict);
		break;
	case F_MD:
		printf("| %s | %s | %.6g | %.6g | %+.6g | %s | %s |\n", strategy, name, a, b, diff, rtext, verdict);
		break;
	case F_TEX:
		break; /* written by latex_table() */
	case F_JSON: {
		json_t *r = json_object();
		json_object_set_new(r, "strategy", json_string(strategy));
		json_object_set_new(r, "metric", json_string(name));
		json_object_set_new(r, "a", have_a ? json_real(a) : json_null());
		json_object_set_new(r, "b", have_b ? json_real(b) : json_null());
		json_object_set_new(r, "difference", have_a && have_b ? json_real(diff) : json_null());
		json_object_set_new(r, "ratio", isfinite(ratio) ? json_real(ratio) : json_null());
		json_object_set_new(r, "direction", json_string(dir > 0 ? "lower" : dir < 0 ? "higher" : "none"));
		json_object_set_new(r, "verdict", json_string(verdict));
		json_array_append_new(c->out, r);
		break;
	}
	}
}

/* Every number under a and b (objects, recursively), named by its dotted path. */
static void walk(struct cmp *c, const char *strategy, const char *prefix, const char *key, json_t *a, json_t *b)
{
	if (json_is_object(a) || json_is_object(b)) {
		const char *k;
		json_t *v;
		size_t pl = strlen(prefix);
		for (int pass = 0; pass < 2; pass++) {
			json_t *from = pass ? b : a, *other = pass ? a : b;
			json_object_foreach(from, k, v)
			{
				if (pass && json_object_get(other, k))
					continue; /* seen in the first pass */
				char *name = malloc(pl + strlen(k) + 2);
				if (!name)
					continue;
				sprintf(name, "%s%s%s", prefix, pl ? "." : "", k);
				json_t *va = pass ? NULL : v, *vb = pass ? v : json_object_get(b, k);
				walk(c, strategy, name, k, va, vb);
				free(name);
			}
		}
		return;
	}
	row(c, strategy, prefix, key, a, b);
}

/* Lists the trace and configuration keys whose values differ, on stderr for the table formats. */
static void context_diffs(json_t *a, json_t *b, FILE *f)
{
	static const char *const sections[] = {"trace", "config", "run"};
	for (unsigned s = 0; s < 3; s++) {
		json_t *sa = json_object_get(a, sections[s]), *sb = json_object_get(b, sections[s]);
		const char *k;
		json_t *v;
		json_object_foreach(sa, k, v)
		{
			json_t *w = json_object_get(sb, k);
			if (w && json_equal(v, w))
				continue;
			char *ta = json_dumps(v, JSON_ENCODE_ANY), *tb = w ? json_dumps(w, JSON_ENCODE_ANY) : NULL;
			fprintf(f, "note: %s.%s differs: A %s, B %s\n", sections[s], k, ta ? ta : "?", tb ? tb : "(absent)");
			free(ta);
			free(tb);
		}
		json_object_foreach(sb, k, v)
		{
			if (json_object_get(sa, k))
				continue;
			char *tb = json_dumps(v, JSON_ENCODE_ANY);
			fprintf(f, "note: %s.%s differs: A (absent), B %s\n", sections[s], k, tb ? tb : "?");
			free(tb);
		}
	}
}

/* The value at a dotted path under o (NULL: none). */
static json_t *at_path(json_t *o, const char *path)
{
	char buf[512];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf, *dot; o && p; p = dot ? dot + 1 : NULL) {
		dot = strchr(p, '.');
		if (dot)
			*dot = '\0';
		o = json_object_get(o, p);
	}
	return o;
}

/* The dotted names of the numbers under o, in order, matching glob, into names (up to max). */
static void leaf_names(json_t *o, const char *prefix, const char *glob, char (*names)[128], unsigned *n, unsigned max)
{
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v)
	{
		char name[128];
		snprintf(name, sizeof(name), "%s%s%s", prefix, prefix[0] ? "." : "", k);
		if (json_is_object(v))
			leaf_names(v, name, glob, names, n, max);
		else if (json_is_number(v) && fnmatch(glob, name, 0) == 0 && *n < max)
			snprintf(names[(*n)++], 128, "%s", name);
	}
}

/* A metric's name in LaTeX (\_ for _). */
static void tex_name(const char *s)
{
	for (; *s; s++)
		*s == '_' ? fputs("\\_", stdout) : putchar(*s);
}

/* A number fixed-point: an integer exactly, a real to one decimal (a ratio to three). */
static void tex_num(json_t *v, bool ratio)
{
	if (json_is_integer(v))
		printf(" & %" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		printf(ratio ? " & %.3f" : " & %.1f", json_real_value(v));
	else
		fputs(" & --", stdout);
}

/* --latex: a booktabs table to \input: the strategies of both reports as columns; per metric chosen
 * (default: the per-update, per-translation and total figures) a row of A's values, one of B's and one
 * of B / A. */
static int latex_table(json_t *a, json_t *b, const char *pa, const char *pb, const char *const *metrics, unsigned nm)
{
	static const char *const defaults[] = {"cycles_per_update.mean", "cycles_per_translation.mean",
					       "cycles_per_translation_all", "cycles_total"};
	if (!nm) {
		metrics = defaults;
		nm = 4;
	}
	json_t *sa = json_object_get(a, "strategies"), *sb = json_object_get(b, "strategies");
	const char *strat[16];
	unsigned ns = 0;
	const char *k;
	json_t *v;
	json_object_foreach(sa, k, v)
		if (json_object_get(sb, k) && ns < 16)
			strat[ns++] = k;
	static char names[256][128];
	unsigned n = 0;
	if (!ns) {
		cli_error("compare --latex: no strategy is in both reports");
		return -1;
	}
	for (unsigned i = 0; i < nm; i++) { /* names and globs, expanded over the first strategy's metrics */
		unsigned before = n;
		leaf_names(json_object_get(sa, strat[0]), "", metrics[i], names, &n, 256);
		if (n == before) { /* a table without the row asked for would pass unnoticed into a paper */
			cli_error("compare --latex: --metric %s names no metric of the reports (see 'iowalk compare A B --all')",
				  metrics[i]);
			return -1;
		}
	}
	printf("%% iowalk compare --latex: A = %s, B = %s (needs \\usepackage{booktabs})\n", pa, pb);
	printf("\\begin{tabular}{l");
	for (unsigned s = 0; s < ns; s++)
		putchar('r');
	printf("}\n\\toprule\n");
	for (unsigned s = 0; s < ns; s++)
		printf(" & %s", strat[s]);
	printf(" \\\\\n\\midrule\n");
	for (unsigned i = 0; i < n; i++) {
		printf("\\multicolumn{%u}{l}{\\texttt{", ns + 1);
		tex_name(names[i]);
		printf("}} \\\\\n\\quad A");
		for (unsigned s = 0; s < ns; s++)
			tex_num(at_path(json_object_get(sa, strat[s]), names[i]), false);
		printf(" \\\\\n\\quad B");
		for (unsigned s = 0; s < ns; s++)
			tex_num(at_path(json_object_get(sb, strat[s]), names[i]), false);
		printf(" \\\\\n\\quad B / A");
		for (unsigned s = 0; s < ns; s++) {
			json_t *x = at_path(json_object_get(sa, strat[s]), names[i]), *y = at_path(json_object_get(sb, strat[s]), names[i]);
			double xa = json_number_value(x), yb = json_number_value(y);
			if (json_is_number(x) && json_is_number(y) && xa != 0)
				printf(" & %.3f", yb / xa);
			else
				fputs(" & --", stdout);
		}
		printf(" \\\\\n%s", i + 1 < n ? "\\addlinespace\n" : "");
	}
	printf("\\bottomrule\n\\end{tabular}\n");
	return 0;
}

int cli_compare(int argc, char **argv)
{
	static const struct option opts[] = {{"markdown", no_argument, NULL, 'm'}, {"latex", no_argument, NULL, 'l'},
					     {"json", no_argument, NULL, 'J'},     {"all", no_argument, NULL, 'a'},
					     {"metric", required_argument, NULL, 'M'},
					     {"help", no_argument, NULL, 'h'},     {NULL, 0, NULL, 0}};
	struct cmp c = {.fmt = F_TEXT};
	int o;
	optind = 1;
	while ((o = cli_getopt(argc, argv, "h", opts, NULL, "compare")) != -1) {
		switch (o) {
		case 'm': c.fmt = F_MD; break;
		case 'l': c.fmt = F_TEX; break;
		case 'J': c.fmt = F_JSON; break;
		case 'a': c.all = 1; break;
		case 'M':
			if (c.nmetrics == sizeof(c.metrics) / sizeof(c.metrics[0])) {
				cli_error("compare: more than %zu --metric", sizeof(c.metrics) / sizeof(c.metrics[0]));
				return CLI_EXIT_USAGE;
			}
			c.metrics[c.nmetrics++] = optarg;
			break;
		case 'h': fputs(compare_usage, stdout); return CLI_EXIT_OK;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (argc - optind != 2) {
		cli_error("compare: expected A.json B.json (see 'iowalk compare --help')");
		return CLI_EXIT_USAGE;
	}
	if (c.nmetrics && c.fmt != F_TEX) {
		cli_error("compare: --metric chooses the rows of --latex (the other formats show every metric that differs)");
		return CLI_EXIT_USAGE;
	}
	json_t *a = load(argv[optind]), *b = a ? load(argv[optind + 1]) : NULL;
	if (!a || !b) {
		json_decref(a);
		return CLI_EXIT_USAGE;
	}
	context_diffs(a, b, stderr);
	switch (c.fmt) {
	case F_TEXT:
		printf("%-9s %-40s %16s %16s %14s %9s  %s\n", "strategy", "metric", "A", "B", "B - A", "B / A", "B is");
		break;
	case F_MD:
		printf("| strategy | metric | A | B | B - A | B / A | B is |\n|---|---|---:|---:|---:|---:|---|\n");
		break;
	case F_TEX:
		break;
	case F_JSON: c.out = json_array(); break;
	}
	json_t *sa = json_object_get(a, "strategies"), *sb = json_object_get(b, "strategies");
	const char *name;
	json_t *v;
	json_object_foreach(sa, name, v)
	{
		json_t *w = json_object_get(sb, name);
		if (w)
			walk(&c, name, "", "", v, w);
		else
			fprintf(stderr, "note: strategy %s is only in A\n", name);
	}
	json_object_foreach(sb, name, v)
		if (!json_object_get(sa, name))
			fprintf(stderr, "note: strategy %s is only in B\n", name);
	if (c.fmt == F_TEX && latex_table(a, b, argv[optind], argv[optind + 1], c.metrics, c.nmetrics) < 0) {
		json_decref(a);
		json_decref(b);
		return CLI_EXIT_USAGE;
	}
	if (c.fmt == F_JSON) {
		json_dumpf(c.out, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(c.out);
	}
	if (c.fmt == F_TEXT)
		printf("compare: %u metrics, %u shown%s\n", c.rows, c.shown, c.all ? "" : " (those that differ; --all for every one)");
	json_decref(a);
	json_decref(b);
	return CLI_EXIT_OK;
}
