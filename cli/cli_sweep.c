/* cli_sweep: `iowalk sweep SPEC -o results.csv [-j N]`, `--emit-jobs DIR`, `--merge DIR`: a grid of
 * configurations, each point one deterministic run, gathered in one CSV (docs/sweeps.md).
 * Notes:
 *  - Points run in forked worker processes (-j); each writes its rows to a temporary file and the parent
 *    appends them to the CSV in one write(2) with O_APPEND, so the CSV only ever holds whole points; a
 *    re-run skips the points already present (the `point` column), so a killed sweep loses nothing
 *    written. Rows appear in completion order; each point's rows are deterministic.
 *  - Rows come from the JSON report through report_csv_rows(), so a local sweep and a --merge of
 *    per-point JSON files produce identical rows.
 */
#define _DEFAULT_SOURCE /* realpath() */

#include "alloc.h"
#include "cli.h"
#include "outfile.h"
#include "config.h"
#include "engine.h"
#include "models.h"
#include "mrc.h"
#include "gen.h"
#include "report.h"
#include "fnv.h"
#include "u64map.h"
#include "version.h"

#include <sys/file.h>
#include <dirent.h>
#include <signal.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <ini.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_AXES 8
#define MAX_VALUES 256
#define MAX_FIXED 64

static const char sweep_usage[] =
	"usage: iowalk sweep SPEC -o results.csv [-j N] [--quiet]\n"
	"       iowalk sweep SPEC --emit-jobs DIR     print one shell command per point\n"
	"       iowalk sweep SPEC --merge DIR -o results.csv\n"
	"\n"
	"SPEC is an INI file (docs/sweeps.md):\n"
	"  [sweep]  trace = FILE | generator = nic-ring|nvme|stream|random|churn|vm\n"
	"           strategies = all | kvm-gfn,root-pfn,...   warmup = N   check = 0|1   drain = 0|1\n"
	"           preset = NAME   one_pass = 0|1 (a grid of one cache size: its misses from one pass)\n"
	"  [gen]    fixed generator options (as `iowalk trace gen`, without dashes)\n"
	"  [set]    fixed simulator parameters (as `iowalk run --set`)\n"
	"  [grid]   swept values: gen.OPTION or set.PARAMETER = v1, v2, ... | A..B | A..B+STEP | A..B*FACTOR\n"
	"\n"
	"Points run in parallel (-j, default: the number of CPUs), each a deterministic run. A re-run with\n"
	"the same SPEC and CSV skips the points already in the CSV.\n";

struct kv {
	char *key, *value;
};

struct axis {
	char *key;              /* "gen.memslots" or "set.device.iotlb_entries" */
	char *values[MAX_VALUES];
	unsigned n;
};

struct spec {
	const char *path;
	char *trace, *generator, *strategies, *preset;
	const struct iw_model *model; /* its trace's (a generator's and the default's: s390) */
	uint64_t warmup;
	int check;
	bool no_drain;
	bool one_pass;          /* one_pass = 1: the grid's cache sizes answered by one pass (iowalk mrc) */
	struct kv gen[MAX_FIXED], set[MAX_FIXED];
	unsigned ngen, nset;
	struct axis axes[MAX_AXES];
	unsigned naxes;
	uint64_t npoints;
	uint64_t trace_digest; /* FNV-1a 64 of the trace file's bytes (trace = FILE), part of sweep_hash */
	unsigned sweep_seen;   /* the [sweep] keys given (bits of sweep_keys[]) */
	char err[512];
	int failed;
};

static void row_lead(const struct spec *sp, const char *key, const char *lead, char *buf, size_t len);

/* A [gen] or [set] entry: each key once (given twice, one of the values is a mistake). */
static int add_kv(struct spec *sp, const char *section, struct kv *arr, unsigned *n, const char *k, const char *v)
{
	for (unsigned i = 0; i < *n; i++)
		if (strcmp(arr[i].key, k) == 0) {
			snprintf(sp->err, sizeof(sp->err), "[%s] %s is given twice (which value is meant?)", section, k);
			return -1;
		}
	if (*n == MAX_FIXED) {
		snprintf(sp->err, sizeof(sp->err), "more than %d fixed options", MAX_FIXED);
		return -1;
	}
	arr[*n].key = iw_strdup(k);
	arr[*n].value = iw_strdup(v);
	(*n)++;
	return 0;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	char *e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

/* Expands "a, b, c", "A..B", "A..B+S" or "A..B*F" into the axis' values. */
static int parse_axis(struct spec *sp, struct axis *ax, const char *text)
{
	char buf[1024];
	snprintf(buf, sizeof(buf), "%s", text);
	char *dots = strstr(buf, "..");
	if (dots && !strchr(buf, ',')) {
		*dots = '\0';
		char *hi_s = dots + 2, *step_s = NULL;
		int geometric = 0;
		char *op = strpbrk(hi_s, "+*");
		if (op) {
			geometric = *op == '*';
			*op = '\0';
			step_s = op + 1;
		}
		char *e1, *e2, *e3 = NULL;
		errno = 0;
		unsigned long long lo = strtoull(trim(buf), &e1, 0), hi = strtoull(trim(hi_s), &e2, 0);
		unsigned long long step = step_s ? strtoull(trim(step_s), &e3, 0) : 1;
		if (errno || *e1 || *e2 || (e3 && *e3) || lo > hi || step == 0 || (geometric && (step < 2 || lo == 0))) {
			snprintf(sp->err, sizeof(sp->err), "grid %s: bad range '%s' (A..B, A..B+STEP or A..B*FACTOR)", ax->key, text);
			return -1;
		}
		for (unsigned long long v = lo; v <= hi; v = geometric ? v * step : v + step) {
			if (ax->n == MAX_VALUES) {
				snprintf(sp->err, sizeof(sp->err), "grid %s: more than %d values", ax->key, MAX_VALUES);
				return -1;
			}
			char num[32];
			snprintf(num, sizeof(num), "%llu", v);
			ax->values[ax->n++] = iw_strdup(num);
			/* The next value would pass hi (checked without overflowing). */
			if (geometric ? v > hi / step : step > hi || v > hi - step)
				break;
		}
		return 0;
	}
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		t = trim(t);
		if (!*t)
			continue;
		if (ax->n == MAX_VALUES) {
			snprintf(sp->err, sizeof(sp->err), "grid %s: more than %d values", ax->key, MAX_VALUES);
			return -1;
		}
		ax->values[ax->n++] = iw_strdup(t);
	}
	if (ax->n == 0) {
		snprintf(sp->err, sizeof(sp->err), "grid %s: no values", ax->key);
		return -1;
	}
	return 0;
}

static void set_str(char **dst, const char *value)
{
	iw_free(*dst);
	*dst = iw_strdup(value);
}

/* [sweep]'s keys, each to be given once. */
static const char *const sweep_keys[] = {"trace", "generator", "strategies", "preset", "warmup", "check", "drain", "one_pass"};

