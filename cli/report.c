/* report: tables, JSON and CSV (see report.h). */
#include "report.h"
#include "cli.h"
#include "fnv.h"

#include "version.h"

#include <inttypes.h>
#include <stdbool.h>
#include <jansson.h>
#include <math.h>
#include <string.h>

struct dist {
	double mean;
	uint64_t p50, p90, p99, p999, max;
};

static struct dist dist_of(const struct hist *h)
{
	struct dist d = {0, 0, 0, 0, 0, 0};
	if (h->count == 0)
		return d;
	d.mean = (double)h->sum / (double)h->count;
	d.p50 = hist_quantile(h, 0.5);
	d.p90 = hist_quantile(h, 0.9);
	d.p99 = hist_quantile(h, 0.99);
	d.p999 = hist_quantile(h, 0.999);
	d.max = h->max;
	return d;
}

/* Both paths' cycles per DMA page translation (set-up is not in them). */
static double all_per_xlat(const struct stats *st)
{
	return st->ops[OP_DMA_PAGES] ? (double)stats_total(st) / (double)st->ops[OP_DMA_PAGES] : 0.0;
}

/* Simulated seconds of the statistics window. */
static double window_s(const struct report_ctx *r, const struct stats *st)
{
	return (double)(st->window_end - st->window_start) / ((double)r->cfg->cpu_clock_mhz * 1e6);
}

/* The share of set-up a run of this length carries when set-up serves amortize_s seconds of it. */
static double setup_share(const struct report_ctx *r, const struct stats *st)
{
	double share = window_s(r, st) / r->opts->amortize_s;
	return share < 1.0 ? share : 1.0;
}

static double amortized_total(const struct report_ctx *r, const struct stats *st)
{
	return (double)stats_total(st) + (double)st->setup_cycles * setup_share(r, st);
}

/* The baseline of the ratios: the strategy run that comes first in the registry (kvm-gfn when it ran,
 * the first strategy of the thread). */
static const struct sim *baseline(const struct report_ctx *r)
{
	const struct sim *base = r->res->sims[0];
	for (unsigned i = 1; i < r->res->nsims; i++)
		if (strategy_rank(sim_strategy(r->res->sims[i])) < strategy_rank(sim_strategy(base)))
			base = r->res->sims[i];
	return base;
}

static double ratio(const struct report_ctx *r, const struct stats *st)
{
	uint64_t b = stats_total(sim_stats(baseline(r)));
	return b ? (double)stats_total(st) / (double)b : 0.0;
}

static const char *base_name(const struct report_ctx *r) { return sim_strategy(baseline(r))->name; }

/* A distribution's table cells: mean, mean in ns, p50 and the given tail percentile; n/a for each when
 * nothing was counted (a mean or percentile of nothing is not 0). */
static void dist_cells(char c[4][32], uint64_t n, const struct dist *d, uint64_t tail, double ns)
{
	if (!n) {
		for (int k = 0; k < 4; k++)
			snprintf(c[k], 32, "n/a");
		return;
	}
	snprintf(c[0], 32, "%.1f", d->mean);
	snprintf(c[1], 32, "%.0f", d->mean * ns);
	snprintf(c[2], 32, "%" PRIu64, d->p50);
	snprintf(c[3], 32, "%" PRIu64, tail);
}

