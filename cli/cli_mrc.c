/* cli_mrc: `iowalk mrc [TRACE]`: the IOTLB's hits and misses at every size, fully associative and with 1
 * and 4 ways, from one replay of the trace under one strategy (docs/mrc.md). */
#include "alloc.h"
#include "cli.h"
#include "decimal.h"
#include "models.h"
#include "outfile.h"

#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const unsigned char iowalk_default_trace[];
extern const size_t iowalk_default_trace_size;

static const char mrc_usage[] =
	"usage: iowalk mrc [TRACE] [-s STRATEGY] [--json FILE] [--csv FILE] [--figure PREFIX] [options]\n"
	"\n"
	"Replays TRACE (default: the embedded trace) once under one strategy and counts the hits of the\n"
	"device's IOTLB (its 4 KiB structure) and of each of its walk caches at every size from 1 entry to\n"
	"--max-entries, fully associative (Mattson's stack algorithm, with invalidations as holes) and with 1\n"
	"and 4 ways (one small cache per size), from the same references: what a sweep of\n"
	"device.iotlb_entries (or of a walk cache's entries) would take one run per size for (docs/mrc.md).\n"
	"\n"
	"options:\n"
	"  -s, --strategy NAME   the strategy whose device side is counted (default: the format's first)\n"
	"  -p, --preset NAME     -c, --config FILE     -S, --set KEY=VALUE   as for `iowalk run`\n"
	"      --format NAME     the table format of a trace read from stdin or a pipe (others name their own)\n"
	"      --max-entries N   the largest size counted, a power of two from 16 (default 4096)\n"
	"      --json FILE       {\"curves\": [{\"structure\": \"iotlb\" | \"wc_...\", \"ways\": W (0: fully associative),\n"
	"                        \"points\": [{\"entries\": N, \"hits\": H, \"misses\": M}, ...]}, ...]}\n"
	"      --csv FILE        structure,ways,entries,hits,misses,miss_ratio\n"
	"      --all-caches      also the configuration caches (VT-d's context and PASID caches) and the\n"
	"                        strategy's own caches (nested's stage-2 caches): a pass then costs more\n"
	"      --sample RATE     the fully associative curves from the keys a hash samples at RATE (SHARDS,\n"
	"                        0 < RATE <= 1; default 1, every key): estimates for very long traces\n"
	"      --figure PREFIX   PREFIX.png and PREFIX.pdf: miss ratio against entries (log x), a line per\n"
	"                        associativity (gnuplot)\n"
	"  -q, --quiet           no table on standard output\n"
	"  -h, --help            this help\n"
	"\n"
	"Lookups whose fill was not the next event of the IOTLB (a walk that waited for a walker, a fault, a\n"
	"translation held by a larger page) are counted as inexact: there a curve's point may differ from a\n"
	"run of that size, whose own timing orders them.\n";

#define MAX_POINTS 24
#define MAX_STRUCTS 8
/* The curves: per structure (0 the IOTLB, then the walk caches), its name, lookups, and per size the hits
 * fully associative, 1-way and 4-way. */
struct curves {
	unsigned nstruct, n;
	char name[MAX_STRUCTS][32];
	uint64_t lookups[MAX_STRUCTS], inexact[MAX_STRUCTS];
	uint64_t entries[MAX_POINTS];
	unsigned nways[MAX_STRUCTS], ways[MAX_STRUCTS][4]; /* 0 (full), 1, 4, and the configured one */
	uint64_t hits[MAX_STRUCTS][MAX_POINTS][4];
	unsigned npoints[MAX_STRUCTS];             /* sizes counted: the first npoints of entries[] */
};


extern const unsigned char iowalk_mrc_gp[];
extern const size_t iowalk_mrc_gp_size;

static void write_csv(FILE *f, const struct curves *cv)
{
	fprintf(f, "structure,ways,entries,hits,misses,miss_ratio\n");
	for (unsigned k = 0; k < cv->nstruct; k++)
		for (unsigned w = 0; w < cv->nways[k]; w++)
			for (unsigned i = 0; i < cv->npoints[k]; i++) {
				uint64_t l = cv->lookups[k], h = cv->hits[k][i][w];
				fprintf(f, "%s,%u,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.6f\n", cv->name[k], cv->ways[k][w], cv->entries[i], h,
					l - h, l ? (double)(l - h) / (double)l : 0.0);
			}
}