static int on_entry(void *user, const char *section, const char *name, const char *value)
{
	struct spec *sp = user;
	if (sp->err[0])
		return 0; /* keep the first error: inih reports the line of the first refused entry */
	if (strcmp(section, "sweep") == 0) {
		for (unsigned k = 0; k < sizeof(sweep_keys) / sizeof(sweep_keys[0]); k++)
			if (strcmp(name, sweep_keys[k]) == 0) {
				if (sp->sweep_seen & (1u << k)) {
					snprintf(sp->err, sizeof(sp->err), "[sweep] %s is given twice (which value is meant?)", name);
					return 0;
				}
				sp->sweep_seen |= 1u << k;
			}
		if (strcmp(name, "trace") == 0)
			set_str(&sp->trace, value);
		else if (strcmp(name, "generator") == 0) {
			enum gen_kind k;
			if (gen_kind_parse(value, &k) < 0) {
				snprintf(sp->err, sizeof(sp->err), "generator = '%s': expected %s", value, cli_gen_kinds());
				return 0;
			}
			set_str(&sp->generator, value);
		}
		else if (strcmp(name, "strategies") == 0)
			set_str(&sp->strategies, value);
		else if (strcmp(name, "preset") == 0)
			set_str(&sp->preset, value);
		else if (strcmp(name, "warmup") == 0) {
			char *end;
			errno = 0;
			unsigned long long v = strtoull(value, &end, 10);
			if (errno || *end || !isdigit((unsigned char)value[0])) {
				snprintf(sp->err, sizeof(sp->err), "warmup = '%s': expected a record count", value);
				return 0;
			}
			sp->warmup = v;
		} else if (strcmp(name, "check") == 0 || strcmp(name, "drain") == 0 || strcmp(name, "one_pass") == 0) {
			static const char *const yes[] = {"1", "yes", "true", "on"}, *const no[] = {"0", "no", "false", "off"};
			int b = -1;
			for (int i = 0; i < 4; i++) {
				if (strcasecmp(value, yes[i]) == 0)
					b = 1;
				if (strcasecmp(value, no[i]) == 0)
					b = 0;
			}
			if (b < 0) {
				snprintf(sp->err, sizeof(sp->err), "%s = '%s': expected 1/yes/true/on or 0/no/false/off", name, value);
				return 0;
			}
			if (strcmp(name, "check") == 0)
				sp->check = b == 1;
			else if (strcmp(name, "one_pass") == 0)
				sp->one_pass = b == 1;
			else
				sp->no_drain = b == 0;
		} else {
			snprintf(sp->err, sizeof(sp->err), "unknown key '%s' in [sweep]", name);
			return 0;
		}
		return 1;
	}
	if (strcmp(section, "gen") == 0)
		return add_kv(sp, "gen", sp->gen, &sp->ngen, name, value) == 0;
	if (strcmp(section, "set") == 0)
		return add_kv(sp, "set", sp->set, &sp->nset, name, value) == 0;
	if (strcmp(section, "grid") == 0) {
		if (strncmp(name, "gen.", 4) != 0 && strncmp(name, "set.", 4) != 0) {
			snprintf(sp->err, sizeof(sp->err), "grid key '%s' must start with gen. or set.", name);
			return 0;
		}
		if (sp->naxes == MAX_AXES) {
			snprintf(sp->err, sizeof(sp->err), "more than %d grid axes", MAX_AXES);
			return 0;
		}
		for (unsigned a = 0; a < sp->naxes; a++) {
			if (strcmp(sp->axes[a].key, name) == 0) {
				snprintf(sp->err, sizeof(sp->err), "grid %s is given twice", name);
				return 0;
			}
		}
		struct axis *ax = &sp->axes[sp->naxes++];
		ax->key = iw_strdup(name);
		return parse_axis(sp, ax, value) == 0;
	}
	snprintf(sp->err, sizeof(sp->err), "unknown section [%s]", section);
	return 0;
}

static void spec_free(struct spec *sp)
{
	iw_free(sp->trace);
	iw_free(sp->generator);
	iw_free(sp->strategies);
	iw_free(sp->preset);
	for (unsigned i = 0; i < sp->ngen; i++) {
		iw_free(sp->gen[i].key);
		iw_free(sp->gen[i].value);
	}
	for (unsigned i = 0; i < sp->nset; i++) {
		iw_free(sp->set[i].key);
		iw_free(sp->set[i].value);
	}
	for (unsigned a = 0; a < sp->naxes; a++) {
		iw_free(sp->axes[a].key);
		for (unsigned v = 0; v < sp->axes[a].n; v++)
			iw_free(sp->axes[a].values[v]);
	}
}

/* The value index of each axis for point p (the first axis varies slowest). */
static void point_values(const struct spec *sp, uint64_t p, unsigned *idx)
{
	for (int a = (int)sp->naxes - 1; a >= 0; a--) {
		idx[a] = (unsigned)(p % sp->axes[a].n);
		p /= sp->axes[a].n;
	}
}

static void point_key(const struct spec *sp, uint64_t p, char *buf, size_t len, char *lead, size_t leadlen)
{
	unsigned idx[MAX_AXES];
	point_values(sp, p, idx);
	size_t n = 0, m = 0;
	buf[0] = lead[0] = '\0';
	for (unsigned a = 0; a < sp->naxes; a++) {
		n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s=%s", a ? ";" : "", sp->axes[a].key,
				      sp->axes[a].values[idx[a]]);
		m += (size_t)snprintf(lead + m, m < leadlen ? leadlen - m : 0, ",%s", sp->axes[a].values[idx[a]]);
	}
}

/* Builds the configuration, and the generator options when the trace is generated, of point p. */
static const char *point_config(const struct spec *sp, uint64_t p, struct iw_config *cfg, struct gen_opts *go,
				char *err, size_t errlen)
{
	unsigned idx[MAX_AXES];
	point_values(sp, p, idx);
	const char *keys[MAX_FIXED], *values[MAX_FIXED], *xkeys[MAX_AXES], *xvalues[MAX_AXES];
	struct cli_config_src src = {.preset = sp->preset, .model = sp->model, .set_keys = keys, .set_values = values, .nset = sp->nset,
				     .extra_keys = xkeys, .extra_values = xvalues};
	for (unsigned i = 0; i < sp->nset; i++) {
		keys[i] = sp->set[i].key;
		values[i] = sp->set[i].value;
	}
	for (unsigned a = 0; a < sp->naxes; a++) {
		if (strncmp(sp->axes[a].key, "set.", 4) == 0) {
			xkeys[src.nextra] = sp->axes[a].key + 4;
			xvalues[src.nextra++] = sp->axes[a].values[idx[a]];
		}
	}
	if (cli_build_config(cfg, &src, err, errlen) != CLI_EXIT_OK)
		return err;
	if (sp->generator) {
		enum gen_kind k;
		if (gen_kind_parse(sp->generator, &k) < 0) {
			snprintf(err, errlen, "unknown generator '%s'", sp->generator);
			return err;
		}
		gen_defaults(go, k);
		for (unsigned i = 0; i < sp->ngen; i++)
			if (gen_set(go, sp->gen[i].key, sp->gen[i].value, err, errlen))
				return err;
	}
	for (unsigned a = 0; a < sp->naxes; a++) {
		const char *key = sp->axes[a].key, *val = sp->axes[a].values[idx[a]];
		if (strncmp(key, "set.", 4) == 0 || !sp->generator)
			continue; /* applied above; gen. axes without a generator: refused by spec_check() */
		if (gen_set(go, key + 4, val, err, errlen))
			return err;
	}
	if (sp->generator && go->format) {
		/* A format's guest tables have the model's own default depth unless the spec sets it. */
		const struct iw_model *m = model_find(go->format);
		if (!m) {
			snprintf(err, errlen, "unknown table format '%s' (known: %s)", go->format, cli_format_names());
			return err;
		}
		bool levels_given = false;
		for (unsigned i = 0; i < sp->ngen; i++)
			levels_given |= strcmp(sp->gen[i].key, "levels") == 0;
		for (unsigned a = 0; a < sp->naxes; a++)
			levels_given |= strcmp(sp->axes[a].key, "gen.levels") == 0;
		if (!levels_given)
			go->levels = m->default_levels;
	}
	if (sp->generator) {
		const char *why = gen_check(go);
		if (why) {
			snprintf(err, errlen, "%s", why);
			return err;
		}
	}
	return NULL;
}

extern const unsigned char iowalk_default_trace[];
extern const size_t iowalk_default_trace_size;

/* `trace = default`: the embedded default trace (what `iowalk run` replays without a TRACE). */
static bool is_default(const char *trace) { return trace && strcmp(trace, "default") == 0; }

/* The first point with the same generator settings as point p (its gen. axes' values): the points of a
 * generator sweep that differ only in other axes share one trace. */
static uint64_t gen_rep(const struct spec *sp, uint64_t p)
{
	unsigned idx[MAX_AXES];
	point_values(sp, p, idx);
	uint64_t q = 0;
	for (unsigned a = 0; a < sp->naxes; a++) /* the same gen. values, every other axis at its first */
		q = q * sp->axes[a].n + (strncmp(sp->axes[a].key, "gen.", 4) == 0 ? idx[a] : 0);
	return q;
}

/* Where the shared trace of the points whose generator settings are point rep's lives. */
static void gen_trace_path(const char *dir, uint64_t rep, char *buf, size_t len)
{
	snprintf(buf, len, "%s/gen-%" PRIu64 ".trace", dir, rep);
}

/* The trace a point replays: the generated one at gen_path (a generator sweep), the embedded default, or
 * the spec's file. */