void report_table(const struct report_ctx *r, FILE *f)
{
	const struct engine_result *res = r->res;
	/* The strategy column: as wide as the longest name (at least 9). */
	int sw = 9;
	for (unsigned i = 0; i < res->nsims; i++)
		if ((int)strlen(sim_strategy(res->sims[i])->name) > sw)
			sw = (int)strlen(sim_strategy(res->sims[i])->name);
	for (unsigned i = 0; i < res->nrefused; i++)
		if ((int)strlen(res->refused[i].name) > sw)
			sw = (int)strlen(res->refused[i].name);
	fprintf(f, "iowalk %s: trace %s (%s), %" PRIu64 " records, hash %016" PRIx64 "\n", IOWALK_VERSION,
		r->opts->trace_label, res->hdr.name[0] ? res->hdr.name : "unnamed", res->records, res->trace_hash);
	fprintf(f, "preset %s, check %s, warm-up %" PRIu64 " records; cycles at %" PRIu64 " MHz\n\n", r->cfg->preset,
		r->opts->check ? "on" : "off", r->opts->warmup, r->cfg->cpu_clock_mhz);
	fprintf(f, "%-*s %8s %9s %7s %8s %8s %8s %9s %7s %8s %10s %13s %9s %7s\n", sw, "strategy", "updates", "upd-mean",
		"upd-ns", "upd-p50", "upd-p99", "xlats", "xlat-mean", "xlat-ns", "xlat-p50", "xlat-p99.9", "total-cycles",
		"all/xlat", "ratio");
	double ns = 1000.0 / (double)r->cfg->cpu_clock_mhz;
	for (unsigned i = 0; i < res->nsims; i++) {
		const struct stats *st = &(*sim_stats(res->sims[i]));
		struct dist u = dist_of(&st->update), d = dist_of(&st->dma);
		u.mean = stats_update_mean(st);
		uint64_t nu = st->ops[OP_UPDATES], nx = st->ops[OP_DMA_PAGES];
		char c[8][32];
		dist_cells(c, nu, &u, u.p99, ns);
		dist_cells(c + 4, nx, &d, d.p999, ns);
		char all[32];
		if (nx)
			snprintf(all, sizeof(all), "%.1f", all_per_xlat(st));
		else
			snprintf(all, sizeof(all), "n/a");
		fprintf(f, "%-*s %8" PRIu64 " %9s %7s %8s %8s %8" PRIu64 " %9s %7s %8s %10s %13" PRIu64 " %9s %6.2fx\n", sw,
			sim_strategy(res->sims[i])->name, nu, c[0], c[1], c[2], c[3], nx, c[4], c[5], c[6], c[7], stats_total(st), all,
			ratio(r, st));
	}
	for (unsigned i = 0; i < res->nrefused; i++)
		fprintf(f, "%-*s not run: %s\n", sw, res->refused[i].name, res->refused[i].why);
	for (unsigned i = 0; i < res->nsims; i++)
		if (sim_what_if_reason(res->sims[i]))
			fprintf(f, "%-*s what-if: %s\n", sw, sim_strategy(res->sims[i])->name, sim_what_if_reason(res->sims[i]));
	fprintf(f, "\nupd: RPCIT-path cycles per guest IOPTE update made visible (mean, in ns at %" PRIu64 " MHz, p50, p99);\n"
		   "xlat: latency of a DMA page translation (mean, ns, p50, p99.9); all/xlat: cycles of both paths\n"
		   "per DMA page translation; ratio: total cycles relative to %s. Set-up is not in them (below).\n",
		r->cfg->cpu_clock_mhz, base_name(r));
	fprintf(f, "\nset-up (one-time) and pinned guest memory (MiB) over the run's %.3f s of simulated time\n",
		window_s(r, sim_stats(baseline(r))));
	fprintf(f, "%-*s %14s %10s %9s %10s %10s %10s", sw, "strategy", "setup-cycles", "setup-ms", "upfront", "pin-peak",
		"pin-avg", "pin-end");
	if (r->opts->amortize_s > 0)
		fprintf(f, " %12s %7s", "amort/xlat", "ratio");
	fputc('\n', f);
	const struct stats *bst = sim_stats(baseline(r));
	for (unsigned i = 0; i < res->nsims; i++) {
		const struct stats *st = &(*sim_stats(res->sims[i]));
		double mib = 4096.0 / (1024.0 * 1024.0);
		fprintf(f, "%-*s %14" PRIu64 " %10.3f %9.1f %10.1f %10.1f %10.1f", sw, sim_strategy(res->sims[i])->name, st->setup_cycles,
			(double)st->setup_cycles / ((double)r->cfg->cpu_clock_mhz * 1e3), (double)st->setup_pinned_pages * mib,
			(double)st->pinned_peak * mib, (double)stats_pinned_avg_bytes(st) / (1024.0 * 1024.0),
			(double)st->pinned_end * mib);
		if (r->opts->amortize_s > 0) {
			double a = amortized_total(r, st), b = amortized_total(r, bst);
			if (st->ops[OP_DMA_PAGES])
				fprintf(f, " %12.1f", a / (double)st->ops[OP_DMA_PAGES]);
			else
				fprintf(f, " %12s", "n/a");
			fprintf(f, " %6.2fx", b > 0 ? a / b : 0.0);
		}
		fputc('\n', f);
	}
	if (r->opts->amortize_s > 0)
		fprintf(f, "amort/xlat: (total + set-up x min(1, run time / %g s)) per translation; ratio: of that, to %s.\n",
			r->opts->amortize_s, base_name(r));
	fprintf(f, "drain: %s\n",
		r->opts->no_drain ? "off (--no-drain: changes not refreshed by the end of the trace stay so)"
				  : "a final flush after the last record made pending changes visible (drain_updates)");
	if (res->nsims && sim_nfunctions(res->sims[0]) > 1) {
		fprintf(f, "\nper PCI function (IO address space)\n%-*s %8s %8s %8s %9s %9s %13s %13s\n", sw, "strategy", "function",
			"updates", "rpcits", "upd-mean", "xlats", "xlat-mean", "total-cycles");
		for (unsigned i = 0; i < res->nsims; i++)
			for (unsigned k = 0; k < sim_nfunctions(res->sims[i]); k++) {
				const struct sim_fn_stats *fs = sim_function_stats(res->sims[i], k);
				char um[32], xm[32];
				snprintf(um, sizeof(um), fs->updates ? "%.1f" : "n/a", fs->updates ? (double)fs->rpcit_cycles / (double)fs->updates : 0.0);
				snprintf(xm, sizeof(xm), fs->translations ? "%.1f" : "n/a",
					 fs->translations ? (double)fs->dma_cycles / (double)fs->translations : 0.0);
				fprintf(f, "%-*s %8u %8" PRIu64 " %8" PRIu64 " %9s %9" PRIu64 " %13s %13" PRIu64 "\n", sw, sim_strategy(res->sims[i])->name,
					sim_function_id(res->sims[i], k), fs->updates, fs->rpcits, um, fs->translations, xm,
					fs->rpcit_cycles + fs->dma_cycles);
			}
	}
	fprintf(f, "\ncycles by component (%% of each strategy's total; what each is: iowalk run --list-counters)\n%-13s", "component");
	for (unsigned i = 0; i < res->nsims; i++)
		fprintf(f, " %20s", sim_strategy(res->sims[i])->name);
	fputc('\n', f);
	for (int c = 0; c < COMP_COUNT; c++) {
		fprintf(f, "%-13s", comp_name((enum comp)c));
		for (unsigned i = 0; i < res->nsims; i++) {
			const struct stats *st = &(*sim_stats(res->sims[i]));
			uint64_t t = stats_total(st);
			fprintf(f, " %13" PRIu64 " %5.1f%%", st->comp[c], t ? 100.0 * (double)st->comp[c] / (double)t : 0.0);
		}
		fputc('\n', f);
	}
	/* The name column of both tables: as wide as the longest counter or fault name (at least 19). */
	const struct iw_format *fmt = sim_format(res->sims[0]);
	int nw = 19;
	const struct iw_model *model = sim_strategy(res->sims[0])->model;
	for (unsigned o = 0; o < stats_ncounters(); o++)
		if (model_reports_counter(model, o) && (int)strlen(stats_counter_name(o)) > nw)
			nw = (int)strlen(stats_counter_name(o));
	for (unsigned k = 1; k < fmt->nfaults; k++)
		if ((int)strlen(iw_fault_name(fmt, k)) > nw)
			nw = (int)strlen(iw_fault_name(fmt, k));
	fprintf(f, "\noperation counts\n%-*s", nw, "operation");
	for (unsigned i = 0; i < res->nsims; i++)
		fprintf(f, " %12s", sim_strategy(res->sims[i])->name);
	fputc('\n', f);
	for (unsigned o = 0; o < stats_ncounters(); o++) {
		if (!model_reports_counter(model, o))
			continue;
		fprintf(f, "%-*s", nw, stats_counter_name(o));
		for (unsigned i = 0; i < res->nsims; i++)
			fprintf(f, " %12" PRIu64, sim_stats(res->sims[i])->ops[o]);
		fputc('\n', f);
	}
	fprintf(f, "\nfaults\n");
	for (unsigned k = 1; k < fmt->nfaults; k++) {
		fprintf(f, "%-*s", nw, iw_fault_name(fmt, k));
		for (unsigned i = 0; i < res->nsims; i++)
			fprintf(f, " %12" PRIu64, sim_stats(res->sims[i])->faults[k]);
		fputc('\n', f);
	}
}

