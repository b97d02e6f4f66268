/* cli_sensitivity: `iowalk sensitivity [TRACE]`: which conclusions survive the cost assumptions. Every
 * parameter with a plausible range (--print-config shows them) is run (1) one at a time at its low and
 * high value, the others at their defaults, and (2) all at once in a seeded Latin-hypercube sample of N
 * points; for each pair of strategies the report gives the gap and ratio of their cycles per IOPTE update
 * and per DMA translation, the fraction of samples in which each is cheaper, and a verdict in words.
 * Notes:
 *  - Runs are independent: they are spread over worker processes (-j) that write into a shared array,
 *    so the result does not depend on the number of workers.
 *  - Sampling is integer arithmetic (uniform within each range, one value per stratum of each
 *    parameter, strata matched at random): the same seed gives the same points on every machine. */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS (POSIX only from 2024) */

#include "alloc.h"
#include "cli.h"
#include "config.h"
#include "engine.h"
#include "outfile.h"
#include "rng.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* A trace of at most this many records (40 bytes each in memory: 40 MiB) is read once for all runs. */
#define SENS_MEMORY_RECORDS (1u << 20)

extern const unsigned char iowalk_default_trace[];
extern const size_t iowalk_default_trace_size;

static const char sens_usage[] =
	"usage: iowalk sensitivity [TRACE] [options]\n"
	"\n"
	"Runs TRACE (default: the embedded default trace) with every parameter that has a plausible range\n"
	"(`iowalk run --print-config` lists them with their sources) at its low and at its high value, one at\n"
	"a time, and at N points sampled over all the ranges at once (a Latin hypercube, uniform within each\n"
	"range, seeded). For each pair of strategies it reports the gap (A - B) and the ratio (A / B) of\n"
	"their mean cycles per IOPTE update and per DMA translation, the fraction of samples in which A is\n"
	"cheaper, the p5/p50/p95 of the gap (cycles and ns) and of the ratio, and a verdict: whether the\n"
	"ordering holds over the ranges, or which parameter flips it.\n"
	"Discrete modelling assumptions (`--print-config` marks them: whether device reads allocate in the L3,\n"
	"the CPU caches' replacement) are not sampled as numbers: every combination of their values is a\n"
	"scenario, run with the same one-at-a-time ends and sample, with verdicts per scenario and across them\n"
	"all. One fixed with --set is left at that value. The tornado data are those of the first scenario\n"
	"(every assumption at its default).\n"
	"TRACE is read once, into memory, for all the runs when it holds at most 2^20 records (then `-`, stdin,\n"
	"works too, its header naming its table format); a larger one is read by each run.\n"
	"\n"
	"options:\n"
	"  -s, --strategy LIST   all (default) or a comma-separated list (at least two for pairs)\n"
	"  -n, --samples N       sample points (default 200; 0: one-at-a-time only)\n"
	"      --seed S          seed of the sample (default 1)\n"
	"  -j, --jobs N          worker processes (default: the number of CPUs)\n"
	"  -p, --preset NAME     -c, --config FILE     -S, --set KEY=VALUE   as for `iowalk run` (the base)\n"
	"      --json FILE       the whole result as JSON      --csv FILE   one row per run\n"
	"      --tornado FILE    per pair and metric, each parameter's gap at its two ends, largest swing first\n"
	"  -q, --quiet           no table on stdout, no progress on stderr (runs done and time left: on a\n"
	"                        terminal a line rewritten, else a line every 10 s)\n"
	"  -h, --help            this help\n";

enum { M_UPD, M_XLAT, NM };
static const char *const metric_name[NM] = {"per_update", "per_translation"};

struct param_range {
	const char *name, *source;
	uint64_t def, lo, hi;
	uint64_t vals[CONFIG_MAX_CHOICE_VALUES]; /* a discrete assumption's values (nvals of them) */
	unsigned nvals;
};

/* The runs: one block per scenario (a combination of the discrete assumptions' values; scenario 0 is
 * every default), each block the base, both ends of every ranged parameter and the samples, the same
 * in every block but for the assumptions' values. */
struct plan {
	unsigned nparams;  /* ranged parameters: p[0..nparams) */
	unsigned nchoice;  /* discrete assumptions: p[nparams..nall) */
	unsigned nall, nscen, block, nruns, nstrat, nsamples;
	struct param_range *p;
	uint64_t *values;  /* nruns x nall: each run's value of each parameter */
	const char **kind; /* "base", "low", "high", "sample" */
	int *which;        /* the parameter a one-at-a-time run moves (-1 otherwise) */
};

/* A run's result per strategy and metric (NAN: no updates or no translations), in shared memory. */
struct result {
	int ok;
	double m[ENGINE_MAX_STRATEGIES][NM];
};

static int run_one(const struct plan *pl, unsigned r, const struct iw_config *base, const struct engine_opts *eo,
		   struct result *out)
{
	struct iw_config cfg = *base;
	char err[512], v[32];
	for (unsigned k = 0; k < pl->nall; k++) {
		snprintf(v, sizeof(v), "%" PRIu64, pl->values[(size_t)r * pl->nall + k]);
		if (config_set(&cfg, pl->p[k].name, v, err, sizeof(err))) {
			fprintf(stderr, "iowalk: sensitivity: %s\n", err);
			return -1;
		}
	}
	if (config_validate(&cfg, err, sizeof(err))) {
		fprintf(stderr, "iowalk: sensitivity: run %u: %s\n", r, err);
		return -1;
	}
	struct engine_opts o = *eo;
	o.progress = false;
	struct engine_result res;
	if (engine_run(&o, &cfg, &res, err, sizeof(err)) < 0) {
		fprintf(stderr, "iowalk: sensitivity: run %u: %s\n", r, err);
		return -1;
	}
	for (unsigned s = 0; s < res.nsims; s++) {
		const struct stats *st = sim_stats(res.sims[s]);
		uint64_t upd = st->ops[OP_UPDATES], xl = st->ops[OP_DMA_PAGES];
		out->m[s][M_UPD] = upd ? stats_update_mean(st) : NAN;
		out->m[s][M_XLAT] = xl ? (double)st->dma_cycles / (double)xl : NAN;
	}
	engine_result_free(&res);
	out->ok = 1;
	return 0;
}