static void point_trace(const struct spec *sp, const char *gen_path, struct engine_opts *o)
{
	if (sp->generator) {
		o->trace_path = gen_path;
		o->trace_label = sp->generator;
	} else if (is_default(sp->trace)) {
		o->trace_data = iowalk_default_trace;
		o->trace_size = iowalk_default_trace_size;
		o->trace_label = "default";
	} else {
		o->trace_path = sp->trace;
		o->trace_label = sp->trace;
	}
}

/* The run settings every point of the sweep has (they enter run.config_hash, which --merge checks). */
static void run_opts(const struct spec *sp, struct engine_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->check = sp->check;
	o->no_drain = sp->no_drain;
	o->warmup = sp->warmup;
}

/* Runs point p (in a worker) and writes its CSV rows to path. 0 or -1 (message on stderr). */
static int run_point(const struct spec *sp, uint64_t p, const char *rows_path, const char *tmpdir)
{
	struct iw_config cfg;
	struct gen_opts go;
	char err[512], key[2048], lead[2048], trace_path[4400];
	point_key(sp, p, key, sizeof(key), lead, sizeof(lead));
	if (point_config(sp, p, &cfg, &go, err, sizeof(err))) {
		cli_error("sweep: point %s: %s", key, err);
		return -1;
	}
	struct engine_opts o;
	run_opts(sp, &o);
	o.tag = key;
	if (cli_parse_strategies(sp->strategies, sp->model, &o, err, sizeof(err)) < 0) {
		cli_error("sweep: %s", err);
		return -1;
	}
	/* A generator's trace of its [gen] settings, made once by the sweep for every point that has them. */
	if (sp->generator)
		gen_trace_path(tmpdir, gen_rep(sp, p), trace_path, sizeof(trace_path));
	point_trace(sp, trace_path, &o);
	struct engine_result res;
	int rc = engine_run(&o, &cfg, &res, err, sizeof(err));
	if (rc < 0) {
		cli_error("sweep: point %s: %s", key, err);
		return -1;
	}
	struct report_ctx r = {&res, &cfg, &o};
	json_t *j = report_json_object(&r);
	FILE *f = fopen(rows_path, "w");
	char lead2[4200];
	row_lead(sp, key, lead, lead2, sizeof(lead2));
	rc = f && report_csv_rows(j, sp->model, f, lead2) == 0 ? 0 : -1;
	if (f && fclose(f) != 0)
		rc = -1;
	json_decref(j);
	engine_result_free(&res);
	return rc;
}

/* The sweep's fixed settings, hashed (FNV-1a 64): the iowalk version and build (report_build_id()), the trace (its path and content)
 * or generator, the strategies, preset, warm-up and check, and every [gen] and [set] entry as written.
 * Every row carries it (`sweep_hash`), so a re-run appends only to a CSV made with the same settings. */
static uint64_t fnv(uint64_t h, const char *s)
{
	return fnv1a_str(h, s) ^ 0xff; /* a separator, so ("ab","c") and ("a","bc") differ */
}

static uint64_t spec_hash(const struct spec *sp)
{
	uint64_t h = FNV1A_OFFSET;
	char num[64];
	h = fnv(h, IOWALK_VERSION);
	h = fnv(fnv(h, "build"), report_build_id()); /* rows of another build never mix with these */
	h = fnv(fnv(h, "trace"), sp->trace ? sp->trace : "");
	snprintf(num, sizeof(num), "%016" PRIx64, sp->trace_digest);
	h = fnv(h, num);
	h = fnv(fnv(h, "generator"), sp->generator ? sp->generator : "");
	h = fnv(fnv(h, "strategies"), sp->strategies ? sp->strategies : "");
	h = fnv(fnv(h, "preset"), sp->preset ? sp->preset : "");
	snprintf(num, sizeof(num), "warmup=%" PRIu64 " check=%d", sp->warmup, sp->check);
	if (sp->no_drain) /* only when set: the hashes of existing sweeps stay what they were */
		snprintf(num + strlen(num), sizeof(num) - strlen(num), " drain=0");
	if (sp->one_pass)
		snprintf(num + strlen(num), sizeof(num) - strlen(num), " one_pass=1");
	h = fnv(h, num);
	for (unsigned i = 0; i < sp->ngen; i++)
		h = fnv(fnv(fnv(h, "gen"), sp->gen[i].key), sp->gen[i].value);
	for (unsigned i = 0; i < sp->nset; i++)
		h = fnv(fnv(fnv(h, "set"), sp->set[i].key), sp->set[i].value);
	return h;
}

/* A path written in the spec at spec_path: as it is when absolute, else against the spec file's
 * directory; made absolute (realpath) when it exists. Allocated; NULL when out of memory. */
static char *resolve_spec_path(const char *spec_path, const char *path)
{
	char *joined;
	if (path[0] == '/') {
		joined = iw_strdup(path);
	} else {
		const char *slash = strrchr(spec_path, '/');
		size_t dl = slash ? (size_t)(slash - spec_path) + 1 : 0, n = dl + strlen(path) + 1;
		joined = iw_malloc(n);
		if (joined)
			snprintf(joined, n, "%.*s%s", (int)dl, spec_path, path);
	}
	if (!joined)
		return NULL;
	char *real = realpath(joined, NULL);
	if (!real)
		return joined; /* the caller reports why it cannot be read */
	char *r = iw_strdup(real);
	free(real);
	iw_free(joined);
	return r;
}

/* The leading fields of a point's rows: the quoted point key, the sweep hash, the grid values. */
static void row_lead(const struct spec *sp, const char *key, const char *lead, char *buf, size_t len)
{
	snprintf(buf, len, "\"%s\",%016" PRIx64 "%s", key, spec_hash(sp), lead);
}

static void header_lead(const struct spec *sp, char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len, "point,sweep_hash");
	for (unsigned a = 0; a < sp->naxes && n < len; a++)
		n += (size_t)snprintf(buf + n, len - n, ",%s", sp->axes[a].key);
}

/* The strategies a point's rows must name (bit i: strategy_at(i)), and whether each must be there (an
 * explicit list; with 'all', a strategy that refuses the trace has no row). */
static uint64_t spec_strategies(const struct spec *sp, bool *exact)
{
	struct engine_opts o;
	char err[256];
	memset(&o, 0, sizeof(o));
	uint64_t m = 0;
	if (cli_parse_strategies(sp->strategies, sp->model, &o, err, sizeof(err)) < 0)
		return 0;
	*exact = !o.skip_refused;
	for (unsigned k = 0; k < o.nstrategies; k++)
		if (strategy_rank(o.strategies[k]) < 64)
			m |= 1ull << strategy_rank(o.strategies[k]);
	return m;
}

/* Reads the rows of an existing CSV into done[] (a point is done when its rows are there): its first
 * line must be header (this spec's whole header line, newline included); every row this spec's sweep_hash; each point's rows whole (one per
 * strategy, none twice). An incomplete last line (a write cut short) is removed. 0 or -1 (said). */