/* A distribution in JSON; mean: its mean when not the histogram's (NAN: the histogram's). */
static json_t *jdist(const struct hist *h, double mean)
{
	struct dist d = dist_of(h);
	if (!isnan(mean))
		d.mean = mean;
	json_t *o = json_object();
	json_object_set_new(o, "count", json_integer((json_int_t)h->count));
	json_object_set_new(o, "mean", json_real(d.mean));
	json_object_set_new(o, "p50", json_integer((json_int_t)d.p50));
	json_object_set_new(o, "p90", json_integer((json_int_t)d.p90));
	json_object_set_new(o, "p99", json_integer((json_int_t)d.p99));
	json_object_set_new(o, "p999", json_integer((json_int_t)d.p999));
	json_object_set_new(o, "max", json_integer((json_int_t)d.max));
	return o;
}

static json_t *hitmiss(uint64_t hits, uint64_t misses)
{
	json_t *o = json_object();
	json_object_set_new(o, "hits", json_integer((json_int_t)hits));
	json_object_set_new(o, "misses", json_integer((json_int_t)misses));
	return o;
}

static json_t *strategy_json(const struct report_ctx *r, const struct sim *s)
{
	const struct stats *st = sim_stats(s);
	json_t *o = json_object();
	json_object_set_new(o, "summary", json_string(sim_strategy(s)->summary));
	json_object_set_new(o, "what_if", sim_what_if_reason(s) ? json_string(sim_what_if_reason(s)) : json_null());
	json_object_set_new(o, "translations", json_integer((json_int_t)st->ops[OP_DMA_PAGES]));
	json_object_set_new(o, "iopte_updates", json_integer((json_int_t)st->ops[OP_UPDATES]));
	json_object_set_new(o, "rpcits", json_integer((json_int_t)st->ops[OP_RPCITS]));
	json_object_set_new(o, "cycles_total", json_integer((json_int_t)stats_total(st)));
	json_object_set_new(o, "cycles_rpcit_path", json_integer((json_int_t)st->rpcit_cycles));
	json_object_set_new(o, "cycles_dma_path", json_integer((json_int_t)st->dma_cycles));
	json_object_set_new(o, "cycles_setup", json_integer((json_int_t)st->setup_cycles));
	json_object_set_new(o, "setup_pinned_bytes", json_integer((json_int_t)(st->setup_pinned_pages * 4096)));
	json_t *pin = json_object();
	json_object_set_new(pin, "peak", json_integer((json_int_t)(st->pinned_peak * 4096)));
	json_object_set_new(pin, "average", json_integer((json_int_t)stats_pinned_avg_bytes(st)));
	json_object_set_new(pin, "end", json_integer((json_int_t)(st->pinned_end * 4096)));
	json_object_set_new(o, "pinned_bytes", pin);
	json_object_set_new(o, "simulated_seconds", json_real(window_s(r, st)));
	json_object_set_new(o, "guest_stall_cycles", json_integer((json_int_t)st->guest_stall_cycles));
	json_object_set_new(o, "cycles_per_translation", jdist(&st->dma, NAN));
	json_object_set_new(o, "cycles_per_update", jdist(&st->update, stats_update_mean(st)));
	json_object_set_new(o, "cycles_per_rpcit", jdist(&st->rpcit, NAN));
	json_object_set_new(o, "cycles_per_translation_all", json_real(all_per_xlat(st)));
	json_object_set_new(o, "ratio_total_cycles", json_real(ratio(r, st)));
	if (r->opts->amortize_s > 0) {
		json_t *am = json_object();
		double a = amortized_total(r, st), b = amortized_total(r, sim_stats(baseline(r)));
		json_object_set_new(am, "horizon_s", json_real(r->opts->amortize_s));
		json_object_set_new(am, "setup_share", json_real(setup_share(r, st)));
		json_object_set_new(am, "cycles_total", json_real(a));
		json_object_set_new(am, "cycles_per_translation",
				    st->ops[OP_DMA_PAGES] ? json_real(a / (double)st->ops[OP_DMA_PAGES]) : json_null());
		json_object_set_new(am, "ratio", json_real(b > 0 ? a / b : 0.0));
		json_object_set_new(o, "amortized", am);
	} else {
		json_object_set_new(o, "amortized", json_null());
	}
	json_t *b = json_object();
	for (int c = 0; c < COMP_COUNT; c++)
		json_object_set_new(b, comp_name((enum comp)c), json_integer((json_int_t)st->comp[c]));
	json_object_set_new(o, "breakdown", b);
	json_t *fns = json_array();
	for (unsigned i = 0; i < sim_nfunctions(s); i++) {
		const struct sim_fn_stats *fs = sim_function_stats(s, i);
		json_t *f = json_object();
		json_object_set_new(f, "function", json_integer(sim_function_id(s, i)));
		json_object_set_new(f, "translations", json_integer((json_int_t)fs->translations));
		json_object_set_new(f, "iopte_updates", json_integer((json_int_t)fs->updates));
		json_object_set_new(f, "rpcits", json_integer((json_int_t)fs->rpcits));
		json_object_set_new(f, "cycles_rpcit_path", json_integer((json_int_t)fs->rpcit_cycles));
		json_object_set_new(f, "cycles_dma_path", json_integer((json_int_t)fs->dma_cycles));
		json_object_set_new(f, "faults", json_integer((json_int_t)fs->faults));
		json_array_append_new(fns, f);
	}
	json_object_set_new(o, "functions", fns);
	json_t *ops = json_object();
	const struct iw_model *model = sim_strategy(s)->model;
	for (unsigned k = 0; k < stats_ncounters(); k++)
		if (model_reports_counter(model, k))
			json_object_set_new(ops, stats_counter_name(k), json_integer((json_int_t)st->ops[k]));
	json_object_set_new(o, "ops", ops);
	json_t *setup_ops = json_object();
	for (unsigned k = 0; k < stats_ncounters(); k++)
		if (model_reports_counter(model, k))
			json_object_set_new(setup_ops, stats_counter_name(k), json_integer((json_int_t)st->setup_ops[k]));
	json_object_set_new(o, "setup_ops", setup_ops);
	json_t *cache = json_object();
	for (int l = 0; l < 3; l++) {
		const struct memcache *c = &sim_memsys(s)->c[l];
		json_object_set_new(cache, memsys_level_name((enum memsys_level)l), hitmiss(c->hits, c->misses));
	}
	json_t *dev = json_object();
	json_object_set_new(dev, "l3", json_integer((json_int_t)sim_memsys(s)->device_served[MEM_L3]));
	json_object_set_new(dev, "dram", json_integer((json_int_t)sim_memsys(s)->device_served[MEM_DRAM]));
	json_object_set_new(cache, "device_served", dev);
	json_object_set_new(o, "cache", cache);
	json_object_set_new(o, "iotlb", hitmiss(st->ops[OP_IOTLB_HITS], st->ops[OP_IOTLB_MISSES]));
	json_t *faults = json_object();
	for (unsigned k = 1; k < sim_format(s)->nfaults; k++)
		json_object_set_new(faults, iw_fault_name(sim_format(s), k), json_integer((json_int_t)st->faults[k]));
	json_object_set_new(o, "faults", faults);
	return o;
}

