/* cli_run: `iowalk run [TRACE]`: replay a trace (or the embedded default) under the strategies and
 * report; optionally write JSON, CSV and the comparison figure. */
#include "alloc.h"
#include "cli.h"
#include "config.h"
#include "decimal.h"
#include "engine.h"
#include "models.h"
#include "outfile.h"
#include "report.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

extern const unsigned char iowalk_default_trace[];
extern const size_t iowalk_default_trace_size;
extern const unsigned char iowalk_compare_gp[];
extern const size_t iowalk_compare_gp_size;

static const char run_usage[] =
	"usage: iowalk run [TRACE] [options]\n"
	"\n"
	"Replays TRACE (text or binary, zstd or not; '-' for stdin) under each strategy and prints cycles per\n"
	"translation with a breakdown by component. Without TRACE, runs the embedded default trace\n"
	"(traces/default.trace.zst, a real capture: see docs/real-workloads.md).\n"
	"\n"
	"options:\n"
	"  -s, --strategy LIST   all (default) or a comma-separated list of the trace's table format's:\n"
	"%s"
	"  -p, --preset NAME     hardware/cost preset: z15, spr, tiny\n"
	"                        (default: the trace format's own: z15 for s390, spr for VT-d)\n"
	"  -c, --config FILE     INI file of parameters ([section] key = value), applied after the preset\n"
	"  -S, --set KEY=VALUE   override one parameter (repeatable), applied last\n"
	"      --check           compare every translation with the reference map; a mismatch aborts\n"
	"  -w, --warmup N        replay the first N records without counting them\n"
	"      --no-drain        leave the IOPTE changes no RPCIT made visible by the end of the trace as they\n"
	"                        are (default: one final flush after the last record, as the guest's flush\n"
	"                        queue does; its updates are counted as drain_updates)\n"
	"      --amortize-over SECONDS\n"
	"                        also report set-up (IOTA registration, up-front pinning of guest RAM) amortized\n"
	"                        over SECONDS of this workload: total + set-up x min(1, trace time / SECONDS)\n"
	"      --json FILE       write the report as JSON (docs/report-schema.md)\n"
	"      --csv FILE        write one CSV row per strategy\n"
	"      --cdf FILE        write the latency distributions as CDF points (CSV)\n"
	"  -f, --figure PREFIX   draw the comparison figure (needs gnuplot): PREFIX.png and PREFIX.pdf for the\n"
	"                        screen, PREFIX-col1.pdf and PREFIX-col2.pdf sized for a paper's single (3.4 in)\n"
	"                        and double (7 in) column\n"
	"  -q, --quiet           no table on stdout, no progress on stderr\n"
	"      --progress        progress lines on stderr even when it is not a terminal (logs, CI): records,\n"
	"                        share done (from the file's bytes for a compressed trace) and rate, every 2 s\n"
	"                        and once when the whole trace is read\n"
	"      --tag TEXT        record TEXT in the JSON report (run.tag), e.g. a sweep point\n"
	"      --outdir DIR      everything of the run in DIR: report.json, report.csv, cdf.csv, figure.png and\n"
	"                        figure.pdf (and figure-col1.pdf, figure-col2.pdf), config.ini (the effective\n"
	"                        configuration) and command.txt\n"
	"      --print-config    print every parameter with its value and exit\n"
	"      --list-strategies print every strategy (name and summary, in report order) of the trace's table\n"
	"                        format (of --format NAME when given, else of TRACE, else s390-ioat) and exit\n"
	"      --list-formats    print the table formats this build knows (a trace's header names its own) and exit\n"
	"      --format NAME     the table format of a trace read from stdin or a pipe (a file's header names\n"
	"                        its own)\n"
	"      --list-counters   print what each cycle component and operation counter of a report counts\n"
	"                        and exit\n"
	"      --selfperf        print the simulator's own speed and peak memory on stderr (host time;\n"
	"                        never part of the reports)\n"
	"  -h, --help            this help\n"
	"\n"
	"Output files are written to a temporary name and renamed when complete.\n";