static int read_done(const struct spec *sp, const char *csv, bool *done, const char *header)
{
	FILE *f = fopen(csv, "r");
	if (!f)
		return errno == ENOENT ? 0 : -1;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, f);
	int rc = 0;
	off_t good = n > 0 ? n : 0; /* the end of the last whole line */
	char want[32]; /* the sweep_hash field every row of this spec has, after the point key */
	snprintf(want, sizeof(want), ",%016" PRIx64, spec_hash(sp));
	size_t hl = strlen(header);
	if (n > 0 && !((size_t)n == hl && memcmp(line, header, hl) == 0)) {
		cli_error("sweep: %s has a different header (another grid or another iowalk?); use another -o", csv);
		rc = -1;
	}
	/* Every point's key, indexed once (by its hash; confirmed by the text). */
	struct u64map idx = {0}; /* destroyed on every path, initialized or not */
	uint64_t *seen = iw_calloc(sp->npoints ? sp->npoints : 1, sizeof(uint64_t)); /* strategies' bits */
	bool exact = false;
	uint64_t want_strats = spec_strategies(sp, &exact);
	char key[2048], lead[2048];
	if (rc == 0 && (!seen || u64map_init(&idx, sp->npoints) < 0)) {
		cli_error("sweep: out of memory");
		iw_free(seen);
		free(line);
		fclose(f);
		return -1;
	}
	for (uint64_t p = 0; rc == 0 && p < sp->npoints; p++) {
		point_key(sp, p, key, sizeof(key), lead, sizeof(lead));
		uint64_t h = fnv1a_str(FNV1A_OFFSET, key) >> 1, q;
		while (u64map_get(&idx, h, &q)) /* another key with this hash: the next free one */
			h = (h + 1) & (UINT64_MAX >> 1);
		if (u64map_put(&idx, h, p) < 0)
			rc = -1;
	}
	bool torn = false;
	while (rc == 0 && (n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] != '\n') {
			torn = true; /* the last line, cut short */
			break;
		}
		good += n;
		char *end = line[0] == '"' ? strchr(line + 1, '"') : NULL;
		if (!end) {
			cli_error("sweep: %s: a row that is not a sweep row: %.60s", csv, line);
			rc = -1;
			break;
		}
		*end = '\0';
		if (strncmp(end + 1, want, strlen(want)) != 0) {
			cli_error("sweep: %s holds point %s made with other fixed settings (sweep_hash %.16s, this spec's "
				  "%s: the iowalk version or build, or the [sweep], [gen] or [set] settings differ); use another -o",
				  csv, line + 1, end[1] == ',' ? end + 2 : "?", want + 1);
			rc = -1;
			break;
		}
		/* The strategy: the field after the sweep hash and the axes (fld: the comma before the hash). */
		const char *fld = end + 1;
		for (unsigned a = 0; a < 1 + sp->naxes && fld; a++)
			fld = strchr(fld + 1, ',');
		size_t sl = fld ? strcspn(fld + 1, ",\n") : 0;
		char sname[64];
		snprintf(sname, sizeof(sname), "%.*s", (int)sl, fld ? fld + 1 : "");
		const struct strategy_ops *so = sl < sizeof(sname) ? strategy_find(sp->model, sname) : NULL;
		int si = so && strategy_rank(so) < 64 ? (int)strategy_rank(so) : -1;
		uint64_t h = fnv1a_str(FNV1A_OFFSET, line + 1) >> 1, p = UINT64_MAX, q;
		for (; u64map_get(&idx, h, &q); h = (h + 1) & (UINT64_MAX >> 1)) {
			point_key(sp, q, key, sizeof(key), lead, sizeof(lead));
			if (strcmp(key, line + 1) == 0) {
				p = q;
				break;
			}
		}
		if (p == UINT64_MAX)
			continue; /* a point of a grid this spec no longer has: kept, not ours */
		if (si < 0 || (seen[p] >> si & 1) || !(want_strats >> si & 1)) {
			cli_error("sweep: %s: point %s has %s row for strategy '%.*s' (a CSV edited by hand, or of another sweep); "
				  "use another -o", csv, line + 1, si >= 0 && (seen[p] >> si & 1) ? "a second" : "an unexpected",
				  (int)sl, fld ? fld + 1 : "");
			rc = -1;
			break;
		}
		seen[p] |= 1ull << si;
		done[p] = true;
	}
	if (rc == 0 && ferror(f)) { /* not the end of the rows: points done would be run again */
		cli_error("sweep: %s: read error: %s", csv, strerror(errno));
		rc = -1;
	}
	for (uint64_t p = 0; rc == 0 && exact && p < sp->npoints; p++)
		if (done[p] && seen[p] != want_strats) {
			point_key(sp, p, key, sizeof(key), lead, sizeof(lead));
			cli_error("sweep: %s: point %s lacks rows of some of its strategies (%s); use another -o, or remove its rows",
				  csv, key, sp->strategies);
			rc = -1;
		}
	if (rc == 0 && torn) {
		/* A write cut short (a full disk, a crash): the fragment goes, so the next rows start on a line. */
		if (truncate(csv, good) != 0) {
			cli_error("sweep: %s: cannot remove its incomplete last line: %s", csv, strerror(errno));
			rc = -1;
		} else {
			fprintf(stderr, "sweep: %s: removed an incomplete last line (a write cut short); its point runs again\n", csv);
		}
	}
	u64map_destroy(&idx);
	iw_free(seen);
	free(line);
	fclose(f);
	return rc;
}

static int append_file(int out_fd, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	char chunk[65536];
	size_t k;
	int bad = !m;
	while (!bad && (k = fread(chunk, 1, sizeof(chunk), f)) > 0)
		bad = fwrite(chunk, 1, k, m) != k;
	bad |= ferror(f); /* a read error is not the end of the point's rows */
	fclose(f);
	if (m)
		bad |= fclose(m) != 0;
	/* One write: the point's rows land whole or not at all (a short write, a full disk: cut back). */
	struct stat st;
	off_t before = fstat(out_fd, &st) == 0 ? st.st_size : -1;
	ssize_t w = bad || before < 0 ? -1 : write(out_fd, buf, len);
	free(buf);
	if (w == (ssize_t)len)
		return 0;
	if (w > 0 && ftruncate(out_fd, before) != 0)
		cli_error("sweep: cannot cut back a partial write of a point's rows: %s", strerror(errno));
	return -1;
}

/* One word for POSIX sh: single-quoted, each ' written as '\'' (so nothing in it is interpreted). */
static void sh_word(const char *w)
{
	putchar('\'');
	for (; *w; w++) {
		if (*w == '\'')
			fputs("'\\''", stdout);
		else
			putchar(*w);
	}
	putchar('\'');
}

/* A word, then a space. */
static void word(const char *w)
{
	sh_word(w);
	putchar(' ');
}

/* An option with a formatted value, as two words. */
static void opt_kv(const char *opt, const char *k, const char *v)
{
	char buf[4200];
	snprintf(buf, sizeof(buf), "%s=%s", k, v);
	word(opt);
	word(buf);
}