/* A hash of everything that decides the numbers besides the trace and the strategy: every parameter's
 * value (in the registry's order, so not the preset's name) and the run settings. FNV-1a 64 over
 * "name=value\n" lines: the same on every machine. */
/* The parameters of the run's model and its strategies (and the engine's). */
static const struct iw_param_scope *run_scope(const struct report_ctx *r, struct iw_param_scope *sc)
{
	const struct iw_model *m = r->res && r->res->nsims ? sim_strategy(r->res->sims[0])->model
				   : r->opts->nstrategies ? r->opts->strategies[0]->model : NULL;
	if (!m)
		return NULL; /* every parameter */
	model_param_scope(m, sc);
	return sc;
}

uint64_t report_config_hash(const struct report_ctx *r)
{
	uint64_t h = FNV1A_OFFSET, v;
	char line[256];
	const char *name;
	struct iw_param_scope scope;
	const struct iw_param_scope *sc = run_scope(r, &scope);
	for (unsigned i = 0; config_param(r->cfg, i, &name, &v); i++) {
		if (!config_in_scope(sc, name))
			continue;
		snprintf(line, sizeof(line), "%s=%" PRIu64 "\n", name, v);
		h = fnv1a_str(h, line);
	}
	snprintf(line, sizeof(line), "run.check=%d\nrun.warmup_records=%" PRIu64 "\nrun.drain=%d\n", r->opts->check ? 1 : 0,
		 r->opts->warmup, r->opts->no_drain ? 0 : 1);
	h = fnv1a_str(h, line);
	if (r->opts->amortize_s > 0) {
		snprintf(line, sizeof(line), "run.amortize_over_s=%.17g\n", r->opts->amortize_s);
		h = fnv1a_str(h, line);
	}
	return h;
}