/* The figure PREFIX.png and PREFIX.pdf, staged in of[0..1] (committed with the other results). */
static int draw(const char *prefix, const struct curves *cv, struct outfile **of)
{
	char path[4200], err[512], vars[9000];
	const char *csv_name, *png, *pdf;
	if (strchr(prefix, '\'')) {
		cli_error("mrc: --figure: a path with a single quote cannot be passed to gnuplot");
		return -1;
	}
	snprintf(path, sizeof(path), "%s.csv", prefix);
	struct outfile *data = outfile_open_external(path, &csv_name, err, sizeof(err));
	snprintf(path, sizeof(path), "%s.png", prefix);
	of[0] = data ? outfile_open_external(path, &png, err, sizeof(err)) : NULL;
	snprintf(path, sizeof(path), "%s.pdf", prefix);
	of[1] = of[0] ? outfile_open_external(path, &pdf, err, sizeof(err)) : NULL;
	int rc = -1;
	if (!of[1]) {
		cli_error("mrc: --figure: %s", err);
		goto out;
	}
	FILE *f = fopen(csv_name, "w");
	if (!f) {
		cli_error("mrc: %s: cannot write", csv_name);
		goto out;
	}
	write_csv(f, cv);
	if (fclose(f) != 0) {
		cli_error("mrc: %s: write error", csv_name);
		goto out;
	}
	snprintf(vars, sizeof(vars), "datafile = '%s'\npngfile = '%s'\npdffile = '%s'\n", csv_name, png, pdf);
	int st = cli_run_gnuplot(vars, iowalk_mrc_gp, iowalk_mrc_gp_size);
	if (st != 0) {
		cli_error("mrc: gnuplot failed (exit status %d); is gnuplot with the cairo terminals installed?", st);
		goto out;
	}
	rc = 0;
out:
	outfile_abort(data);
	if (rc < 0) {
		outfile_abort(of[0]);
		outfile_abort(of[1]);
		of[0] = of[1] = NULL;
	}
	return rc;
}