static int emit_jobs(const struct spec *sp, const char *dir, const char *self)
{
	for (uint64_t p = 0; p < sp->npoints; p++) {
		char key[2048], lead[2048], path[4200], opt[200];
		point_key(sp, p, key, sizeof(key), lead, sizeof(lead));
		unsigned idx[MAX_AXES];
		point_values(sp, p, idx);
		if (sp->generator) {
			/* The trace of its generator settings, made by the first job that needs it (to a name of
			 * its own, then renamed: jobs running at once make it twice at worst) and shared. */
			char gpath[4300];
			gen_trace_path(dir, gen_rep(sp, p), gpath, sizeof(gpath));
			fputs("{ [ -e ", stdout);
			word(gpath);
			fputs("] || { ", stdout);
			word(self);
			word("trace");
			word("gen");
			word(sp->generator);
			for (unsigned i = 0; i < sp->ngen; i++) {
				snprintf(opt, sizeof(opt), "--%s", sp->gen[i].key);
				word(opt);
				word(sp->gen[i].value);
			}
			for (unsigned a = 0; a < sp->naxes; a++) {
				if (strncmp(sp->axes[a].key, "gen.", 4) != 0)
					continue;
				snprintf(opt, sizeof(opt), "--%s", sp->axes[a].key + 4);
				word(opt);
				word(sp->axes[a].values[idx[a]]);
			}
			word("--binary");
			word("-o");
			sh_word(gpath);
			fputs(".\"$$\" && mv ", stdout);
			sh_word(gpath);
			fputs(".\"$$\" ", stdout);
			word(gpath);
			fputs("; }; } && ", stdout);
			word(self);
			word("run");
			word(gpath);
		} else {
			word(self);
			word("run");
			if (!is_default(sp->trace)) /* the default trace: run's own, with no TRACE */
				word(sp->trace);
		}
		if (sp->preset) {
			word("--preset");
			word(sp->preset);
		}
		for (unsigned i = 0; i < sp->nset; i++)
			opt_kv("--set", sp->set[i].key, sp->set[i].value);
		for (unsigned a = 0; a < sp->naxes; a++)
			if (strncmp(sp->axes[a].key, "set.", 4) == 0)
				opt_kv("--set", sp->axes[a].key + 4, sp->axes[a].values[idx[a]]);
		word("--strategy");
		word(sp->strategies ? sp->strategies : "all");
		if (sp->check)
			word("--check");
		if (sp->no_drain)
			word("--no-drain");
		snprintf(opt, sizeof(opt), "%" PRIu64, sp->warmup);
		word("--warmup");
		word(opt);
		word("--tag");
		word(key);
		word("-q");
		word("--json");
		snprintf(path, sizeof(path), "%s/point-%" PRIu64 ".json", dir, p);
		sh_word(path);
		putchar('\n');
	}
	return fflush(stdout) == 0 && !ferror(stdout) ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

/* The run.config_hash point p's report must have, as 16 hex digits. 0 or -1 (a bad point: said). */
static int point_hash(const struct spec *sp, uint64_t p, char *buf, size_t len)
{
	struct iw_config cfg;
	struct gen_opts go;
	char err[512];
	if (point_config(sp, p, &cfg, &go, err, sizeof(err)))
		return -1;
	struct engine_opts o;
	run_opts(sp, &o);
	if (cli_parse_strategies(sp->strategies, sp->model, &o, err, sizeof(err)) < 0)
		return -1; /* checked when the spec was read */
	struct report_ctx r = {NULL, &cfg, &o};
	snprintf(buf, len, "%016" PRIx64, report_config_hash(&r));
	return 0;
}

/* Appends the rows of the points not already in the CSV (done[]), so merging twice adds nothing. */
static int merge(const struct spec *sp, const char *dir, int out_fd, const bool *done)
{
	int missing = 0;
	uint64_t merged = 0, already = 0;
	for (uint64_t p = 0; p < sp->npoints; p++) {
		if (done[p]) {
			already++;
			continue;
		}
		char path[4096], key[2048], lead[2048], lead2[4200];
		snprintf(path, sizeof(path), "%s/point-%" PRIu64 ".json", dir, p);
		point_key(sp, p, key, sizeof(key), lead, sizeof(lead));
		char jerr[1024];
		json_t *j = cli_json_load(path, jerr, sizeof(jerr));
		if (!j) {
			if (access(path, F_OK) != 0 && errno == ENOENT) {
				missing++; /* its job has not run yet */
				continue;
			}
			cli_error("sweep --merge: not a whole report: %s (a job cut short or a damaged file: run it again)", jerr);
			return -1;
		}
		const char *tag = json_string_value(json_object_get(json_object_get(j, "run"), "tag"));
		if (!tag || strcmp(tag, key) != 0) {
			cli_error("sweep --merge: %s is not point %s (its run.tag is '%s')", path, key, tag ? tag : "");
			json_decref(j);
			return -1;
		}
		/* The job ran this point's configuration and trace (run.config_hash over every parameter and
		 * the run settings; the trace's name for a file or the default trace). */
		const char *ch = json_string_value(json_object_get(json_object_get(j, "run"), "config_hash"));
		char want_ch[32];
		if (point_hash(sp, p, want_ch, sizeof(want_ch)) < 0 || !ch || strcmp(ch, want_ch) != 0) {
			cli_error("sweep --merge: %s is point %s run with another configuration (config_hash %s, this spec's %s:"
				  " a job emitted from another [set] or [sweep]); run it again", path, key, ch ? ch : "none", want_ch);
			json_decref(j);
			return -1;
		}
		const char *build = json_string_value(json_object_get(json_object_get(j, "tool"), "build"));
		if (!build || strcmp(build, report_build_id()) != 0) {
			cli_error("sweep --merge: %s was made by another build of iowalk (%s; this one is %s): its rows cannot join"
				  " this sweep's; run the jobs with this build", path, build ? build : "none recorded", report_build_id());
			json_decref(j);
			return -1;
		}
		char *buf = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&buf, &len);
		row_lead(sp, key, lead, lead2, sizeof(lead2));
		report_csv_rows(j, sp->model, m, lead2);
		fclose(m);
		ssize_t w = write(out_fd, buf, len);
		free(buf);
		json_decref(j);
		if (w != (ssize_t)len)
			return -1;
		merged++;
	}
	if (missing)
		fprintf(stderr, "sweep --merge: %d of %" PRIu64 " points have no JSON in %s yet\n", missing, sp->npoints, dir);
	fprintf(stderr, "sweep --merge: %" PRIu64 " points merged, %" PRIu64 " already in the CSV, %d missing\n", merged,
		already, missing);
	return 0;
}

/* Parses (ini_rc: inih's result) and checks a spec: one trace source, the grid size, every point's
 * configuration, the strategies. NULL or the reason in err. */
/* one_pass = 1: whether param sizes a cache whose curves `iowalk mrc` counts (the IOTLB's 4 KiB structure or
 * a walk cache of model m's format). */
static bool one_pass_param(const struct iw_model *m, const char *param)
{
	if (strcmp(param, "device.iotlb_entries") == 0)
		return true;
	for (unsigned l = 0; l < IW_MAX_LEVELS; l++)
		if (m->fmt->wc_param[l] && strcmp(m->fmt->wc_param[l], param) == 0)
			return true;
	return false;
}

/* one_pass = 1 needs a grid of one axis, a cache's size, every value a power of two the curves count, and
 * every record counted (no warm-up). NULL, or why not in err. */
static const char *one_pass_check(const struct spec *sp, char *err, size_t errlen)
{
	const char *param = sp->naxes == 1 && strncmp(sp->axes[0].key, "set.", 4) == 0 ? sp->axes[0].key + 4 : NULL;
	if (!param || !one_pass_param(sp->model, param)) {
		char names[512];
		size_t n = (size_t)snprintf(names, sizeof(names), "set.device.iotlb_entries");
		for (unsigned l = 0; l < IW_MAX_LEVELS && n < sizeof(names); l++)
			if (sp->model->fmt->wc_param[l])
				n += (size_t)snprintf(names + n, sizeof(names) - n, ", set.%s", sp->model->fmt->wc_param[l]);
		if (sp->naxes == 1)
			snprintf(err, errlen, "%s: one_pass = 1 answers a grid of one axis, a cache's size (%s: %s), not %s", sp->path,
				 sp->model->name, names, sp->axes[0].key);
		else
			snprintf(err, errlen, "%s: one_pass = 1 answers a grid of one axis, a cache's size (%s: %s); this grid has %u",
				 sp->path, sp->model->name, names, sp->naxes);
		return err;
	}
	if (sp->warmup) {
		snprintf(err, errlen, "%s: one_pass = 1 counts every record: warmup must be 0", sp->path);
		return err;
	}
	uint64_t cap = strcmp(param, "device.iotlb_entries") == 0 ? 1u << (MRC_MAX_SIZES - 1) : MRC_WC_MAX;
	for (uint64_t p = 0; p < sp->npoints; p++) {
		struct iw_config cfg;
		struct gen_opts go;
		uint64_t v = 0;
		if (point_config(sp, p, &cfg, &go, err, errlen) || config_get(&cfg, param, &v) < 0 || !v || (v & (v - 1)) ||
		    v > cap) {
			snprintf(err, errlen, "%s: one_pass = 1: %s = %s: the curves count powers of two from 1 to %" PRIu64, sp->path,
				 sp->axes[0].key, sp->axes[0].values[p], cap);
			return err;
		}
	}
	return NULL;
}