const char *report_build_id(void)
{
	static char id[96];
	if (id[0])
		return id;
	const char *rev = IOWALK_GIT_REV;
	size_t n = strlen(rev);
	bool clean = strcmp(rev, "unknown") != 0 && !(n >= 6 && strcmp(rev + n - 6, "-dirty") == 0);
	if (clean) {
		snprintf(id, sizeof(id), "%s", rev);
		return id;
	}
	/* Not a commit: the executable's bytes tell builds apart. */
	uint64_t h;
	if (cli_file_digest("/proc/self/exe", &h) == 0)
		snprintf(id, sizeof(id), "%s+exe.%016" PRIx64, rev, h);
	else
		snprintf(id, sizeof(id), "%s+exe.unreadable", rev);
	return id;
}

json_t *report_json_object(const struct report_ctx *r)
{
	const struct engine_result *res = r->res;
	json_t *root = json_object();
	char hex[32];
	json_object_set_new(root, "schema", json_string(REPORT_SCHEMA));
	json_t *tool = json_object();
	json_object_set_new(tool, "name", json_string("iowalk"));
	json_object_set_new(tool, "version", json_string(IOWALK_VERSION));
	json_object_set_new(tool, "git", json_string(IOWALK_GIT_REV));
	json_object_set_new(tool, "build", json_string(report_build_id()));
	json_object_set_new(root, "tool", tool);
	json_t *trace = json_object();
	json_object_set_new(trace, "label", json_string(r->opts->trace_label));
	json_object_set_new(trace, "name", json_string(res->hdr.name));
	json_object_set_new(trace, "format", json_string(res->hdr.format));
	json_object_set_new(trace, "version", json_integer((json_int_t)res->hdr.version));
	snprintf(hex, sizeof(hex), "%016" PRIx64, res->trace_hash);
	json_object_set_new(trace, "hash", json_string(hex));
	json_object_set_new(trace, "records", json_integer((json_int_t)res->records));
	json_object_set_new(trace, "first_cycle", json_integer((json_int_t)res->first_time));
	json_object_set_new(trace, "last_cycle", json_integer((json_int_t)res->last_time));
	json_object_set_new(root, "trace", trace);
	json_t *run = json_object();
	json_object_set_new(run, "check", json_boolean(r->opts->check));
	json_object_set_new(run, "warmup_records", json_integer((json_int_t)r->opts->warmup));
	json_object_set_new(run, "drain", json_boolean(!r->opts->no_drain));
	json_object_set_new(run, "amortize_over_s", r->opts->amortize_s > 0 ? json_real(r->opts->amortize_s) : json_null());
	json_object_set_new(run, "baseline", json_string(base_name(r)));
	snprintf(hex, sizeof(hex), "%016" PRIx64, report_config_hash(r));
	json_object_set_new(run, "config_hash", json_string(hex));
	if (r->opts->tag)
		json_object_set_new(run, "tag", json_string(r->opts->tag));
	json_object_set_new(root, "run", run);
	json_t *cfg = json_object();
	json_object_set_new(cfg, "preset", json_string(r->cfg->preset));
	const char *name;
	uint64_t v;
	struct iw_param_scope scope;
	const struct iw_param_scope *sc = run_scope(r, &scope);
	for (unsigned i = 0; config_param(r->cfg, i, &name, &v); i++)
		if (config_in_scope(sc, name))
			json_object_set_new(cfg, name, json_integer((json_int_t)v));
	json_object_set_new(root, "config", cfg);
	json_t *strats = json_object();
	for (unsigned i = 0; i < res->nsims; i++)
		json_object_set_new(strats, sim_strategy(res->sims[i])->name, strategy_json(r, res->sims[i]));
	json_object_set_new(root, "strategies", strats);
	json_t *refused = json_object();
	for (unsigned i = 0; i < r->res->nrefused; i++)
		json_object_set_new(refused, r->res->refused[i].name, json_string(r->res->refused[i].why));
	json_object_set_new(root, "refused", refused);
	return root;
}