static int write_outputs(const char *json, const char *csv, const char *figure, const struct curves *cv)
{
	struct outfile *of[4] = {NULL, NULL, NULL, NULL};
	unsigned nof = 0;
	char err[512];
	if (figure) {
		if (draw(figure, cv, of) < 0)
			return CLI_EXIT_FAIL;
		nof = 2;
	}
	if (json) {
		json_t *root = json_object(), *curves = json_array();
		for (unsigned k = 0; k < cv->nstruct; k++)
			for (unsigned w = 0; w < cv->nways[k]; w++) {
				json_t *c = json_object(), *ps = json_array();
				json_object_set_new(c, "structure", json_string(cv->name[k]));
				json_object_set_new(c, "ways", json_integer(cv->ways[k][w]));
				for (unsigned i = 0; i < cv->npoints[k]; i++) {
					json_t *p = json_object();
					json_object_set_new(p, "entries", json_integer((json_int_t)cv->entries[i]));
					json_object_set_new(p, "hits", json_integer((json_int_t)cv->hits[k][i][w]));
					json_object_set_new(p, "misses", json_integer((json_int_t)(cv->lookups[k] - cv->hits[k][i][w])));
					json_array_append_new(ps, p);
				}
				json_object_set_new(c, "points", ps);
				json_array_append_new(curves, c);
			}
		json_object_set_new(root, "curves", curves);
		if (!(of[nof] = outfile_open(json, err, sizeof(err))) ||
		    json_dumpf(root, outfile_fp(of[nof]), JSON_INDENT(2)) < 0 || fputc('\n', outfile_fp(of[nof])) == EOF) {
			json_decref(root);
			cli_error("mrc: %s", of[nof] ? "write error" : err);
			for (unsigned k = 0; k <= nof; k++)
				outfile_abort(of[k]);
			return CLI_EXIT_FAIL;
		}
		json_decref(root);
		nof++;
	}
	if (csv) {
		if (!(of[nof] = outfile_open(csv, err, sizeof(err)))) {
			cli_error("mrc: %s", err);
			for (unsigned k = 0; k < nof; k++)
				outfile_abort(of[k]);
			return CLI_EXIT_FAIL;
		}
		write_csv(outfile_fp(of[nof++]), cv);
	}
	if (nof && outfile_commit_all(of, nof, err, sizeof(err)) < 0) {
		cli_error("mrc: %s", err);
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}

static void print_table(const struct curves *cv, unsigned k)
{
	if (cv->lookups[k] == 0) { /* no miss ratio to give (a column of "0 (0.00%)" read as a perfect cache) */
		printf("\n%s: 0 lookups: no curve (the strategy's device looked nothing up in it on this trace)\n", cv->name[k]);
		return;
	}
	printf("\n%s: %" PRIu64 " lookups, %" PRIu64 " inexact; misses (miss ratio) at each size\n%10s", cv->name[k],
	       cv->lookups[k], cv->inexact[k], "entries");
	for (unsigned w = 0; w < cv->nways[k]; w++) {
		char h[32];
		if (cv->ways[k][w] == 0)
			snprintf(h, sizeof(h), "fully associative");
		else
			snprintf(h, sizeof(h), "%u way%s", cv->ways[k][w], cv->ways[k][w] > 1 ? "s" : " (direct)");
		printf(" %22s", h);
	}
	putchar('\n');
	for (unsigned i = 0; i < cv->npoints[k]; i++) {
		printf("%10" PRIu64, cv->entries[i]);
		for (unsigned w = 0; w < cv->nways[k]; w++) {
			uint64_t m = cv->lookups[k] - cv->hits[k][i][w];
			printf(" %12" PRIu64 " (%6.2f%%)", m, 100.0 * (double)m / (double)cv->lookups[k]);
		}
		putchar('\n');
	}
}

int cli_mrc(int argc, char **argv)
{
	enum { O_JSON = 256, O_CSV, O_MAX, O_FIG, O_SAMPLE, O_ALL, O_FORMAT };
	static const struct option opts[] = {
		{"strategy", required_argument, NULL, 's'}, {"preset", required_argument, NULL, 'p'},
		{"config", required_argument, NULL, 'c'},   {"set", required_argument, NULL, 'S'},
		{"max-entries", required_argument, NULL, O_MAX}, {"json", required_argument, NULL, O_JSON},
		{"csv", required_argument, NULL, O_CSV},    {"quiet", no_argument, NULL, 'q'},
		{"figure", required_argument, NULL, O_FIG},      {"sample", required_argument, NULL, O_SAMPLE},
		{"all-caches", no_argument, NULL, O_ALL},   {"format", required_argument, NULL, O_FORMAT},
		{"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
	const char *strategy = NULL, *json = NULL, *csv = NULL, *figure = NULL, *format = NULL;
	struct cli_config_src src = {0};
	const char **sets = iw_calloc((size_t)argc + 1, sizeof(*sets));
	if (!sets) {
		cli_error("out of memory");
		return CLI_EXIT_FAIL;
	}
	uint64_t max = 4096;
	double rate = 1.0;
	bool all = false;
	bool quiet = false;
	int c, idx, rc = CLI_EXIT_OK;
	optind = 1;
	while ((c = cli_getopt(argc, argv, "s:p:c:S:qh", opts, &idx, "mrc")) != -1) {
		switch (c) {
		case 's': strategy = optarg; break;
		case O_FORMAT: format = optarg; break;
		case 'p': src.preset = optarg; break;
		case 'c': src.ini = optarg; break;
		case 'S': sets[src.nset++] = optarg; break;
		case 'q': quiet = true; break;
		case O_JSON:
		case O_CSV:
		case O_FIG:
			if (!optarg[0]) {
				cli_error("mrc: --%s needs a file", c == O_JSON ? "json" : c == O_CSV ? "csv" : "figure");
				iw_free(sets);
				return CLI_EXIT_USAGE;
			}
			*(c == O_JSON ? &json : c == O_CSV ? &csv : &figure) = optarg;
			break;
		case O_MAX: {
			char *end;
			unsigned long long v = strtoull(optarg, &end, 10);
			if (*end || v < 16 || v > (1u << 19) || (v & (v - 1))) {
				cli_error("mrc: --max-entries '%s': expected a power of two from 16 to 524288", optarg);
				iw_free(sets);
				return CLI_EXIT_USAGE;
			}
			max = v;
			break;
		}
		case O_SAMPLE: {
			char *end;
			rate = iw_strtod_decimal(optarg, &end);
			if (*end || end == optarg || !(rate > 0 && rate <= 1)) {
				cli_error("mrc: --sample '%s': expected a rate in (0, 1]", optarg);
				iw_free(sets);
				return CLI_EXIT_USAGE;
			}
			break;
		}
		case O_ALL: all = true; break;
		case 'h': fputs(mrc_usage, stdout); iw_free(sets); return CLI_EXIT_OK;
		default: iw_free(sets); return CLI_EXIT_USAGE;
		}
	}
	if (argc - optind > 1) {
		cli_error("mrc: expected at most one TRACE");
		iw_free(sets);
		return CLI_EXIT_USAGE;
	}
	src.set_keys = sets;
	char err[512];
	const char *path = optind < argc ? argv[optind] : NULL;
	const struct iw_model *model = cli_trace_model(path, format, err, sizeof(err));
	if (!model) {
		cli_error("mrc: %s", err);
		iw_free(sets);
		return format ? CLI_EXIT_USAGE : CLI_EXIT_FAIL; /* an unknown --format is a usage error, as for run */
	}
	src.model = model;
	struct iw_config cfg;
	if ((rc = cli_build_config(&cfg, &src, err, sizeof(err))) != CLI_EXIT_OK) {
		cli_error("mrc: %s", err);
		iw_free(sets);
		return rc;
	}
	iw_free(sets);
	struct engine_opts o;
	memset(&o, 0, sizeof(o));
	if (cli_parse_strategies(strategy ? strategy : model->strategy_at(0)->name, model, &o, err, sizeof(err)) < 0 ||
	    o.nstrategies != 1) {
		cli_error("mrc: %s", o.nstrategies > 1 ? "one strategy at a time" : err);
		return CLI_EXIT_USAGE;
	}
	if (path) {
		o.trace_path = path;
		o.trace_label = path;
	} else {
		o.trace_data = iowalk_default_trace;
		o.trace_size = iowalk_default_trace_size;
		o.trace_label = "default";
	}
	/* The results' directories before the run (a typo found at its end cost the whole run). */
	if ((json && cli_parent_missing("mrc", "--json", json, NULL)) || (csv && cli_parent_missing("mrc", "--csv", csv, NULL)) ||
	    (figure && cli_parent_missing("mrc", "--figure", figure, NULL)))
		return CLI_EXIT_FAIL;
	o.format_given = format != NULL;
	o.mrc_max_entries = max;
	o.mrc_sample = rate;
	o.mrc_all = all;
	o.progress = !quiet;
	struct engine_result res;
	if (engine_run(&o, &cfg, &res, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		return CLI_EXIT_FAIL;
	}
	struct curves *cv = iw_calloc(1, sizeof(*cv));
	if (!cv) {
		engine_result_free(&res);
		cli_error("out of memory");
		return CLI_EXIT_FAIL;
	}
	const struct sim *sm = res.sims[0];
	cv->nstruct = sim_mrc_structures(sm) < MAX_STRUCTS ? sim_mrc_structures(sm) : MAX_STRUCTS;
	for (uint64_t e = 1; e <= max && cv->n < MAX_POINTS; e *= 2)
		cv->entries[cv->n++] = e;
	bool counted = true;
	for (unsigned k = 0; k < cv->nstruct; k++) {
		sim_mrc_structure_name(sm, k, cv->name[k], sizeof(cv->name[k]));
		cv->nways[k] = sim_mrc_ways(sm, k, cv->ways[k]);
		for (unsigned i = 0; i < cv->n; i++) {
			bool got = true;
			for (unsigned w = 0; w < cv->nways[k]; w++)
				got &= sim_mrc_point(sm, k, cv->entries[i], cv->ways[k][w], &cv->lookups[k], &cv->hits[k][i][w],
						     &cv->inexact[k]);
			if (!got)
				break; /* a walk cache's curves stop at 512 entries */
			cv->npoints[k] = i + 1;
		}
		counted &= cv->npoints[k] > 0;
	}
	if (!counted) {
		iw_free(cv);
		engine_result_free(&res);
		cli_error("mrc: out of memory for the curves");
		return CLI_EXIT_FAIL;
	}
	if (!quiet) {
		printf("iowalk mrc: trace %s, strategy %s, preset %s", o.trace_label, o.strategies[0]->name, cfg.preset);
		if (rate < 1)
			printf("; fully associative curves sampled at %g (SHARDS: estimates)", rate);
		putchar('\n');
		for (unsigned k = 0; k < cv->nstruct; k++)
			print_table(cv, k);
	}
	rc = write_outputs(json, csv, figure, cv);
	iw_free(cv);
	engine_result_free(&res);
	return rc;
}
