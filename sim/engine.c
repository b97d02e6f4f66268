/* engine: see engine.h. */
#include "engine.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const struct strategy_ops *strategy_find(const struct iw_model *m, const char *name)
{
	for (unsigned i = 0; m->strategy_at(i); i++)
		if (strcmp(m->strategy_at(i)->name, name) == 0)
			return m->strategy_at(i);
	return NULL;
}

unsigned strategy_rank(const struct strategy_ops *ops)
{
	unsigned i = 0;
	while (ops->model->strategy_at(i) && ops->model->strategy_at(i) != ops)
		i++;
	return i;
}

bool model_reports_counter(const struct iw_model *m, unsigned i)
{
	const struct iw_counter_group *g = stats_counter_group(i);
	if (!g || g == m->counters)
		return true;
	for (unsigned k = 0; m->strategy_at(k); k++)
		if (m->strategy_at(k)->counters == g)
			return true;
	return false;
}

void model_param_scope(const struct iw_model *m, struct iw_param_scope *sc)
{
	sc->n = 0;
	sc->unused = m->unused_engine_params;
	if (m->params)
		sc->g[sc->n++] = m->params;
	for (unsigned k = 0; m->strategy_at(k) && sc->n < IW_MAX_SCOPE_GROUPS; k++)
		if (m->strategy_at(k)->params)
			sc->g[sc->n++] = m->strategy_at(k)->params;
}

void engine_result_free(struct engine_result *res)
{
	for (unsigned i = 0; i < res->nsims; i++)
		sim_free(res->sims[i]);
	res->nsims = 0;
}

static struct trace_reader *open_input(const struct engine_opts *o, char *err, size_t errlen)
{
	if (o->trace_mem)
		return trace_open_memory(o->trace_mem, o->trace_label, err, errlen);
	if (o->trace_path)
		return trace_open(o->trace_path, err, errlen);
	/* An embedded trace: read it through a memory stream so both paths share one reader. */
	FILE *f = fmemopen((void *)o->trace_data, o->trace_size, "rb");
	if (!f) {
		snprintf(err, errlen, "cannot open the embedded trace");
		return NULL;
	}
	return trace_open_stream(f, o->trace_label, err, errlen); /* owns f, even on failure */
}

struct trace_memory *engine_load_trace(const struct engine_opts *o, uint64_t max_records, bool *too_big, char *err,
				       size_t errlen)
{
	*too_big = false;
	struct engine_opts plain = *o;
	plain.trace_mem = NULL;
	struct trace_reader *tr = open_input(&plain, err, errlen);
	if (!tr)
		return NULL;
	struct trace_memory *m = trace_memory_load(tr, max_records, too_big, err, errlen);
	trace_close(tr);
	return m;
}

/* A progress report on stderr (host time: never part of a result). On a terminal one line rewritten in
 * place; otherwise (--progress) a first line, then at most one every 2 seconds. The share done comes from the record
 * count when the trace states it, else from the bytes of the file read (compressed ones for zstd). */
static void progress(const struct engine_opts *o, const struct trace_reader *tr, const struct trace_header *hdr,
		     uint64_t n, bool tty, bool end, const struct timespec *t0, struct timespec *last)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	double since = (double)(now.tv_sec - last->tv_sec) + (double)(now.tv_nsec - last->tv_nsec) * 1e-9;
	if (!tty && !end && since < 2.0 && n > 0x10000)
		return; /* the first report comes at once, then at most one every 2 s */
	*last = now;
	double secs = (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) * 1e-9;
	char share[48] = "";
	uint64_t done, total;
	if (end)
		snprintf(share, sizeof(share), ", all read");
	else if (hdr->record_count != TRACE_COUNT_UNKNOWN && hdr->record_count)
		snprintf(share, sizeof(share), " of %" PRIu64 " (%.0f%%)", hdr->record_count,
			 100.0 * (double)n / (double)hdr->record_count);
	else if (trace_reader_position(tr, &done, &total))
		snprintf(share, sizeof(share), " (%.0f%% of the file)", 100.0 * (double)done / (double)total);
	fprintf(stderr, "%s%s: %" PRIu64 " records%s, %.0f records/s%s", tty ? "\r" : "", o->trace_label, n, share,
		secs > 0 ? (double)n / secs : 0.0, tty ? "" : "\n");
}

/* Simulation i refused the trace: recorded in res->refused and left out (the later ones move up). */
static void drop_refused(struct engine_result *res, unsigned i)
{
	struct engine_refusal *f = &res->refused[res->nrefused++];
	f->name = sim_strategy(res->sims[i])->name;
	snprintf(f->why, sizeof(f->why), "%s", sim_error(res->sims[i]));
	sim_free(res->sims[i]);
	for (unsigned k = i + 1; k < res->nsims; k++)
		res->sims[k - 1] = res->sims[k];
	res->nsims--;
}

/* Replays the trace into every simulation, one record of look-ahead so each knows when the next record
 * is due; statistics restart after the warm-up. *np: the records read. 1..: the reader's end (0) or error
 * (-1, see trace_error()); -2: a simulation failed (err said). */