/* Writes one report into a staged result; NULL on failure (reported). The caller commits or aborts. */
static struct outfile *write_report(const char *path, int (*fn)(const struct report_ctx *, FILE *),
				    const struct report_ctx *r)
{
	char err[512];
	struct outfile *of = outfile_open(path, err, sizeof(err));
	if (!of) {
		cli_error("%s", err);
		return NULL;
	}
	errno = 0;
	if (fn(r, outfile_fp(of)) < 0) {
		int e = errno;
		cli_error("%s: write error%s%s", path, e ? ": " : "", e ? strerror(e) : "");
		outfile_abort(of);
		return NULL;
	}
	return of;
}

/* A result's missing directory: only --outdir creates directories (a typo must not make a directory tree). */
static const char outdir_hint[] = " (only --outdir creates directories: create it, or use --outdir)";

/* Creates the directories leading to path's last component (mkdir -p of its dirname). */
static int make_parents(const char *path)
{
	char buf[4000];
	const char *slash = strrchr(path, '/');
	if (!slash)
		return 0;
	if (snprintf(buf, sizeof(buf), "%.*s", (int)(slash - path), path) >= (int)sizeof(buf))
		return -1;
	return buf[0] ? cli_mkdirs(buf) : 0;
}

/* gnuplot `script` written to its standard input (its own output silenced); the exit status, -1 when it
 * could not run. The child is registered so an interrupt ends it. */