static const char *spec_check(struct spec *sp, int ini_rc, char *err, size_t errlen)
{
	if (ini_rc != 0) {
		if (ini_rc == -1)
			snprintf(err, errlen, "%s: cannot open", sp->path);
		else
			snprintf(err, errlen, "%s: line %d: %s", sp->path, ini_rc, sp->err[0] ? sp->err : "syntax error");
		return err;
	}
	if (!sp->trace == !sp->generator) {
		snprintf(err, errlen, "%s: [sweep] needs exactly one of trace = FILE or generator = KIND", sp->path);
		return err;
	}
	/* The model of its trace, a relative path the spec's (a trace that cannot be read is reported when it
	 * is run). Every point reads the trace (and the sweep its digest first): a pipe cannot be read that
	 * often. */
	char merr[512], *resolved = sp->trace && !is_default(sp->trace) ? resolve_spec_path(sp->path, sp->trace) : NULL;
	if (resolved && cli_read_once(resolved)) {
		snprintf(err, errlen, "%s: trace = %s: not a regular file (stdin or a pipe): every point reads it; give a file",
			 sp->path, sp->trace);
		iw_free(resolved);
		return err;
	}
	sp->model = resolved ? cli_trace_model(resolved, NULL, merr, sizeof(merr)) : NULL;
	iw_free(resolved);
	for (unsigned i = 0; sp->generator && i < sp->ngen; i++)
		if (strcmp(sp->gen[i].key, "format") == 0 && !(sp->model = model_find(sp->gen[i].value))) {
			snprintf(err, errlen, "%s: [gen] format '%s': unknown table format (known: %s)", sp->path, sp->gen[i].value,
				 cli_format_names());
			return err;
		}
	if (!sp->model)
		sp->model = model_default();
	/* Generator options of a sweep that replays a trace file would change nothing: refused. */
	if (!sp->generator && sp->ngen) {
		snprintf(err, errlen, "%s: [gen] %s: generator options need generator = KIND (this sweep replays trace = FILE)",
			 sp->path, sp->gen[0].key);
		return err;
	}
	for (unsigned a = 0; !sp->generator && a < sp->naxes; a++) {
		if (strncmp(sp->axes[a].key, "gen.", 4) == 0) {
			snprintf(err, errlen, "%s: grid %s needs a generator ([sweep] generator = KIND)", sp->path, sp->axes[a].key);
			return err;
		}
	}
	/* A grid key also given fixed: the grid's values would replace the fixed one, never used. */
	for (unsigned a = 0; a < sp->naxes; a++) {
		const char *k = sp->axes[a].key;
		bool set = strncmp(k, "set.", 4) == 0;
		const struct kv *arr = set ? sp->set : sp->gen;
		for (unsigned i = 0; i < (set ? sp->nset : sp->ngen); i++)
			if (strcmp(arr[i].key, k + 4) == 0) {
				snprintf(err, errlen, "%s: grid %s and [%s] %s: the grid's values would replace the fixed one; "
						      "give it in one of them", sp->path, k, set ? "set" : "gen", k + 4);
				return err;
			}
	}
	sp->npoints = 1;
	for (unsigned a = 0; a < sp->naxes; a++) {
		if (sp->npoints > 1000000 / sp->axes[a].n) {
			snprintf(err, errlen, "%s: more than 10^6 points", sp->path);
			return err;
		}
		sp->npoints *= sp->axes[a].n;
	}
	char why[512];
	for (uint64_t p = 0; p < sp->npoints; p++) {
		struct iw_config cfg;
		struct gen_opts go;
		char key[2048], lead[2048];
		if (point_config(sp, p, &cfg, &go, why, sizeof(why))) {
			point_key(sp, p, key, sizeof(key), lead, sizeof(lead));
			snprintf(err, errlen, "%s: point %s: %s", sp->path, key, why);
			return err;
		}
	}
	struct engine_opts eo;
	if (cli_parse_strategies(sp->strategies, sp->model, &eo, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s: %s", sp->path, why);
		return err;
	}
	return sp->one_pass ? one_pass_check(sp, err, errlen) : NULL;
}

const char *sweep_spec_check_text(const char *text, char *err, size_t errlen)
{
	struct spec *sp = iw_calloc(1, sizeof(*sp));
	if (!sp) {
		snprintf(err, errlen, "out of memory");
		return err;
	}
	sp->path = "spec";
	const char *why = config_ini_check_text(text, strlen(text), sp->path, err, errlen);
	if (!why)
		why = spec_check(sp, ini_parse_string(text, on_entry, sp), err, errlen);
	spec_free(sp);
	iw_free(sp);
	return why;
}

/* Opens the results file for appending (creating it with the CSV header when empty) and marks in done[]
 * the points it already holds. The file descriptor, or -1 (reported). */
static int open_results(const struct spec *sp, const char *out, bool *done)
{
	char header[4096];
	header_lead(sp, header, sizeof(header));
	char *full = NULL; /* the whole header line, with its newline */
	size_t flen = 0;
	FILE *hm = open_memstream(&full, &flen);
	if (hm) {
		report_csv_header(hm, sp->model, header);
		fclose(hm);
	}
	if (!full || !flen) {
		free(full);
		cli_error("sweep: out of memory");
		return -1;
	}
	/* One sweep at a time on a CSV: two would both run the points not yet there and append them twice. */
	int fd = open(out, O_WRONLY | O_APPEND | O_CREAT, 0666);
	if (fd < 0) {
		free(full);
		cli_error("sweep: %s: %s", out, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		free(full);
		cli_error("sweep: %s: another sweep is writing to it (%s); wait for it, or use another -o", out,
			  errno == EWOULDBLOCK ? "it holds the file's lock" : strerror(errno));
		close(fd);
		return -1;
	}
	if (read_done(sp, out, done, full) < 0) {
		free(full);
		close(fd);
		return -1;
	}
	struct stat stt;
	ssize_t w = fstat(fd, &stt) == 0 && stt.st_size == 0 ? write(fd, full, flen) : (ssize_t)flen;
	free(full);
	if (w != (ssize_t)flen) {
		cli_error("sweep: %s: write error", out);
		close(fd);
		return -1;
	}
	return fd;
}

struct sweep_counts {
	uint64_t todo, finished, failed, skipped;
};

/* Work directories (OUT.work.PID) that sweeps killed outright (kill -9, a crash) left behind: those of
 * processes that no longer exist are removed, with the files a sweep puts there. */
static void remove_stale_work(const char *out)
{
	const char *slash = strrchr(out, '/');
	char dir[4200], prefix[4200];
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - out) : 1, slash ? out : ".");
	if (slash && slash == out)
		snprintf(dir, sizeof(dir), "/");
	snprintf(prefix, sizeof(prefix), "%s.work.", slash ? slash + 1 : out);
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	size_t pl = strlen(prefix);
	while ((e = readdir(d))) {
		char *end;
		if (strncmp(e->d_name, prefix, pl) != 0)
			continue;
		long pid = strtol(e->d_name + pl, &end, 10);
		if (*end || pid <= 0 || pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue; /* not a work directory, or its sweep is alive */
		char path[8600];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		DIR *w = opendir(path);
		struct dirent *f;
		while (w && (f = readdir(w))) {
			if ((strncmp(f->d_name, "point-", 6) == 0 || strncmp(f->d_name, "gen-", 4) == 0)) {
				char fp[8900];
				snprintf(fp, sizeof(fp), "%s/%s", path, f->d_name);
				unlink(fp);
			}
		}
		if (w)
			closedir(w);
		if (rmdir(path) == 0)
			fprintf(stderr, "sweep: removed %s, left by a sweep that no longer runs\n", path);
	}
	closedir(d);
}

/* A shared trace of a generator sweep (see run_points()). */
struct gen_file {
	char *path;  /* NULL: not made (or removed) */
	int slot;    /* its outfile_track() slot (removed on a signal) */
};

/* Makes the shared trace of point p's generator settings in dir unless it is made. 0 or -1 (message on
 * stderr). */
static int make_gen_trace(const struct spec *sp, uint64_t p, const char *dir, struct gen_file *gf)
{
	struct gen_file *g = &gf[gen_rep(sp, p)];
	if (g->path)
		return 0;
	struct iw_config cfg;
	struct gen_opts go;
	char err[512], key[2048], lead[2048], path[4400];
	point_key(sp, p, key, sizeof(key), lead, sizeof(lead));
	if (point_config(sp, p, &cfg, &go, err, sizeof(err))) {
		cli_error("sweep: point %s: %s", key, err);
		return -1;
	}
	gen_trace_path(dir, gen_rep(sp, p), path, sizeof(path));
	if (!(g->path = iw_strdup(path))) {
		cli_error("sweep: out of memory");
		return -1;
	}
	g->slot = outfile_track(g->path);
	struct gen_stats gs;
	if (gen_write(&go, g->path, true, false, &gs, err, sizeof(err)) < 0) {
		outfile_untrack(g->slot);
		iw_free(g->path);
		g->path = NULL;
		cli_error("sweep: point %s: %s", key, err);
		return -1;
	}
	return 0;
}

/* Removes a shared trace (its last point has run, or the sweep ends). */
static void drop_gen_trace(struct gen_file *g)
{
	if (!g->path)
		return;
	unlink(g->path);
	outfile_untrack(g->slot);
	iw_free(g->path);
	g->path = NULL;
}

/* Runs the points not yet done, `jobs` worker processes at a time, appending each point's rows to fd as
 * it completes (so an interrupted sweep keeps what finished). */
static void run_points(const struct spec *sp, const bool *done, int fd, const char *out, long jobs, int quiet,
		       struct sweep_counts *n)
{
	char tmpdir[4200];
	remove_stale_work(out);
	snprintf(tmpdir, sizeof(tmpdir), "%s.work.%ld", out, (long)getpid());
	if (mkdir(tmpdir, 0700) != 0) {
		cli_error("sweep: %s: %s", tmpdir, strerror(errno));
		n->failed++;
		return;
	}
	/* A generator sweep's points that share their generator settings share one trace, made by this
	 * process before the first of them runs and removed after the last (users: points still to run). */
	uint64_t *users = sp->generator ? iw_calloc(sp->npoints, sizeof(uint64_t)) : NULL;
	struct gen_file *gen_slot = sp->generator ? iw_calloc(sp->npoints, sizeof(*gen_slot)) : NULL;
	if (sp->generator && (!users || !gen_slot)) {
		cli_error("sweep: out of memory");
		n->failed++;
		iw_free(users);
		iw_free(gen_slot);
		rmdir(tmpdir);
		return;
	}
	for (uint64_t p = 0; p < sp->npoints; p++) {
		done[p] ? n->skipped++ : n->todo++;
		if (users && !done[p])
			users[gen_rep(sp, p)]++;
	}
	struct timespec t_start;
	clock_gettime(CLOCK_MONOTONIC, &t_start);
	pid_t *pids = iw_calloc((size_t)jobs, sizeof(pid_t));
	uint64_t *pts = iw_calloc((size_t)jobs, sizeof(uint64_t));
	/* What each worker may leave in the work directory, removed with it on an interrupt. */
	struct scratch {
		char rows[4400];
		int rows_slot;
	} *scr = iw_calloc((size_t)jobs, sizeof(*scr));
	uint64_t next = 0;
	long running = 0;
	outfile_track_dir(tmpdir);
	fflush(NULL);
	while ((next < sp->npoints || running) && pids && pts && scr) {
		while (running < jobs && next < sp->npoints) {
			if (done[next]) {
				next++;
				continue;
			}
			long slot = 0;
			while (pids[slot])
				slot++;
			struct scratch *w = &scr[slot];
			snprintf(w->rows, sizeof(w->rows), "%s/point-%" PRIu64 ".csv", tmpdir, next);
			if (sp->generator && make_gen_trace(sp, next, tmpdir, gen_slot) < 0) {
				n->failed++;
				users[gen_rep(sp, next)]--;
				next++;
				continue;
			}
			pid_t pid = fork();
			if (pid == 0) {
				outfile_forget_all(); /* a worker cleans up only its own files */
				_exit(run_point(sp, next, w->rows, tmpdir) == 0 ? 0 : 1);
			}
			if (pid < 0) {
				cli_error("sweep: fork: %s", strerror(errno));
				break;
			}
			outfile_add_child(pid);
			w->rows_slot = outfile_track(w->rows);
			pids[slot] = pid;
			pts[slot] = next++;
			running++;
		}
		if (!running)
			break;
		int status;
		pid_t pid = wait(&status);
		if (pid < 0)
			break;
		for (long slot = 0; slot < jobs; slot++) {
			if (pids[slot] != pid)
				continue;
			pids[slot] = 0;
			running--;
			outfile_remove_child(pid);
			outfile_untrack(scr[slot].rows_slot);
			if (sp->generator && --users[gen_rep(sp, pts[slot])] == 0) /* its trace's last point */
				drop_gen_trace(&gen_slot[gen_rep(sp, pts[slot])]);
			char rows[4400];
			snprintf(rows, sizeof(rows), "%s/point-%" PRIu64 ".csv", tmpdir, pts[slot]);
			if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && append_file(fd, rows) == 0)
				n->finished++;
			else
				n->failed++;
			unlink(rows);
			if (!quiet) {
				/* Host time, for the estimate only (never part of a result). */
				uint64_t d = n->finished + n->failed;
				struct timespec now;
				clock_gettime(CLOCK_MONOTONIC, &now);
				double secs = (double)(now.tv_sec - t_start.tv_sec) + (double)(now.tv_nsec - t_start.tv_nsec) * 1e-9;
				double left = d ? secs * (double)(n->todo - d) / (double)d : 0;
				fprintf(stderr, "sweep: %" PRIu64 "/%" PRIu64 " points done (%.0f %%), %.0f s so far, about %.0f s left%s\n",
					d, n->todo, n->todo ? 100.0 * (double)d / (double)n->todo : 100.0, secs, left,
					n->failed ? " (some failed)" : "");
			}
		}
	}
	if (!pids || !pts || !scr)
		n->failed++;
	for (uint64_t r = 0; gen_slot && r < sp->npoints; r++) /* shared traces left by points not run */
		drop_gen_trace(&gen_slot[r]);
	rmdir(tmpdir);
	outfile_track_dir(NULL);
	iw_free(pids);
	iw_free(pts);
	iw_free(scr);
	iw_free(users);
	iw_free(gen_slot);
}