static int replay(const struct engine_opts *o, struct trace_reader *tr, struct engine_result *res, uint64_t *np,
		  char *err, size_t errlen)
{
	struct trace_rec r, next;
	int rc = trace_next(tr, &r), rc_next;
	uint64_t n = 0;
	bool tty = o->progress && isatty(STDERR_FILENO);
	struct timespec t0, last;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	last = t0;
	for (; rc == 1; r = next, rc = rc_next) {
		rc_next = trace_next(tr, &next);
		n++;
		if (n == 1)
			res->first_time = r.time_cycles;
		res->last_time = r.time_cycles;
		for (unsigned i = 0; i < res->nsims; i++) {
			sim_set_next_time(res->sims[i], rc_next == 1 ? next.time_cycles : UINT64_MAX);
			if (sim_record(res->sims[i], &r, n) < 0) {
				if (o->skip_refused && sim_refused(res->sims[i])) {
					drop_refused(res, i--);
					continue;
				}
				snprintf(err, errlen, "%s: %s", o->trace_label, sim_error(res->sims[i]));
				*np = n;
				return -2;
			}
		}
		if (n == o->warmup) {
			/* Work already started was counted when it started, so it is forgotten here; work still
			 * queued is counted when it starts. Simulated time is not advanced. */
			for (unsigned i = 0; i < res->nsims; i++)
				sim_reset_stats(res->sims[i]);
		}
		if ((n & 0xffff) == 0 && (tty || o->progress_lines))
			progress(o, tr, &res->hdr, n, tty, false, &t0, &last);
	}
	if (rc == 0 && !tty && o->progress_lines && n > 0xffff)
		progress(o, tr, &res->hdr, n, tty, true, &t0, &last); /* the lines end with the trace's */
	*np = n;
	return rc;
}

int engine_run(const struct engine_opts *o, const struct iw_config *cfg, struct engine_result *res, char *err,
	       size_t errlen)
{
	memset(res, 0, sizeof(*res));
	struct trace_reader *tr = open_input(o, err, errlen);
	if (!tr)
		return -1;
	for (unsigned i = 0; i < o->nstrategies; i++) {
		if (!o->strategies[i]->model || o->strategies[i]->model != o->strategies[0]->model) {
			snprintf(err, errlen, "strategy %s: the strategies of one run must belong to one model",
				 o->strategies[i]->name);
			goto fail;
		}
		res->sims[i] = sim_new(cfg, o->strategies[i], o->check, err, errlen);
		if (res->sims[i] && o->mrc_max_entries) {
			sim_enable_mrc(res->sims[i], o->mrc_max_entries);
			if (o->mrc_sample > 0 && o->mrc_sample < 1)
				sim_mrc_sample(res->sims[i], o->mrc_sample);
			if (o->mrc_all)
				sim_mrc_all(res->sims[i]);
		}
		if (!res->sims[i])
			goto fail;
		res->nsims++;
	}
	res->hdr = *trace_reader_header(tr);
	if (o->nstrategies && strcmp(res->hdr.format, o->strategies[0]->model->fmt->name) != 0) {
		if (o->format_given)
			snprintf(err, errlen, "%s: the trace's table format is %s, but --format names %s (pass --format %s, or "
					      "leave it out for a trace file, whose header names its format)", o->trace_label,
				 res->hdr.format, o->strategies[0]->model->fmt->name, res->hdr.format);
		else
			snprintf(err, errlen, "%s: the trace's table format is %s, but the strategies are %s's (a trace on stdin "
					      "or a pipe: pass --format %s)", o->trace_label, res->hdr.format,
				 o->strategies[0]->model->fmt->name, res->hdr.format);
		goto fail;
	}
	for (unsigned i = 0; i < res->nsims; i++)
		sim_set_trace_version(res->sims[i], res->hdr.version);
	uint64_t n = 0;
	int rc = replay(o, tr, res, &n, err, errlen);
	if (rc == -2)
		goto fail;
	bool tty = o->progress && isatty(STDERR_FILENO);
	if (tty && n > 0xffff)
		fputs("\r\033[K", stderr);
	if (rc < 0) {
		snprintf(err, errlen, "%s", trace_error(tr));
		goto fail;
	}
	for (unsigned i = 0; i < res->nsims; i++) {
		if ((n > 0 && !o->no_drain && sim_drain(res->sims[i]) < 0) || sim_finish(res->sims[i]) < 0) {
			snprintf(err, errlen, "%s: %s", o->trace_label, sim_error(res->sims[i]));
			goto fail;
		}
	}
	if (n == 0) {
		snprintf(err, errlen, "%s: the trace has no records (nothing to simulate)", o->trace_label);
		goto fail;
	}
	if (res->nsims == 0) {
		snprintf(err, errlen, "%s: every strategy refuses the trace (%s: %s)", o->trace_label, res->refused[0].name,
			 res->refused[0].why);
		goto fail;
	}
	if (o->warmup && n <= o->warmup) {
		snprintf(err, errlen, "%s: --warmup %" PRIu64 " is not less than the trace's %" PRIu64 " records",
			 o->trace_label, o->warmup, n);
		goto fail;
	}
	res->records = n;
	res->trace_hash = trace_reader_hash(tr);
	trace_close(tr);
	return 0;
fail:
	for (unsigned i = 0; i < res->nsims; i++)
		res->check_failed |= sim_check_failed(res->sims[i]);
	trace_close(tr);
	engine_result_free(res);
	return -1;
}