int cli_run_gnuplot(const char *vars, const unsigned char *script, size_t len)
{
	int fds[2];
	if (pipe(fds) != 0)
		return -1;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(fds[0], STDIN_FILENO);
		close(fds[0]);
		close(fds[1]);
		execlp("gnuplot", "gnuplot", (char *)NULL);
		_exit(127);
	}
	outfile_add_child(pid);
	close(fds[0]);
	/* gnuplot may exit before reading its script (not installed, a bad script): a write error here, not
	 * a SIGPIPE that would end iowalk without removing its temporaries. */
	struct sigaction ign, old;
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &ign, &old);
	FILE *gp = fdopen(fds[1], "w");
	if (gp) {
		fputs(vars, gp);
		fwrite(script, 1, len, gp);
		fclose(gp);
	} else {
		close(fds[1]);
	}
	sigaction(SIGPIPE, &old, NULL);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	outfile_remove_child(pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The figure's outputs: a screen PNG and PDF, and PDFs sized for a paper's single and double column. */
#define FIG_OUTS 4
static const char *const fig_suffix[FIG_OUTS] = {".png", ".pdf", "-col1.pdf", "-col2.pdf"};
static const char *const fig_var[FIG_OUTS] = {"pngfile", "pdffile", "col1file", "col2file"};

/* Draws the comparison figure into staged results PREFIX.png, PREFIX.pdf, PREFIX-col1.pdf and
 * PREFIX-col2.pdf (committed with the others by the caller); out[] is all NULL on failure (reported). */
static int draw_figure(const char *prefix, const struct report_ctx *r, struct outfile *out[FIG_OUTS])
{
	for (int i = 0; i < FIG_OUTS; i++)
		out[i] = NULL;
	if (cli_parent_missing("run", "--figure", prefix, outdir_hint))
		return -1;
	if (strchr(prefix, '\'')) {
		cli_error("--figure: a path with a single quote cannot be passed to gnuplot");
		return -1;
	}
	char path[4200], err[512], vars[24000];
	const char *csv_name, *names[FIG_OUTS];
	snprintf(path, sizeof(path), "%s.csv", prefix);
	/* The data is a scratch file, never committed; every temporary is registered for interrupts. */
	struct outfile *csv = outfile_open_external(path, &csv_name, err, sizeof(err));
	int rc = -1, n = snprintf(vars, sizeof(vars), "datafile = '%s'\n", csv ? csv_name : "");
	for (int i = 0; i < FIG_OUTS && csv; i++) {
		snprintf(path, sizeof(path), "%s%s", prefix, fig_suffix[i]);
		if (!(out[i] = outfile_open_external(path, &names[i], err, sizeof(err))))
			break;
		n += snprintf(vars + n, sizeof(vars) - (size_t)n, "%s = '%s'\n", fig_var[i], names[i]);
	}
	if (!out[FIG_OUTS - 1]) {
		cli_error("--figure: %s", err);
		goto out;
	}
	FILE *f = fopen(csv_name, "w");
	int bad = !f || report_csv(r, f) < 0;
	if (f)
		bad |= fclose(f) != 0;
	if (bad) {
		cli_error("%s: write error", csv_name);
		goto out;
	}
	int st = cli_run_gnuplot(vars, iowalk_compare_gp, iowalk_compare_gp_size);
	if (st != 0) {
		cli_error("gnuplot failed (exit status %d); is gnuplot with the cairo terminals installed?", st);
		goto out;
	}
	rc = 0;
out:
	outfile_abort(csv);
	if (rc < 0)
		for (int i = 0; i < FIG_OUTS; i++) {
			outfile_abort(out[i]);
			out[i] = NULL;
		}
	return rc;
}

struct run_args {
	const char *strategies, *json, *csv, *cdf, *figure, *preset, *ini, *outdir, *format;
	const struct iw_model *model; /* the trace's (cli_trace_model()) */
	char outpaths[4][4200]; /* --outdir: report.json, report.csv, cdf.csv, figure */
	int argc;
	char **argv;
	const char *sets[64];
	unsigned nsets;
	int quiet, print, selfperf;
};

/* --list-counters: what each component of the breakdown and each operation counter of a report counts. */
static void print_counters(void)
{
	printf("cycle components (the report's \"breakdown\", CSV columns of these names; they add up to cycles_total):\n");
	for (int c = 0; c < COMP_COUNT; c++)
		printf("  %-20s %s\n", comp_name((enum comp)c), comp_help((enum comp)c));
	printf("\noperation counters (the report's \"ops\", CSV columns of these names but rpcits and iopte_updates; every\n"
	       "strategy reports each, 0 where it does not count it):\n");
	for (unsigned i = 0; i < stats_ncounters(); i++) {
		const char *owner = stats_counter_owner(i);
		printf("  %-20s %s%s%s%s\n", stats_counter_name(i), stats_counter_help(i), owner ? " (counted by " : "",
		       owner ? owner : "", owner ? ")" : "");
	}
}

/* Parses run's command line into a and o. CLI_EXIT_OK to go on; otherwise the exit status (after
 * --help, --list-strategies or --list-counters: done, CLI_EXIT_OK is returned through *done). */
static int parse_run_args(int argc, char **argv, struct run_args *a, struct engine_opts *o, bool *done)
{
	enum { OPT_CHECK = 256, OPT_CSV, OPT_PRINT, OPT_TAG, OPT_SELFPERF, OPT_CDF, OPT_LIST, OPT_JSON, OPT_PROGRESS,
	       OPT_OUTDIR, OPT_NO_DRAIN, OPT_AMORTIZE, OPT_LIST_COUNTERS, OPT_LIST_FORMATS, OPT_FORMAT };
	static const struct option opts[] = {
		{"strategy", required_argument, NULL, 's'}, {"preset", required_argument, NULL, 'p'},
		{"config", required_argument, NULL, 'c'},   {"set", required_argument, NULL, 'S'},
		{"check", no_argument, NULL, OPT_CHECK},    {"warmup", required_argument, NULL, 'w'},
		{"json", required_argument, NULL, OPT_JSON}, {"csv", required_argument, NULL, OPT_CSV},
		{"figure", required_argument, NULL, 'f'},   {"quiet", no_argument, NULL, 'q'},
		{"print-config", no_argument, NULL, OPT_PRINT}, {"help", no_argument, NULL, 'h'},
		{"tag", required_argument, NULL, OPT_TAG}, {"selfperf", no_argument, NULL, OPT_SELFPERF},
		{"cdf", required_argument, NULL, OPT_CDF}, {"list-strategies", no_argument, NULL, OPT_LIST},
		{"progress", no_argument, NULL, OPT_PROGRESS}, {"outdir", required_argument, NULL, OPT_OUTDIR},
		{"no-drain", no_argument, NULL, OPT_NO_DRAIN}, {"amortize-over", required_argument, NULL, OPT_AMORTIZE},
		{"list-counters", no_argument, NULL, OPT_LIST_COUNTERS}, {"list-formats", no_argument, NULL, OPT_LIST_FORMATS},
		{"format", required_argument, NULL, OPT_FORMAT}, {NULL, 0, NULL, 0}};
	bool list = false;
	int c;
	*done = false;
	a->strategies = "all";
	/* getopt reorders argv; command.txt (--outdir) records the command as it was given. */
	a->argc = argc;
	a->argv = iw_malloc(((size_t)argc + 1) * sizeof(char *));
	if (!a->argv) {
		cli_error("run: out of memory");
		return CLI_EXIT_FAIL;
	}
	memcpy(a->argv, argv, (size_t)argc * sizeof(char *));
	optind = 1;
	/* Short options mean the same in every command (-j is the number of jobs in sweep and sensitivity,
	 * so JSON has only its long form here). */
	while ((c = cli_getopt(argc, argv, "s:p:c:S:w:f:qh", opts, NULL, "run")) != -1) {
		switch (c) {
		case 's': a->strategies = optarg; break;
		case 'p': a->preset = optarg; break;
		case 'c': a->ini = optarg; break;
		case 'S':
			if (a->nsets == 64) {
				cli_error("run: more than 64 --set options");
				return CLI_EXIT_USAGE;
			}
			a->sets[a->nsets++] = optarg;
			break;
		case OPT_CHECK: o->check = true; break;
		case 'w': {
			char *end;
			errno = 0;
			unsigned long long v = strtoull(optarg, &end, 10);
			if (errno || *end || optarg[0] == '-' || optarg[0] == '\0') {
				cli_error("run: --warmup takes a record count, got '%s'", optarg);
				return CLI_EXIT_USAGE;
			}
			o->warmup = v;
			break;
		}
		case OPT_NO_DRAIN: o->no_drain = true; break;
		case OPT_AMORTIZE: {
			char *end;
			errno = 0;
			double v = iw_strtod_decimal(optarg, &end);
			if (errno || *end || end == optarg || !(v > 0) || v > 1e12) {
				cli_error("run: --amortize-over takes a positive number of seconds (at most 1e12), got '%s'", optarg);
				return CLI_EXIT_USAGE;
			}
			o->amortize_s = v;
			break;
		}
		case OPT_JSON: a->json = optarg; break;
		case OPT_CSV: a->csv = optarg; break;
		case OPT_CDF: a->cdf = optarg; break;
		case 'f': a->figure = optarg; break;
		case 'q': a->quiet = 1; break;
		case OPT_PRINT: a->print = 1; break;
		case OPT_TAG: o->tag = optarg; break;
		case OPT_SELFPERF: a->selfperf = 1; break;
		case OPT_PROGRESS: o->progress_lines = true; break;
		case OPT_OUTDIR: a->outdir = optarg; break;
		case OPT_LIST: list = true; break;
		case OPT_FORMAT: a->format = optarg; break;
		case OPT_LIST_FORMATS:
			for (unsigned i = 0; model_at(i); i++)
				printf("%-11s %s\n", model_at(i)->fmt->name, model_at(i)->summary);
			*done = true;
			return CLI_EXIT_OK;
		case OPT_LIST_COUNTERS:
			print_counters();
			*done = true;
			return CLI_EXIT_OK;
		case 'h': {
			char names[1024]; /* each table format's strategies, a line each */
			size_t n = 0;
			names[0] = '\0';
			for (unsigned i = 0; model_at(i) && n < sizeof(names); i++)
				n += (size_t)snprintf(names + n, sizeof(names) - n, "%24s%s: %s\n", "", model_at(i)->fmt->name,
						      cli_strategy_names(model_at(i), ", "));
			printf(run_usage, names);
			*done = true;
			return CLI_EXIT_OK;
		}
		default: return CLI_EXIT_USAGE;
		}
	}
	if (argc - optind > 1) {
		cli_error("run: expected at most one TRACE (see 'iowalk run --help')");
		return CLI_EXIT_USAGE;
	}
	char err[512];
	a->model = cli_trace_model(optind < argc ? argv[optind] : NULL, a->format, err, sizeof(err));
	if (!a->model) {
		cli_error("run: %s", err);
		return a->format ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
	}
	if (list) {
		for (unsigned i = 0; a->model->strategy_at(i); i++)
			printf("%-9s %s\n", a->model->strategy_at(i)->name, a->model->strategy_at(i)->summary);
		*done = true;
		return CLI_EXIT_OK;
	}
	if (a->outdir) {
		if (a->json || a->csv || a->cdf || a->figure) {
			cli_error("run: --outdir writes the report, CSV, CDF and figure itself; give it or --json/--csv/--cdf/--figure");
			return CLI_EXIT_USAGE;
		}
		static const char *const names[4] = {"report.json", "report.csv", "cdf.csv", "figure"};
		for (int i = 0; i < 4; i++)
			if (snprintf(a->outpaths[i], sizeof(a->outpaths[i]), "%s/%s", a->outdir, names[i]) >= (int)sizeof(a->outpaths[i])) {
				cli_error("run: --outdir: path too long");
				return CLI_EXIT_USAGE;
			}
		a->json = a->outpaths[0];
		a->csv = a->outpaths[1];
		a->cdf = a->outpaths[2];
		a->figure = a->outpaths[3];
	} else {
		/* Every result's directory must exist before the run (only --outdir creates one). */
		const char *const outs[4] = {a->json, a->csv, a->cdf, a->figure};
		static const char *const out_opts[4] = {"--json", "--csv", "--cdf", "--figure"};
		for (int i = 0; i < 4; i++)
			if (outs[i] && cli_parent_missing("run", out_opts[i], outs[i], outdir_hint))
				return CLI_EXIT_FAIL;
	}

	if (optind < argc) {
		o->trace_path = argv[optind];
		o->trace_label = argv[optind];
	} else {
		o->trace_data = iowalk_default_trace;
		o->trace_size = iowalk_default_trace_size;
		o->trace_label = "default";
	}
	o->format_given = a->format != NULL;
	o->progress = !a->quiet;
	return CLI_EXIT_OK;
}

/* --selfperf: the simulator's own speed (host time, never part of a report). */
static void print_selfperf(const struct engine_result *res, const struct timespec *t0, const struct timespec *t1)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double secs = (double)(t1->tv_sec - t0->tv_sec) + (double)(t1->tv_nsec - t0->tv_nsec) * 1e-9;
	uint64_t xl = 0, upd = 0, walks = 0;
	for (unsigned i = 0; i < res->nsims; i++) {
		xl += sim_stats(res->sims[i])->ops[OP_DMA_PAGES];
		upd += sim_stats(res->sims[i])->ops[OP_UPDATES];
		walks += sim_stats(res->sims[i])->ops[OP_IOTLB_MISSES];
	}
	fprintf(stderr,
		"selfperf: strategies=%u records=%llu seconds=%.3f records_per_s=%.0f translations_per_s=%.0f"
		" walks_per_s=%.0f iopte_updates_per_s=%.0f peak_rss_kib=%ld\n",
		res->nsims, (unsigned long long)res->records, secs, (double)res->records / secs, (double)xl / secs,
		(double)walks / secs, (double)upd / secs, ru.ru_maxrss);
}