/* The columns of a one-pass sweep's rows after the grid's: what the run of each point would count in the
 * swept structure, and the provenance a run's row ends with. */
static const char one_pass_columns[] =
	",strategy,structure,ways,lookups,hits,misses,miss_ratio,inexact,iowalk_version,config_hash,trace_hash,build\n";

/* An existing CSV may only be replaced by the same one-pass sweep's (its header and sweep_hash): 0, or -1
 * (said). */
static int one_pass_may_replace(const struct spec *sp, const char *out, const char *header)
{
	FILE *f = fopen(out, "r");
	if (!f)
		return errno == ENOENT ? 0 : (cli_error("sweep: %s: %s", out, strerror(errno)), -1);
	char *line = NULL, hash[32];
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, f);
	bool ok = n <= 0 || strcmp(line, header) == 0;
	snprintf(hash, sizeof(hash), ",%016" PRIx64 ",", spec_hash(sp));
	while (ok && (n = getline(&line, &cap, f)) > 0)
		ok = strstr(line, hash) != NULL;
	free(line);
	fclose(f);
	if (!ok)
		cli_error("sweep: %s holds another sweep's rows (its header or sweep_hash differs): left as it is; use another -o",
			  out);
	return ok ? 0 : -1;
}

/* one_pass = 1: one replay under every strategy with the curves of the swept structure (iowalk mrc), and a
 * row per point and strategy with what that point's run would count there; the CSV is written whole
 * (docs/sweeps.md "One pass"). */