/* Runs every run of the plan over `jobs` workers into res (shared). 0, or -1 when a run failed. */
static int run_all(const struct plan *pl, const struct iw_config *base, const struct engine_opts *eo, long jobs,
		   struct result *res, int quiet)
{
	if (jobs > (long)pl->nruns)
		jobs = (long)pl->nruns;
	fflush(NULL);
	pid_t *pids = iw_calloc((size_t)jobs, sizeof(pid_t));
	if (!pids)
		return -1;
	for (long w = 0; w < jobs; w++) {
		pid_t pid = fork();
		if (pid == 0) {
			outfile_forget_all();
			int bad = 0;
			for (unsigned r = (unsigned)w; r < pl->nruns && !bad; r += (unsigned)jobs)
				bad = run_one(pl, r, base, eo, &res[r]) < 0;
			_exit(bad);
		}
		if (pid < 0) {
			cli_error("sensitivity: fork: %s", strerror(errno));
			break;
		}
		pids[w] = pid;
		outfile_add_child(pid);
	}
	/* The workers are waited for while the runs done are counted (each sets its result's ok in the shared
	 * map): progress on stderr, host time, never part of a result. On a terminal one line rewritten, else
	 * a line every 10 s (a long run in a CI log). */
	int rc = 0;
	long alive = 0;
	for (long w = 0; w < jobs; w++)
		alive += pids[w] != 0;
	bool tty = !quiet && isatty(STDERR_FILENO), shown = false;
	struct timespec t0, last;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	last = t0;
	while (alive > 0) {
		for (long w = 0; w < jobs; w++) {
			int st;
			pid_t got = pids[w] ? waitpid(pids[w], &st, WNOHANG) : 0;
			if (got == 0)
				continue;
			if (got < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
				rc = -1;
			outfile_remove_child(pids[w]);
			pids[w] = 0;
			alive--;
		}
		if (alive == 0)
			break;
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		double since = (double)(now.tv_sec - last.tv_sec) + (double)(now.tv_nsec - last.tv_nsec) * 1e-9;
		if (!quiet && since >= (tty ? 0.5 : 10.0)) {
			unsigned done = 0;
			for (unsigned r = 0; r < pl->nruns; r++)
				done += ((volatile struct result *)res)[r].ok != 0;
			double secs = (double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) * 1e-9;
			fprintf(stderr, "%ssensitivity: %u/%u runs (%.0f %%), %.0f s so far, about %.0f s left%s", tty ? "\r" : "",
				done, pl->nruns, 100.0 * done / pl->nruns, secs, done ? secs * (pl->nruns - done) / done : 0.0,
				tty ? "\033[K" : "\n");
			shown = true;
			last = now;
		}
		struct timespec nap = {0, 50 * 1000 * 1000};
		nanosleep(&nap, NULL);
	}
	if (tty && shown)
		fputs("\r\033[K", stderr);
	iw_free(pids);
	for (unsigned r = 0; r < pl->nruns && rc == 0; r++)
		if (!res[r].ok)
			rc = -1;
	if (!quiet)
		fprintf(stderr, "sensitivity: %u runs on %ld worker%s\n", pl->nruns, jobs, jobs == 1 ? "" : "s");
	return rc;
}

/* Whether `--set` gave parameter name a value (fixed: not a scenario axis). */
static bool set_by_user(const char *name, const char *const *sets, unsigned nset)
{
	size_t n = strlen(name);
	for (unsigned i = 0; i < nset; i++)
		if (strncmp(sets[i], name, n) == 0 && (sets[i][n] == '=' || sets[i][n] == ' '))
			return true;
	return false;
}

/* Builds the runs: for scenario 0, the base, low and high of each ranged parameter, then the
 * Latin-hypercube sample; then the same block for every other combination of the discrete
 * assumptions' values (those --set fixes are left at the base configuration's value). */
static int make_plan(struct plan *pl, const struct iw_config *base, const struct iw_model *model, unsigned nstrat,
		     unsigned nsamples, uint64_t seed, const char *const *sets, unsigned nset)
{
	memset(pl, 0, sizeof(*pl));
	const char *name, *src;
	uint64_t def, lo, hi, vals[CONFIG_MAX_CHOICE_VALUES];
	unsigned nv, nranges = 0;
	/* The ranged parameters of the run's model and its strategies (and the engine's). */
	struct iw_param_scope scope;
	model_param_scope(model, &scope);
	while (config_range(nranges, &name, &def, &lo, &hi, &src))
		nranges++;
	unsigned in[256];
	for (unsigned k = 0; k < nranges && pl->nparams < 256; k++) {
		config_range(k, &name, &def, &lo, &hi, &src);
		if (config_in_scope(&scope, name))
			in[pl->nparams++] = k;
	}
	unsigned nc = 0;
	while (config_choice(nc, &name, vals, &nv, &src))
		nc++;
	pl->p = iw_calloc(pl->nparams + nc + 1, sizeof(*pl->p));
	if (!pl->p)
		return -1;
	for (unsigned k = 0; k < pl->nparams; k++) {
		struct param_range *p = &pl->p[k];
		config_range(in[k], &p->name, &p->def, &p->lo, &p->hi, &p->source);
		/* A preset that moves a ranged parameter (spr's memory hierarchy) moves its range with it: the
		 * same relative uncertainty around the preset's value (docs/cost-model.md). */
		uint64_t b;
		if (!set_by_user(p->name, sets, nset) && config_get(base, p->name, &b) == 0 && b != p->def && p->def > 0) {
			p->lo = (uint64_t)((unsigned __int128)p->lo * b / p->def);
			p->hi = (uint64_t)((unsigned __int128)p->hi * b / p->def);
			p->def = b;
		}
	}
	pl->nscen = 1;
	for (unsigned i = 0; i < nc; i++) {
		struct param_range *c = &pl->p[pl->nparams + pl->nchoice];
		config_choice(i, &c->name, c->vals, &c->nvals, &c->source);
		if (config_get(base, c->name, &c->def) < 0)
			continue;
		if (set_by_user(c->name, sets, nset)) { /* fixed by the user: its one value */
			c->vals[0] = c->def;
			c->nvals = 1;
		} else {
			c->def = c->vals[0];
		}
		c->lo = c->vals[0];
		c->hi = c->vals[c->nvals - 1];
		pl->nscen *= c->nvals;
		pl->nchoice++;
	}
	pl->nall = pl->nparams + pl->nchoice;
	pl->nstrat = nstrat;
	pl->nsamples = nsamples;
	pl->block = 1 + 2 * pl->nparams + nsamples;
	pl->nruns = pl->nscen * pl->block;
	pl->values = iw_calloc((size_t)pl->nruns * (pl->nall ? pl->nall : 1), sizeof(uint64_t));
	pl->kind = iw_calloc(pl->nruns, sizeof(*pl->kind));
	pl->which = iw_calloc(pl->nruns, sizeof(int));
	uint64_t *perm = iw_calloc(nsamples ? nsamples : 1, sizeof(uint64_t));
	if (!pl->values || !pl->kind || !pl->which || !perm) {
		iw_free(perm);
		return -1;
	}
	for (unsigned r = 0; r < pl->block; r++) {
		pl->which[r] = -1;
		for (unsigned k = 0; k < pl->nall; k++)
			pl->values[(size_t)r * pl->nall + k] = pl->p[k].def;
	}
	pl->kind[0] = "base";
	for (unsigned k = 0; k < pl->nparams; k++) {
		unsigned lo_run = 1 + 2 * k, hi_run = 2 + 2 * k;
		pl->kind[lo_run] = "low";
		pl->kind[hi_run] = "high";
		pl->which[lo_run] = pl->which[hi_run] = (int)k;
		pl->values[(size_t)lo_run * pl->nall + k] = pl->p[k].lo;
		pl->values[(size_t)hi_run * pl->nall + k] = pl->p[k].hi;
	}
	struct rng g;
	rng_seed(&g, seed);
	unsigned first = 1 + 2 * pl->nparams;
	for (unsigned k = 0; k < pl->nparams; k++) {
		/* A random matching of samples to the N strata of this parameter (Fisher-Yates), then a uniform
		 * point within the stratum, in 32-bit fixed point: lo + (hi - lo) * (stratum + frac) / N. */
		for (unsigned i = 0; i < nsamples; i++)
			perm[i] = i;
		for (unsigned i = nsamples; i > 1; i--) {
			uint64_t j = rng_next(&g) % i;
			uint64_t t = perm[i - 1];
			perm[i - 1] = perm[j];
			perm[j] = t;
		}
		for (unsigned i = 0; i < nsamples; i++) {
			uint64_t frac = rng_next(&g) >> 32;
			unsigned __int128 pos = ((unsigned __int128)perm[i] << 32) + frac; /* in [0, N * 2^32) */
			unsigned __int128 span = (unsigned __int128)(pl->p[k].hi - pl->p[k].lo);
			uint64_t v = pl->p[k].lo + (uint64_t)(span * pos / ((unsigned __int128)nsamples << 32));
			pl->values[(size_t)(first + i) * pl->nall + k] = v;
		}
	}
	for (unsigned i = 0; i < nsamples; i++)
		pl->kind[first + i] = "sample";
	/* The other scenarios: block 0 with the assumptions' values of scenario sc (mixed radix, the first
	 * assumption the fastest digit). */
	for (unsigned sc = 1; sc < pl->nscen; sc++) {
		for (unsigned r = 0; r < pl->block; r++) {
			unsigned to = sc * pl->block + r;
			memcpy(&pl->values[(size_t)to * pl->nall], &pl->values[(size_t)r * pl->nall], pl->nall * sizeof(uint64_t));
			pl->kind[to] = pl->kind[r];
			pl->which[to] = pl->which[r];
			unsigned rest = sc;
			for (unsigned c = 0; c < pl->nchoice; c++) {
				const struct param_range *p = &pl->p[pl->nparams + c];
				pl->values[(size_t)to * pl->nall + pl->nparams + c] = p->vals[rest % p->nvals];
				rest /= p->nvals;
			}
		}
	}
	iw_free(perm);
	return 0;
}

/* The value of discrete assumption c in scenario sc. */
static uint64_t scen_value(const struct plan *pl, unsigned sc, unsigned c)
{
	return pl->values[(size_t)sc * pl->block * pl->nall + pl->nparams + c];
}

/* Scenario sc in words ("device.l3_allocate=0, cache.replacement=1"; "defaults" when there is none). */
static void scen_name(const struct plan *pl, unsigned sc, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = '\0';
	for (unsigned c = 0; c < pl->nchoice && n < len; c++) {
		int w = snprintf(buf + n, len - n, "%s%s=%" PRIu64, c ? ", " : "", pl->p[pl->nparams + c].name,
				 scen_value(pl, sc, c));
		if (w < 0)
			break;
		n += (size_t)w;
	}
	if (!pl->nchoice)
		snprintf(buf, len, "defaults");
}

static void plan_free(struct plan *pl)
{
	iw_free(pl->p);
	iw_free(pl->values);
	iw_free(pl->kind);
	iw_free(pl->which);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The q-quantile of n sorted values (nearest rank). */
static double quantile(const double *v, unsigned n, double q)
{
	if (n == 0)
		return NAN;
	unsigned i = (unsigned)ceil(q * n);
	return v[i ? i - 1 : 0];
}

struct pair_stats {
	unsigned n, a_cheaper;
	double gap[3], ratio[3]; /* p5, p50, p95 */
};

static void pair_stats(const struct plan *pl, const struct result *res, unsigned a, unsigned b, int m,
		       struct pair_stats *ps)
{
	unsigned first = 1 + 2 * pl->nparams;
	double *gap = iw_calloc(pl->nsamples ? pl->nsamples : 1, sizeof(double));
	double *ratio = iw_calloc(pl->nsamples ? pl->nsamples : 1, sizeof(double));
	memset(ps, 0, sizeof(*ps));
	for (unsigned i = 0; gap && ratio && i < pl->nsamples; i++) {
		double x = res[first + i].m[a][m], y = res[first + i].m[b][m];
		if (isnan(x) || isnan(y))
			continue;
		gap[ps->n] = x - y;
		ratio[ps->n] = y != 0 ? x / y : NAN;
		ps->a_cheaper += x < y;
		ps->n++;
	}
	if (gap && ratio) {
		qsort(gap, ps->n, sizeof(double), cmp_double);
		qsort(ratio, ps->n, sizeof(double), cmp_double);
		static const double q[3] = {0.05, 0.5, 0.95};
		for (int k = 0; k < 3; k++) {
			ps->gap[k] = quantile(gap, ps->n, q[k]);
			ps->ratio[k] = quantile(ratio, ps->n, q[k]);
		}
	}
	iw_free(gap);
	iw_free(ratio);
}

/* The verdict on A against B in metric m, in words, into buf. */
static void verdict(const struct plan *pl, const struct result *res, const struct engine_opts *eo, unsigned a,
		    unsigned b, int m, double ns_per_cycle, char *buf, size_t len)
{
	const char *na = eo->strategies[a]->name, *nb = eo->strategies[b]->name;
	const char *what = m == M_UPD ? "per IOPTE update" : "per DMA translation";
	double x0 = res[0].m[a][m], y0 = res[0].m[b][m];
	if (isnan(x0) || isnan(y0)) {
		snprintf(buf, len, "%s vs %s %s: n/a (the trace has none)", na, nb, what);
		return;
	}
	if (x0 == y0) {
		struct pair_stats ps;
		pair_stats(pl, res, a, b, m, &ps);
		unsigned equal = 0, first = 1 + 2 * pl->nparams;
		for (unsigned i = 0; i < pl->nsamples; i++)
			equal += res[first + i].m[a][m] == res[first + i].m[b][m];
		snprintf(buf, len, "%s and %s cost the same %s at the defaults (%.1f cycles); equal in %u of %u samples, "
			 "%s cheaper in %u", na, nb, what, x0, equal, ps.n, na, ps.a_cheaper);
		return;
	}
	int base_a_cheaper = x0 < y0;
	/* One-at-a-time flips: a low or high value that reverses the default ordering. */
	char flips[512] = "";
	size_t fl = 0;
	for (unsigned r = 1; r < 1 + 2 * pl->nparams; r++) {
		double x = res[r].m[a][m], y = res[r].m[b][m];
		if (isnan(x) || isnan(y) || (x < y) == base_a_cheaper || x == y)
			continue;
		const struct param_range *p = &pl->p[pl->which[r]];
		int w = snprintf(flips + fl, sizeof(flips) - fl, "%s%s=%" PRIu64, fl ? ", " : "", p->name,
				 pl->values[(size_t)r * pl->nall + pl->which[r]]);
		if (w > 0 && (size_t)w < sizeof(flips) - fl)
			fl += (size_t)w;
	}
	const char *cheap = base_a_cheaper ? na : nb, *dear = base_a_cheaper ? nb : na;
	int n = snprintf(buf, len, "%s is cheaper than %s %s at the defaults (%.1f vs %.1f cycles)", cheap, dear, what,
			 base_a_cheaper ? x0 : y0, base_a_cheaper ? y0 : x0);
	if (n < 0 || (size_t)n >= len)
		return;
	struct pair_stats ps;
	pair_stats(pl, res, a, b, m, &ps);
	if (ps.n) {
		unsigned held = base_a_cheaper ? ps.a_cheaper : ps.n - ps.a_cheaper;
		double g5 = base_a_cheaper ? -ps.gap[2] : ps.gap[0], g95 = base_a_cheaper ? -ps.gap[0] : ps.gap[2];
		n += snprintf(buf + n, len - (size_t)n,
			      "; in %u of %u samples (%.0f %%); gap %.1f..%.1f cycles (%.1f..%.1f ns), p5..p95", held,
			      ps.n, 100.0 * held / ps.n, g5, g95, g5 * ns_per_cycle, g95 * ns_per_cycle);
	}
	if (n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, "%s%s%s", fl ? "; the ordering flips at " : "; no single range end flips it",
			 flips, fl ? " (one at a time)" : "");
}

static json_t *metrics_json(const struct engine_opts *eo, const struct result *r)
{
	json_t *o = json_object();
	for (unsigned s = 0; s < eo->nstrategies; s++) {
		json_t *m = json_object();
		for (int k = 0; k < NM; k++)
			json_object_set_new(m, metric_name[k], isnan(r->m[s][k]) ? json_null() : json_real(r->m[s][k]));
		json_object_set_new(o, eo->strategies[s]->name, m);
	}
	return o;
}

/* The pairs' statistics and verdicts of one scenario's block of results (rs) into o ("pairs", "verdicts"). */
static void pairs_json(json_t *o, const struct plan *pl, const struct result *rs, const struct engine_opts *eo,
		       double ns_per_cycle)
{
	json_t *pairs = json_array(), *verdicts = json_array();
	for (unsigned a = 0; a < eo->nstrategies; a++) {
		for (unsigned b = a + 1; b < eo->nstrategies; b++) {
			for (int m = 0; m < NM; m++) {
				struct pair_stats ps;
				pair_stats(pl, rs, a, b, m, &ps);
				json_t *p = json_object();
				json_object_set_new(p, "a", json_string(eo->strategies[a]->name));
				json_object_set_new(p, "b", json_string(eo->strategies[b]->name));
				json_object_set_new(p, "metric", json_string(metric_name[m]));
				json_object_set_new(p, "samples", json_integer(ps.n));
				json_object_set_new(p, "a_cheaper_fraction", ps.n ? json_real((double)ps.a_cheaper / ps.n) : json_null());
				static const char *const qn[3] = {"p5", "p50", "p95"};
				json_t *gap = json_object(), *gns = json_object(), *ratio = json_object();
				for (int k = 0; k < 3; k++) {
					json_object_set_new(gap, qn[k], ps.n ? json_real(ps.gap[k]) : json_null());
					json_object_set_new(gns, qn[k], ps.n ? json_real(ps.gap[k] * ns_per_cycle) : json_null());
					json_object_set_new(ratio, qn[k], ps.n && !isnan(ps.ratio[k]) ? json_real(ps.ratio[k]) : json_null());
				}
				json_object_set_new(p, "gap_cycles", gap);
				json_object_set_new(p, "gap_ns", gns);
				json_object_set_new(p, "ratio", ratio);
				json_array_append_new(pairs, p);
				char v[1024];
				verdict(pl, rs, eo, a, b, m, ns_per_cycle, v, sizeof(v));
				json_array_append_new(verdicts, json_string(v));
			}
		}
	}
	json_object_set_new(o, "pairs", pairs);
	json_object_set_new(o, "verdicts", verdicts);
}

/* The verdict on A against B in metric m across every scenario of the discrete assumptions: whether the
 * ordering at the defaults holds at every scenario's defaults and in how many samples of them all, or
 * which scenarios reverse it. */
static void verdict_across(const struct plan *pl, const struct result *res, const struct engine_opts *eo, unsigned a,
			   unsigned b, int m, char *buf, size_t len)
{
	const char *na = eo->strategies[a]->name, *nb = eo->strategies[b]->name;
	const char *what = m == M_UPD ? "per IOPTE update" : "per DMA translation";
	double x0 = res[0].m[a][m], y0 = res[0].m[b][m];
	if (isnan(x0) || isnan(y0) || x0 == y0) {
		snprintf(buf, len, "%s vs %s %s: %s at the defaults; see each scenario", na, nb, what,
			 isnan(x0) || isnan(y0) ? "n/a" : "equal");
		return;
	}
	bool a_cheap = x0 < y0;
	unsigned held = 0, n = 0, worst_sc = 0;
	double worst = 2;
	char flips[512] = "";
	size_t fl = 0;
	for (unsigned sc = 0; sc < pl->nscen; sc++) {
		const struct result *rs = res + (size_t)sc * pl->block;
		struct pair_stats ps;
		pair_stats(pl, rs, a, b, m, &ps);
		unsigned h = a_cheap ? ps.a_cheaper : ps.n - ps.a_cheaper;
		held += h;
		n += ps.n;
		if (ps.n && (double)h / ps.n < worst) {
			worst = (double)h / ps.n;
			worst_sc = sc;
		}
		double x = rs[0].m[a][m], y = rs[0].m[b][m];
		if (!isnan(x) && !isnan(y) && x != y && (x < y) != a_cheap) {
			char name[256];
			scen_name(pl, sc, name, sizeof(name));
			int w = snprintf(flips + fl, sizeof(flips) - fl, "%s[%s]", fl ? ", " : "", name);
			if (w > 0 && (size_t)w < sizeof(flips) - fl)
				fl += (size_t)w;
		}
	}
	const char *cheap = a_cheap ? na : nb, *dear = a_cheap ? nb : na;
	int k = snprintf(buf, len, "%s is cheaper than %s %s at the defaults of %s (%u scenario%s of the discrete assumptions)",
			 cheap, dear, what, fl ? "some scenarios only" : "every scenario", pl->nscen, pl->nscen == 1 ? "" : "s");
	if (k < 0 || (size_t)k >= len)
		return;
	if (n) {
		k += snprintf(buf + k, len - (size_t)k, "; in %u of %u samples (%.0f %%)", held, n, 100.0 * held / n);
		if (k > 0 && (size_t)k < len && held < n) {
			char wn[256];
			scen_name(pl, worst_sc, wn, sizeof(wn));
			k += snprintf(buf + k, len - (size_t)k, ", fewest in [%s] (%.0f %%)", wn, 100.0 * worst);
		}
	}
	if (k > 0 && (size_t)k < len && fl)
		snprintf(buf + k, len - (size_t)k, "; the ordering flips at the defaults of %s", flips);
}

static int write_json(FILE *f, const struct plan *pl, const struct result *res, const struct engine_opts *eo,
		      uint64_t seed, double ns_per_cycle)
{
	json_t *root = json_object();
	json_object_set_new(root, "schema", json_string("iowalk-sensitivity/1"));
	json_object_set_new(root, "trace", json_string(eo->trace_label));
	json_object_set_new(root, "samples", json_integer(pl->nsamples));
	json_object_set_new(root, "seed", json_integer((json_int_t)seed));
	json_object_set_new(root, "sampling", json_string("Latin hypercube, uniform within each range"));
	json_t *ranges = json_array();
	for (unsigned k = 0; k < pl->nparams; k++) {
		json_t *r = json_object();
		json_object_set_new(r, "name", json_string(pl->p[k].name));
		json_object_set_new(r, "default", json_integer((json_int_t)pl->p[k].def));
		json_object_set_new(r, "low", json_integer((json_int_t)pl->p[k].lo));
		json_object_set_new(r, "high", json_integer((json_int_t)pl->p[k].hi));
		json_object_set_new(r, "source", json_string(pl->p[k].source));
		json_array_append_new(ranges, r);
	}
	json_object_set_new(root, "ranges", ranges);
	json_object_set_new(root, "base", metrics_json(eo, &res[0]));
	json_t *oat = json_array();
	for (unsigned r = 1; r < 1 + 2 * pl->nparams; r++) {
		json_t *o = json_object();
		json_object_set_new(o, "param", json_string(pl->p[pl->which[r]].name));
		json_object_set_new(o, "end", json_string(pl->kind[r]));
		json_object_set_new(o, "value", json_integer((json_int_t)pl->values[(size_t)r * pl->nall + pl->which[r]]));
		json_object_set_new(o, "strategies", metrics_json(eo, &res[r]));
		json_t *pg = json_array();
		for (unsigned a = 0; a < eo->nstrategies; a++)
			for (unsigned b = a + 1; b < eo->nstrategies; b++)
				for (int m = 0; m < NM; m++) {
					double x = res[r].m[a][m], y = res[r].m[b][m];
					json_t *q = json_object();
					json_object_set_new(q, "a", json_string(eo->strategies[a]->name));
					json_object_set_new(q, "b", json_string(eo->strategies[b]->name));
					json_object_set_new(q, "metric", json_string(metric_name[m]));
					json_object_set_new(q, "gap", isnan(x - y) ? json_null() : json_real(x - y));
					json_object_set_new(q, "ratio", y != 0 && !isnan(x / y) ? json_real(x / y) : json_null());
					json_array_append_new(pg, q);
				}
		json_object_set_new(o, "pairs", pg);
		json_array_append_new(oat, o);
	}
	json_object_set_new(root, "one_at_a_time", oat);
	pairs_json(root, pl, res, eo, ns_per_cycle);
	json_t *choices = json_array();
	for (unsigned c = 0; c < pl->nchoice; c++) {
		const struct param_range *p = &pl->p[pl->nparams + c];
		json_t *o = json_object(), *v = json_array();
		json_object_set_new(o, "name", json_string(p->name));
		for (unsigned i = 0; i < p->nvals; i++)
			json_array_append_new(v, json_integer((json_int_t)p->vals[i]));
		json_object_set_new(o, "values", v);
		json_object_set_new(o, "source", json_string(p->source));
		json_array_append_new(choices, o);
	}
	json_object_set_new(root, "assumptions", choices);
	json_t *scens = json_array();
	for (unsigned sc = 0; sc < pl->nscen; sc++) {
		const struct result *rs = res + (size_t)sc * pl->block;
		json_t *o = json_object(), *cv = json_object();
		for (unsigned c = 0; c < pl->nchoice; c++)
			json_object_set_new(cv, pl->p[pl->nparams + c].name, json_integer((json_int_t)scen_value(pl, sc, c)));
		json_object_set_new(o, "assumptions", cv);
		json_object_set_new(o, "base", metrics_json(eo, &rs[0]));
		pairs_json(o, pl, rs, eo, ns_per_cycle);
		json_array_append_new(scens, o);
	}
	json_object_set_new(root, "scenarios", scens);
	json_t *across = json_array();
	for (unsigned a = 0; a < eo->nstrategies; a++)
		for (unsigned b = a + 1; b < eo->nstrategies; b++)
			for (int m = 0; m < NM; m++) {
				char v[1024];
				verdict_across(pl, res, eo, a, b, m, v, sizeof(v));
				json_array_append_new(across, json_string(v));
			}
	json_object_set_new(root, "verdicts_across_assumptions", across);
	int rc = json_dumpf(root, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
	fputc('\n', f);
	json_decref(root);
	return rc < 0 || ferror(f) ? -1 : 0;
}

static int write_csv(FILE *f, const struct plan *pl, const struct result *res, const struct engine_opts *eo)
{
	fputs("run,scenario,kind", f);
	for (unsigned k = 0; k < pl->nall; k++)
		fprintf(f, ",%s", pl->p[k].name);
	for (unsigned s = 0; s < eo->nstrategies; s++)
		for (int m = 0; m < NM; m++)
			fprintf(f, ",%s.%s", eo->strategies[s]->name, metric_name[m]);
	fputc('\n', f);
	for (unsigned r = 0; r < pl->nruns; r++) {
		fprintf(f, "%u,%u,%s", r, r / pl->block, pl->kind[r]);
		for (unsigned k = 0; k < pl->nall; k++)
			fprintf(f, ",%" PRIu64, pl->values[(size_t)r * pl->nall + k]);
		for (unsigned s = 0; s < eo->nstrategies; s++)
			for (int m = 0; m < NM; m++)
				isnan(res[r].m[s][m]) ? fputs(",", f) : fprintf(f, ",%.4f", res[r].m[s][m]);
		fputc('\n', f);
	}
	return ferror(f) ? -1 : 0;
}

struct swing {
	unsigned k;
	double lo, hi, span;
};

static int cmp_swing(const void *x, const void *y)
{
	const struct swing *a = x, *b = y;
	/* Largest swing first; ties in parameter order, so the output is the same everywhere. */
	if (a->span != b->span)
		return a->span < b->span ? 1 : -1;
	return a->k < b->k ? -1 : a->k > b->k;
}

/* The tornado data: for each pair and metric, every parameter's gap (A - B) at its low and high ends,
 * largest swing first (plots/tornado.gp). */
static int write_tornado(FILE *f, const struct plan *pl, const struct result *res, const struct engine_opts *eo)
{
	fputs("pair,metric,rank,param,low,high,gap_base,gap_low,gap_high,swing\n", f);
	struct swing *sw = iw_calloc(pl->nparams ? pl->nparams : 1, sizeof(*sw));
	if (!sw)
		return -1;
	for (unsigned a = 0; a < eo->nstrategies; a++)
		for (unsigned b = a + 1; b < eo->nstrategies; b++)
			for (int m = 0; m < NM; m++) {
				double base = res[0].m[a][m] - res[0].m[b][m];
				for (unsigned k = 0; k < pl->nparams; k++) {
					const struct result *lo = &res[1 + 2 * k], *hi = &res[2 + 2 * k];
					sw[k] = (struct swing){k, lo->m[a][m] - lo->m[b][m], hi->m[a][m] - hi->m[b][m], 0};
					sw[k].span = fabs(sw[k].hi - sw[k].lo);
					if (isnan(sw[k].span))
						sw[k].span = -1;
				}
				qsort(sw, pl->nparams, sizeof(*sw), cmp_swing);
				for (unsigned i = 0; i < pl->nparams; i++) {
					const struct param_range *p = &pl->p[sw[i].k];
					fprintf(f, "%s-%s,%s,%u,%s,%" PRIu64 ",%" PRIu64 ",%.4f,%.4f,%.4f,%.4f\n",
						eo->strategies[a]->name, eo->strategies[b]->name, metric_name[m], i + 1, p->name,
						p->lo, p->hi, base, sw[i].lo, sw[i].hi, sw[i].span);
				}
			}
	iw_free(sw);
	return ferror(f) ? -1 : 0;
}

static void print_table(const struct plan *pl, const struct result *res, const struct engine_opts *eo,
			double ns_per_cycle)
{
	printf("one at a time: mean cycles per IOPTE update at each range end (others at their defaults)\n");
	printf("%-24s %10s", "parameter = value", "");
	for (unsigned s = 0; s < eo->nstrategies; s++)
		printf(" %10s", eo->strategies[s]->name);
	printf("\n%-24s %10s", "(defaults)", "");
	for (unsigned s = 0; s < eo->nstrategies; s++)
		printf(" %10.1f", res[0].m[s][M_UPD]);
	printf("\n");
	for (unsigned r = 1; r < 1 + 2 * pl->nparams; r++) {
		printf("%-24s %10" PRIu64, pl->p[pl->which[r]].name, pl->values[(size_t)r * pl->nall + pl->which[r]]);
		for (unsigned s = 0; s < eo->nstrategies; s++)
			printf(" %10.1f", res[r].m[s][M_UPD]);
		printf("\n");
	}
	if (eo->nstrategies < 2) { /* the runs are in --json and --csv; there is no pair to judge */
		printf("\nverdicts: none (one strategy: name two or more with -s to compare them)\n");
		return;
	}
	for (unsigned sc = 0; sc < pl->nscen; sc++) {
		char name[256];
		scen_name(pl, sc, name, sizeof(name));
		printf("\nverdicts, scenario %u of %u [%s] (%u samples over all ranges at once):\n", sc + 1, pl->nscen, name,
		       pl->nsamples);
		for (unsigned a = 0; a < eo->nstrategies; a++)
			for (unsigned b = a + 1; b < eo->nstrategies; b++)
				for (int m = 0; m < NM; m++) {
					char v[1024];
					verdict(pl, res + (size_t)sc * pl->block, eo, a, b, m, ns_per_cycle, v, sizeof(v));
					printf("- %s\n", v);
				}
	}
	if (pl->nscen > 1) {
		printf("\nacross the %u scenarios of the discrete assumptions:\n", pl->nscen);
		for (unsigned a = 0; a < eo->nstrategies; a++)
			for (unsigned b = a + 1; b < eo->nstrategies; b++)
				for (int m = 0; m < NM; m++) {
					char v[1024];
					verdict_across(pl, res, eo, a, b, m, v, sizeof(v));
					printf("- %s\n", v);
				}
	}
}

int cli_sensitivity(int argc, char **argv)
{
	enum { O_SEED = 256, O_JSON, O_CSV, O_TORNADO };
	static const struct option opts[] = {
		{"strategy", required_argument, NULL, 's'}, {"samples", required_argument, NULL, 'n'},
		{"seed", required_argument, NULL, O_SEED},  {"jobs", required_argument, NULL, 'j'},
		{"preset", required_argument, NULL, 'p'},   {"config", required_argument, NULL, 'c'},
		{"set", required_argument, NULL, 'S'},      {"json", required_argument, NULL, O_JSON},
		{"csv", required_argument, NULL, O_CSV},    {"quiet", no_argument, NULL, 'q'},
		{"tornado", required_argument, NULL, O_TORNADO},
		{"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
	const char *strategies = "all", *json = NULL, *csv = NULL, *tornado = NULL, *sets[64];
	struct cli_config_src src = {.set_keys = sets};
	unsigned long long samples = 200, seed = 1;
	long jobs = sysconf(_SC_NPROCESSORS_ONLN);
	int quiet = 0, c;
	char *end;
	optind = 1;
	while ((c = cli_getopt(argc, argv, "s:n:j:p:c:S:qh", opts, NULL, "sensitivity")) != -1) {
		switch (c) {
		case 's': strategies = optarg; break;
		case 'n':
		case O_SEED:
		case 'j': {
			errno = 0;
			unsigned long long v = strtoull(optarg, &end, 10);
			if (errno || *end || optarg[0] < '0' || optarg[0] > '9' || (c == 'n' && v > 100000) ||
			    (c == 'j' && (v < 1 || v > 1024))) {
				cli_error("sensitivity: %s '%s': expected %s", c == 'n' ? "--samples" : c == 'j' ? "-j" : "--seed",
					  optarg, c == 'n' ? "0..100000" : c == 'j' ? "1..1024" : "a number");
				return CLI_EXIT_USAGE;
			}
			if (c == 'n')
				samples = v;
			else if (c == 'j')
				jobs = (long)v;
			else
				seed = v;
			break;
		}
		case 'p': src.preset = optarg; break;
		case 'c': src.ini = optarg; break;
		case 'S':
			if (src.nset == 64) {
				cli_error("sensitivity: more than 64 --set options");
				return CLI_EXIT_USAGE;
			}
			sets[src.nset++] = optarg;
			break;
		case O_JSON: json = optarg; break;
		case O_CSV: csv = optarg; break;
		case O_TORNADO: tornado = optarg; break;
		case 'q': quiet = 1; break;
		case 'h': fputs(sens_usage, stdout); return CLI_EXIT_OK;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (argc - optind > 1) {
		cli_error("sensitivity: expected at most one TRACE (see 'iowalk sensitivity --help')");
		return CLI_EXIT_USAGE;
	}
	if (jobs < 1)
		jobs = 1;
	struct iw_config base;
	char err[512];
	struct engine_opts eo;
	memset(&eo, 0, sizeof(eo));
	if (optind < argc) {
		eo.trace_path = eo.trace_label = argv[optind];
	} else {
		eo.trace_data = iowalk_default_trace;
		eo.trace_size = iowalk_default_trace_size;
		eo.trace_label = "default";
	}
	/* Every run replays one trace: read into memory once, before the workers fork, when it is not large
	 * (SENS_MEMORY_RECORDS); else each run reads it (and when it cannot be read, the first run says why).
	 * A trace on stdin or through a pipe can be read once only: through memory, its header naming its
	 * table format. */
	bool too_big, read_once = cli_read_once(eo.trace_path);
	struct trace_memory *tm = engine_load_trace(&eo, SENS_MEMORY_RECORDS, &too_big, err, sizeof(err));
	eo.trace_mem = tm;
	if (!tm && read_once) {
		if (too_big)
			cli_error("sensitivity: a trace on stdin or through a pipe is read once, into memory, for all the "
				  "runs: %s (give it as a file)", err);
		else
			cli_error("sensitivity: %s", err);
		return CLI_EXIT_FAIL;
	}
	const struct iw_model *model = read_once ? cli_header_model(trace_memory_header(tm), eo.trace_path, err, sizeof(err))
					        : cli_trace_model(eo.trace_path, NULL, err, sizeof(err));
	int rc = CLI_EXIT_FAIL;
	struct plan pl = {0};
	struct result *res = MAP_FAILED;
	size_t bytes = 0;
	if (!model) {
		cli_error("sensitivity: %s", err);
		goto out;
	}
	src.model = model; /* its default preset, unless one is given */
	rc = cli_build_config(&base, &src, err, sizeof(err));
	if (rc != CLI_EXIT_OK) {
		cli_error("%s", err);
		goto out;
	}
	if (cli_parse_strategies(strategies, model, &eo, err, sizeof(err)) < 0) {
		cli_error("sensitivity: %s", err);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	rc = CLI_EXIT_FAIL;
	if (make_plan(&pl, &base, model, eo.nstrategies, (unsigned)samples, seed, sets, src.nset) < 0) {
		cli_error("sensitivity: out of memory");
		goto out;
	}
	bytes = (size_t)pl.nruns * sizeof(struct result);
	res = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED) {
		cli_error("sensitivity: out of memory");
		goto out;
	}
	memset(res, 0, bytes);
	/* The results are staged before the runs: a path that cannot be written fails now, not after every
	 * run (it failed at the end). */
	struct outfile *outs[3] = {NULL, NULL, NULL};
	const char *const out_paths[3] = {json, csv, tornado};
	for (int i = 0; i < 3; i++)
		if (out_paths[i] && !(outs[i] = outfile_open(out_paths[i], err, sizeof(err)))) {
			cli_error("sensitivity: %s", err);
			goto out_abort;
		}
	/* Check the trace and the base once before spreading the work. */
	if (run_one(&pl, 0, &base, &eo, &res[0]) < 0)
		goto out_abort;
	res[0].ok = 0;
	if (run_all(&pl, &base, &eo, jobs, res, quiet) < 0) {
		cli_error("sensitivity: a run failed (see above)");
		goto out_abort;
	}
	double ns_per_cycle = 1000.0 / (double)base.cpu_clock_mhz;
	if (!quiet)
		print_table(&pl, res, &eo, ns_per_cycle);
	errno = 0;
	if ((outs[0] && write_json(outfile_fp(outs[0]), &pl, res, &eo, seed, ns_per_cycle) != 0) ||
	    (outs[1] && write_csv(outfile_fp(outs[1]), &pl, res, &eo) != 0) ||
	    (outs[2] && write_tornado(outfile_fp(outs[2]), &pl, res, &eo) != 0)) {
		int e = errno;
		cli_error("sensitivity: write error%s%s", e ? ": " : "", e ? strerror(e) : "");
		goto out_abort;
	}
	if (outfile_commit_all(outs, 3, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		goto out;
	}
	rc = CLI_EXIT_OK;
	goto out;
out_abort:
	for (int i = 0; i < 3; i++)
		outfile_abort(outs[i]);
out:
	trace_memory_free(tm);
	if (res != MAP_FAILED)
		munmap(res, bytes);
	plan_free(&pl);
	return rc;
}