int report_json(const struct report_ctx *r, FILE *f)
{
	json_t *root = report_json_object(r);
	int rc = json_dumpf(root, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
	fputc('\n', f);
	json_decref(root);
	return rc == 0 && !ferror(f) ? 0 : -1;
}

static const char *const dist_keys[] = {"mean", "p50", "p90", "p99", "p999", "max"};

/* The leading columns of a CSV row, after the strategy. Counters with one of these names (the RPCIT and
 * IOPTE-update counts) are not repeated among the counter columns: every column name is unique. */
static const char *const top_keys[] = {"translations",	    "iopte_updates",   "rpcits",      "cycles_total",
				       "cycles_rpcit_path", "cycles_dma_path", "cycles_setup"};
#define NTOP (sizeof top_keys / sizeof top_keys[0])

static bool is_top_key(const char *name)
{
	for (size_t i = 0; i < NTOP; i++)
		if (strcmp(name, top_keys[i]) == 0)
			return true;
	return false;
}

void report_csv_header(FILE *f, const struct iw_model *model, const char *lead)
{
	const struct iw_format *fmt = model->fmt;
	fprintf(f, "%s%sstrategy", lead ? lead : "", lead && lead[0] ? "," : "");
	for (size_t i = 0; i < NTOP; i++)
		fprintf(f, ",%s", top_keys[i]);
	for (int i = 0; i < 6; i++)
		fprintf(f, ",xlat_%s", dist_keys[i]);
	for (int i = 0; i < 6; i++)
		fprintf(f, ",upd_%s", dist_keys[i]);
	fputs(",all_per_xlat,ratio,setup_pinned_bytes,pinned_peak_bytes,pinned_avg_bytes,pinned_end_bytes,amortized_per_xlat,"
	      "amortized_ratio,setup_share", f);
	for (int c = 0; c < COMP_COUNT; c++)
		fprintf(f, ",%s", comp_name((enum comp)c));
	for (unsigned o = 0; o < stats_ncounters(); o++)
		if (model_reports_counter(model, o) && !is_top_key(stats_counter_name(o)))
			fprintf(f, ",%s", stats_counter_name(o));
	fputs(",guest_stall_cycles,l1_hits,l1_misses,l2_hits,l2_misses,l3_hits,l3_misses,device_l3,device_dram", f);
	for (unsigned x = 1; x < fmt->nfaults; x++)
		fprintf(f, ",fault_%s", iw_fault_name(fmt, x));
	/* Provenance: which iowalk, which configuration, which trace made the row. */
	fputs(",iowalk_version,config_hash,trace_hash,build\n", f);
}

static void csv_num(FILE *f, json_t *v, const char *real_fmt)
{
	if (json_is_integer(v))
		fprintf(f, ",%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		fprintf(f, real_fmt, json_real_value(v));
	else
		fputs(",", f);
}

int report_csv_rows(json_t *report, const struct iw_model *model, FILE *f, const char *lead)
{
	const struct iw_format *fmt = model->fmt;
	json_t *strats = json_object_get(report, "strategies");
	if (!json_is_object(strats))
		return -1;
	const char *name;
	json_t *s;
	json_object_foreach(strats, name, s)
	{
		fprintf(f, "%s%s%s", lead ? lead : "", lead && lead[0] ? "," : "", name);
		for (size_t i = 0; i < NTOP; i++)
			csv_num(f, json_object_get(s, top_keys[i]), ",%.3f");
		for (int i = 0; i < 6; i++)
			csv_num(f, json_object_get(json_object_get(s, "cycles_per_translation"), dist_keys[i]), ",%.3f");
		for (int i = 0; i < 6; i++)
			csv_num(f, json_object_get(json_object_get(s, "cycles_per_update"), dist_keys[i]), ",%.3f");
		csv_num(f, json_object_get(s, "cycles_per_translation_all"), ",%.3f");
		csv_num(f, json_object_get(s, "ratio_total_cycles"), ",%.6f");
		csv_num(f, json_object_get(s, "setup_pinned_bytes"), ",%.3f");
		static const char *const pins[] = {"peak", "average", "end"};
		for (int i = 0; i < 3; i++)
			csv_num(f, json_object_get(json_object_get(s, "pinned_bytes"), pins[i]), ",%.3f");
		json_t *am = json_object_get(s, "amortized");
		csv_num(f, json_object_get(am, "cycles_per_translation"), ",%.3f");
		csv_num(f, json_object_get(am, "ratio"), ",%.6f");
		csv_num(f, json_object_get(am, "setup_share"), ",%.9f");
		for (int c = 0; c < COMP_COUNT; c++)
			csv_num(f, json_object_get(json_object_get(s, "breakdown"), comp_name((enum comp)c)), ",%.3f");
		for (unsigned o = 0; o < stats_ncounters(); o++)
			if (model_reports_counter(model, o) && !is_top_key(stats_counter_name(o)))
				csv_num(f, json_object_get(json_object_get(s, "ops"), stats_counter_name(o)), ",%.3f");
		csv_num(f, json_object_get(s, "guest_stall_cycles"), ",%.3f");
		json_t *cache = json_object_get(s, "cache");
		static const char *const levels[] = {"l1", "l2", "l3"};
		for (int i = 0; i < 3; i++) {
			csv_num(f, json_object_get(json_object_get(cache, levels[i]), "hits"), ",%.3f");
			csv_num(f, json_object_get(json_object_get(cache, levels[i]), "misses"), ",%.3f");
		}
		csv_num(f, json_object_get(json_object_get(cache, "device_served"), "l3"), ",%.3f");
		csv_num(f, json_object_get(json_object_get(cache, "device_served"), "dram"), ",%.3f");
		for (unsigned x = 1; x < fmt->nfaults; x++)
			csv_num(f, json_object_get(json_object_get(s, "faults"), iw_fault_name(fmt, x)), ",%.3f");
		const char *ver = json_string_value(json_object_get(json_object_get(report, "tool"), "version"));
		const char *ch = json_string_value(json_object_get(json_object_get(report, "run"), "config_hash"));
		const char *th = json_string_value(json_object_get(json_object_get(report, "trace"), "hash"));
		const char *bid = json_string_value(json_object_get(json_object_get(report, "tool"), "build"));
		fprintf(f, ",%s,%s,%s,%s\n", ver ? ver : "", ch ? ch : "", th ? th : "", bid ? bid : "");
	}
	return ferror(f) ? -1 : 0;
}

int report_csv(const struct report_ctx *r, FILE *f)
{
	json_t *root = report_json_object(r);
	const struct iw_model *model = sim_strategy(r->res->sims[0])->model;
	report_csv_header(f, model, NULL);
	int rc = report_csv_rows(root, model, f, NULL);
	json_decref(root);
	return rc;
}

int report_cdf(const struct report_ctx *r, FILE *f)
{
	fputs("strategy,metric,cycles,fraction\n", f);
	for (unsigned i = 0; i < r->res->nsims; i++) {
		const struct stats *st = sim_stats(r->res->sims[i]);
		const struct hist *hs[2] = {&st->dma, &st->update};
		static const char *const names[2] = {"translation", "update"};
		for (int k = 0; k < 2; k++) {
			const struct hist *h = hs[k];
			uint64_t seen = 0;
			for (unsigned b = 0; b < HIST_BUCKETS && seen < h->count; b++) {
				if (!h->b[b])
					continue;
				seen += h->b[b];
				uint64_t v = hist_bucket_high(b);
				if (v > h->max)
					v = h->max;
				fprintf(f, "%s,%s,%" PRIu64 ",%.6f\n", sim_strategy(r->res->sims[i])->name, names[k], v,
					(double)seen / (double)h->count);
			}
		}
	}
	return ferror(f) ? -1 : 0;
}