static int one_pass_run(const struct spec *sp, const char *out, int quiet)
{
	const char *param = sp->axes[0].key + 4;
	char err[512], header[4400], tmpdir[4200], trace_path[4400];
	header_lead(sp, header, sizeof(header) - sizeof(one_pass_columns));
	strcat(header, one_pass_columns);
	if (one_pass_may_replace(sp, out, header) < 0)
		return CLI_EXIT_FAIL;
	struct iw_config cfg;
	struct gen_opts go;
	struct engine_opts o;
	if (point_config(sp, 0, &cfg, &go, err, sizeof(err))) {
		cli_error("sweep: %s", err);
		return CLI_EXIT_FAIL;
	}
	run_opts(sp, &o);
	if (cli_parse_strategies(sp->strategies, sp->model, &o, err, sizeof(err)) < 0) {
		cli_error("sweep: %s", err);
		return CLI_EXIT_FAIL;
	}
	struct gen_file gf = {NULL, -1};
	tmpdir[0] = '\0';
	if (sp->generator) {
		remove_stale_work(out);
		snprintf(tmpdir, sizeof(tmpdir), "%s.work.%ld", out, (long)getpid());
		if (mkdir(tmpdir, 0700) != 0) {
			cli_error("sweep: %s: %s", tmpdir, strerror(errno));
			return CLI_EXIT_FAIL;
		}
		outfile_track_dir(tmpdir);
		if (make_gen_trace(sp, 0, tmpdir, &gf) < 0) {
			rmdir(tmpdir);
			return CLI_EXIT_FAIL;
		}
		snprintf(trace_path, sizeof(trace_path), "%s", gf.path);
	}
	point_trace(sp, trace_path, &o);
	uint64_t max = 16;
	for (uint64_t p = 0; p < sp->npoints; p++) {
		struct iw_config pc;
		uint64_t v = 0;
		if (!point_config(sp, p, &pc, &go, err, sizeof(err)) && config_get(&pc, param, &v) == 0 && v > max)
			max = v;
	}
	o.mrc_max_entries = max;
	o.progress = !quiet;
	struct engine_result res;
	int rc = engine_run(&o, &cfg, &res, err, sizeof(err));
	drop_gen_trace(&gf);
	if (tmpdir[0])
		rmdir(tmpdir);
	if (rc < 0) {
		cli_error("sweep: %s", err);
		return CLI_EXIT_FAIL;
	}
	struct outfile *of = outfile_open(out, err, sizeof(err));
	if (!of) {
		engine_result_free(&res);
		cli_error("sweep: %s", err);
		return CLI_EXIT_FAIL;
	}
	FILE *f = outfile_fp(of);
	fputs(header, f);
	uint64_t inexact_max = 0;
	rc = CLI_EXIT_OK;
	for (uint64_t p = 0; p < sp->npoints && rc == CLI_EXIT_OK; p++) {
		struct iw_config pc;
		char key[2048], lead[2048], lead2[4200], sname[64];
		uint64_t v = 0;
		point_key(sp, p, key, sizeof(key), lead, sizeof(lead));
		row_lead(sp, key, lead, lead2, sizeof(lead2));
		if (point_config(sp, p, &pc, &go, err, sizeof(err)) || config_get(&pc, param, &v) < 0) {
			cli_error("sweep: point %s: %s", key, err);
			rc = CLI_EXIT_FAIL;
			break;
		}
		struct report_ctx r = {&res, &pc, &o};
		uint64_t ch = report_config_hash(&r); /* what the run of this point would carry */
		for (unsigned i = 0; i < res.nsims; i++) {
			const struct sim *sm = res.sims[i];
			unsigned ways = 0;
			int k = sim_mrc_structure_of(sm, param, &ways);
			uint64_t l = 0, h = 0, x = 0;
			if (k < 0 || !sim_mrc_point(sm, (unsigned)k, v, ways, &l, &h, &x)) {
				cli_error("sweep: point %s: %s: %s = %" PRIu64 " was not counted", key, sim_strategy(sm)->name, param, v);
				rc = CLI_EXIT_FAIL;
				break;
			}
			inexact_max = x > inexact_max ? x : inexact_max;
			fprintf(f, "%s,%s,%s,%u,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.6f,%" PRIu64 ",%s,%016" PRIx64 ",%016" PRIx64 ",%s\n",
				lead2, sim_strategy(sm)->name, sim_mrc_structure_name(sm, (unsigned)k, sname, sizeof(sname)), ways, l, h,
				l - h, l ? (double)(l - h) / (double)l : 0.0, x, IOWALK_VERSION, ch, res.trace_hash, report_build_id());
		}
	}
	for (unsigned i = 0; i < res.nrefused; i++)
		fprintf(stderr, "sweep: %s not run: %s\n", res.refused[i].name, res.refused[i].why);
	engine_result_free(&res);
	if (rc != CLI_EXIT_OK || outfile_commit(of, err, sizeof(err)) < 0) {
		if (rc == CLI_EXIT_OK)
			cli_error("sweep: %s", err);
		else
			outfile_abort(of);
		return CLI_EXIT_FAIL;
	}
	if (!quiet)
		fprintf(stderr,
			"sweep: %" PRIu64 " points answered by one pass (iowalk mrc) into %s; at most %" PRIu64
			" lookups inexact (0: each row is what the point's run counts)\n",
			sp->npoints, out, inexact_max);
	return CLI_EXIT_OK;
}

int cli_sweep(int argc, char **argv)
{
	enum { O_EMIT = 256, O_MERGE };
	static const struct option opts[] = {{"output", required_argument, NULL, 'o'}, {"jobs", required_argument, NULL, 'j'},
					     {"emit-jobs", required_argument, NULL, O_EMIT},
					     {"merge", required_argument, NULL, O_MERGE}, {"quiet", no_argument, NULL, 'q'},
					     {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	const char *out = NULL, *emit = NULL, *merge_dir = NULL;
	long jobs = sysconf(_SC_NPROCESSORS_ONLN);
	int quiet = 0, c;
	optind = 1;
	while ((c = cli_getopt(argc, argv, "o:j:qh", opts, NULL, "sweep")) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'j': {
			char *end;
			jobs = strtol(optarg, &end, 10);
			if (*end || jobs < 1 || jobs > 1024) {
				cli_error("sweep: -j '%s': expected 1..1024", optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		}
		case O_EMIT: emit = optarg; break;
		case O_MERGE: merge_dir = optarg; break;
		case 'q': quiet = 1; break;
		case 'h': fputs(sweep_usage, stdout); return CLI_EXIT_OK;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (jobs < 1)
		jobs = 1;
	if (argc - optind != 1 || (!emit && !out)) {
		cli_error("sweep: expected SPEC and -o results.csv (or --emit-jobs DIR); see 'iowalk sweep --help'");
		return CLI_EXIT_USAGE;
	}
	struct spec *sp = iw_calloc(1, sizeof(*sp));
	if (!sp)
		return CLI_EXIT_FAIL;
	sp->path = argv[optind];
	int rc = CLI_EXIT_USAGE;
	char err[512];
	bool *done = NULL;
	char *text = NULL;
	if (config_ini_read(sp->path, &text, err, sizeof(err)) ||
	    spec_check(sp, ini_parse_string(text, on_entry, sp), err, sizeof(err))) {
		free(text);
		cli_error("sweep: %s", err);
		goto out;
	}
	free(text);
	if (is_default(sp->trace)) {
		sp->trace_digest = fnv1a_bytes(FNV1A_OFFSET, iowalk_default_trace, iowalk_default_trace_size);
	} else if (sp->trace) {
		/* A relative path is the spec's: resolved against the spec file's directory, to the absolute
		 * path jobs run anywhere can use. */
		char *abs = resolve_spec_path(sp->path, sp->trace);
		if (!abs || cli_file_digest(abs, &sp->trace_digest) < 0) {
			int e = abs ? errno : ENOMEM;
			if (abs && strcmp(abs, sp->trace) != 0)
				cli_error("sweep: %s: trace = %s (%s, against the spec's directory): %s", sp->path, sp->trace, abs,
					  strerror(e));
			else
				cli_error("sweep: %s: trace = %s: %s", sp->path, sp->trace, strerror(e));
			iw_free(abs);
			rc = CLI_EXIT_FAIL;
			goto out;
		}
		iw_free(sp->trace);
		sp->trace = abs;
	}
	if (sp->one_pass && (emit || merge_dir)) {
		cli_error("sweep: %s: one_pass = 1 answers the grid in one pass here; --%s is for a run per point", sp->path,
			  emit ? "emit-jobs" : "merge");
		goto out;
	}
	if (sp->one_pass) {
		rc = one_pass_run(sp, out, quiet);
		goto out;
	}
	if (emit) {
		/* The directory the jobs write into (their reports, generated traces): made here, as --outdir makes
		 * its own, so no job fails on it (on a shared file system it is the one every host sees). */
		rc = cli_mkdirs(emit) == 0 ? emit_jobs(sp, emit, "iowalk") : CLI_EXIT_FAIL;
		goto out;
	}
	struct stat mst;
	int merr = !merge_dir ? 0 : stat(merge_dir, &mst) != 0 ? errno : !S_ISDIR(mst.st_mode) ? ENOTDIR : 0;
	if (merr) { /* a typo would read as "every point missing yet" */
		cli_error("sweep --merge: %s: %s", merge_dir,
			  merr == ENOENT ? "no such directory (the DIR the jobs of --emit-jobs write into)" : strerror(merr));
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	rc = CLI_EXIT_FAIL;
	done = iw_calloc(sp->npoints, sizeof(bool));
	int fd = done ? open_results(sp, out, done) : -1;
	if (fd < 0)
		goto out;
	if (merge_dir) {
		rc = merge(sp, merge_dir, fd, done) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
		close(fd);
		goto out;
	}
	char why[512];
	if (!quiet && !one_pass_check(sp, why, sizeof(why)))
		fprintf(stderr, "sweep: note: this grid's only axis is a cache's size: with one_pass = 1 in [sweep], one replay "
				"answers its misses (not its cycles) at every point (docs/sweeps.md \"One pass\")\n");
	struct sweep_counts n = {0, 0, 0, 0};
	run_points(sp, done, fd, out, jobs, quiet, &n);
	close(fd);
	if (!quiet || n.failed)
		fprintf(stderr, "sweep: %" PRIu64 " points run, %" PRIu64 " failed, %" PRIu64 " already in %s\n", n.finished,
			n.failed, n.skipped, out);
	rc = n.failed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
out:
	iw_free(done);
	spec_free(sp);
	iw_free(sp);
	return rc;
}