/* Writes every requested result (JSON, CSV, CDF, the figure) to staged files and commits them together:
 * all of them or none. The exit status. */
static int write_results(const struct run_args *a, const struct report_ctx *r)
{
	char err[512];
	const char *paths[] = {a->json, a->csv, a->cdf};
	int (*const fns[])(const struct report_ctx *, FILE *) = {report_json, report_csv, report_cdf};
	enum { NOUTS = 5 + FIG_OUTS };
	struct outfile *outs[NOUTS] = {NULL};
	int ok = 1;
	if (a->outdir && make_parents(a->outpaths[0]) < 0)
		return CLI_EXIT_FAIL;
	for (int i = 0; i < 3 && ok; i++)
		if (paths[i] && !(outs[i] = write_report(paths[i], fns[i], r)))
			ok = 0;
	if (ok && a->figure && draw_figure(a->figure, r, &outs[5]) < 0)
		ok = 0;
	if (ok && a->outdir) {
		/* The provenance of the run: its effective configuration (an INI file --config reads) and its
		 * command line, quoted for sh. */
		char path[4300];
		snprintf(path, sizeof(path), "%s/config.ini", a->outdir);
		outs[3] = outfile_open(path, err, sizeof(err));
		snprintf(path, sizeof(path), "%s/command.txt", a->outdir);
		outs[4] = outs[3] ? outfile_open(path, err, sizeof(err)) : NULL;
		if (!outs[4]) {
			cli_error("%s", err);
			ok = 0;
		} else {
			struct iw_param_scope sc;
			model_param_scope(r->opts->strategies[0]->model, &sc);
			config_print(r->cfg, outfile_fp(outs[3]), &sc);
			FILE *f = outfile_fp(outs[4]);
			fputs("iowalk", f);
			for (int i = 0; i < a->argc; i++) {
				fputs(" '", f);
				for (const char *p = a->argv[i]; *p; p++)
					*p == '\'' ? fputs("'\\''", f) : fputc(*p, f);
				fputc('\'', f);
			}
			fputc('\n', f);
		}
	}
	if (!ok) {
		for (int i = 0; i < NOUTS; i++)
			outfile_abort(outs[i]);
		return CLI_EXIT_FAIL;
	}
	if (outfile_commit_all(outs, NOUTS, err, sizeof(err)) < 0) {
		cli_error("%s (no result was written)", err);
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}

static int run_parsed(struct run_args *ap, struct engine_opts *op);

/* A configuration the host could not back as asked (vm.host_page_kib larger than what a memslot's
 * alignment or size allows: the model fell back to 4 KiB pages there) is said on stderr: its numbers
 * are those of the fallback, not of the backing asked for. */
static void warn_backing(const struct engine_result *res, const struct iw_config *cfg)
{
	int i = stats_counter_index("host_backing_fallbacks");
	if (i < 0)
		return;
	for (unsigned k = 0; k < res->nsims; k++) {
		uint64_t n = sim_stats(res->sims[k])->ops[i];
		if (n)
			fprintf(stderr,
				"iowalk: warning: %s: %" PRIu64 " guest pages mapped with 4 KiB pages although vm.host_page_kib=%" PRIu64
				" (a memslot's hva, backing or size is not aligned to it)\n",
				sim_strategy(res->sims[k])->name, n, config_value(cfg, "vm.host_page_kib"));
	}
}

int cli_run(int argc, char **argv)
{
	struct run_args a;
	struct engine_opts o;
	memset(&a, 0, sizeof(a));
	memset(&o, 0, sizeof(o));
	bool done;
	int rc = parse_run_args(argc, argv, &a, &o, &done);
	if (rc != CLI_EXIT_OK || done) {
		iw_free(a.argv);
		return rc;
	}
	rc = run_parsed(&a, &o);
	iw_free(a.argv);
	return rc;
}

/* The run itself, once the command line is parsed. */
static int run_parsed(struct run_args *ap, struct engine_opts *op)
{
	struct run_args a = *ap;
	struct engine_opts o = *op;
	int rc;
	struct iw_config cfg;
	char err[512];
	struct cli_config_src src = {.preset = a.preset, .ini = a.ini, .model = a.model, .set_keys = a.sets, .nset = a.nsets};
	rc = cli_build_config(&cfg, &src, err, sizeof(err));
	if (rc != CLI_EXIT_OK) {
		cli_error("%s", err);
		return rc;
	}
	if (a.print) {
		struct iw_param_scope sc;
		model_param_scope(a.model, &sc);
		config_print(&cfg, stdout, &sc);
		return CLI_EXIT_OK;
	}
	if (cli_parse_strategies(a.strategies, a.model, &o, err, sizeof(err)) < 0) {
		cli_error("run: %s", err);
		return CLI_EXIT_USAGE;
	}
	struct engine_result res;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (engine_run(&o, &cfg, &res, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		return CLI_EXIT_FAIL;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	warn_backing(&res, &cfg);
	if (a.selfperf)
		print_selfperf(&res, &t0, &t1);
	struct report_ctx r = {&res, &cfg, &o};
	if (!a.quiet)
		report_table(&r, stdout);
	rc = write_results(&a, &r);
	if (a.figure && rc == CLI_EXIT_OK && !a.quiet)
		printf("\nfigure: %s.png, %s.pdf (paper: %s-col1.pdf, %s-col2.pdf)\n", a.figure, a.figure, a.figure, a.figure);
	engine_result_free(&res);
	return rc;
}
