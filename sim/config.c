/* config: parameters, presets, INI and overrides (see config.h). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <ini.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

struct param {
	const char *name;
	size_t off;
	uint64_t def, lo, hi;
	const char *unit, *help;
};

static const struct param params[] = {
#define X(name, field, def, lo, hi, unit, help) {name, offsetof(struct iw_config, field), def, lo, hi, unit, help},
#include "params.def"
#undef X
};
#define NPARAMS (sizeof(params) / sizeof(params[0]))

struct range {
	const char *name;
	uint64_t lo, hi;
	const char *source;
};

static const struct range ranges[] = {
#define R(name, lo, hi, source) {name, lo, hi, source},
#include "ranges.def"
#undef R
};
#define NRANGES (sizeof(ranges) / sizeof(ranges[0]))

struct choice {
	const char *name, *values, *source;
};

static const struct choice choices[] = {
#define C(name, values, source) {name, values, source},
#include "choices.def"
#undef C
};
#define NCHOICES (sizeof(choices) / sizeof(choices[0]))

int config_choice(unsigned i, const char **name, uint64_t *values, unsigned *nvalues, const char **source)
{
	if (i >= NCHOICES)
		return 0;
	*name = choices[i].name;
	*source = choices[i].source;
	*nvalues = 0;
	const char *p = choices[i].values;
	while (*p && *nvalues < CONFIG_MAX_CHOICE_VALUES) {
		char *end;
		values[(*nvalues)++] = strtoull(p, &end, 10);
		p = end;
		while (*p == ' ')
			p++;
	}
	return 1;
}

static const struct range *engine_range(const char *name)
{
	for (unsigned i = 0; i < NRANGES; i++)
		if (strcmp(ranges[i].name, name) == 0)
			return &ranges[i];
	return NULL;
}

static uint64_t *field(struct iw_config *c, const struct param *p) { return (uint64_t *)((char *)c + p->off); }

/* Registered parameters (process-wide, filled before main by the models' registries): ext[i] of a
 * configuration holds the value of reg[i]. */
static const struct iw_param *reg[IW_MAX_EXT_PARAMS];
static const struct iw_param_group *reg_group[IW_MAX_EXT_PARAMS];
static unsigned nreg;
static const struct iw_param_group *groups[IW_MAX_EXT_PARAMS];
static unsigned ngroups;

static bool name_taken(const char *name)
{
	for (unsigned i = 0; i < NPARAMS; i++)
		if (strcmp(params[i].name, name) == 0)
			return true;
	return config_index(name) >= 0;
}

int config_register(const struct iw_param_group *g)
{
	for (unsigned i = 0; i < ngroups; i++)
		if (groups[i] == g)
			return 0;
	if (ngroups == IW_MAX_EXT_PARAMS || nreg + g->n > IW_MAX_EXT_PARAMS)
		return -1;
	for (unsigned i = 0; i < g->n; i++)
		if (name_taken(g->params[i].name))
			return -1;
	for (unsigned i = 0; i < g->n; i++) {
		reg_group[nreg] = g;
		reg[nreg++] = &g->params[i];
	}
	groups[ngroups++] = g;
	return 0;
}

int config_index(const char *name)
{
	for (unsigned i = 0; i < nreg; i++)
		if (strcmp(reg[i]->name, name) == 0)
			return (int)i;
	return -1;
}

uint64_t config_value(const struct iw_config *c, const char *name)
{
	int i = config_index(name);
	return i >= 0 ? c->ext[i] : 0;
}

int config_get(const struct iw_config *c, const char *name, uint64_t *v)
{
	for (unsigned i = 0; i < NPARAMS; i++)
		if (strcmp(params[i].name, name) == 0) {
			*v = *field((struct iw_config *)c, &params[i]);
			return 0;
		}
	int i = config_index(name);
	if (i < 0)
		return -1;
	*v = c->ext[i];
	return 0;
}

void config_defaults(struct iw_config *c)
{
	for (unsigned i = 0; i < NPARAMS; i++)
		*field(c, &params[i]) = params[i].def;
	for (unsigned i = 0; i < IW_MAX_EXT_PARAMS; i++)
		c->ext[i] = i < nreg ? reg[i]->def : 0;
	snprintf(c->preset, sizeof(c->preset), "z15");
}

/* Sets the value of the parameter described by (name, lo, hi) at *slot from text. */
static const char *set_value(uint64_t *slot, const char *key, uint64_t lo, uint64_t hi, const char *unit,
			     const char *value, char *err, size_t errlen)
{
	char *end;
	errno = 0;
	/* A size parameter (unit B, KiB or MiB) also takes a binary suffix: cache.l3.kib=256M, run.max_record_mib=2G. */
	unsigned ushift = strcmp(unit, "B") == 0 ? 0 : strcmp(unit, "KiB") == 0 ? 10 : strcmp(unit, "MiB") == 0 ? 20 : 99;
	size_t vl = strlen(value);
	if (ushift != 99 && vl >= 2 && value[0] != '-') {
		const char *sfx = value + vl;
		while (sfx > value && !isdigit((unsigned char)sfx[-1]))
			sfx--;
		int s = 0;
		if (*sfx && strchr("KkMmGgTt", *sfx) && (!sfx[1] || strcmp(sfx + 1, "iB") == 0 || strcmp(sfx + 1, "B") == 0))
			s = 10 * (int)(strchr("KMGT", toupper((unsigned char)*sfx)) - "KMGT" + 1);
		if (s) {
			char num[64];
			snprintf(num, sizeof(num), "%.*s", (int)(sfx - value), value);
			unsigned long long n = strtoull(num, &end, 10);
			if (!num[0] || *end || errno || (s >= (int)ushift && n > (UINT64_MAX >> (s - (int)ushift)))) {
				snprintf(err, errlen, "%s: '%s' is not a size", key, value);
				return err;
			}
			unsigned long long bytes_per_unit = 1ull << ushift;
			unsigned __int128 b = (unsigned __int128)n << s;
			if (b % bytes_per_unit) {
				snprintf(err, errlen, "%s: '%s' is not a whole number of %s", key, value, unit);
				return err;
			}
			unsigned __int128 v = b / bytes_per_unit;
			if (v < lo || v > hi) {
				snprintf(err, errlen, "%s: %s is outside [%llu, %llu] %s", key, value, (unsigned long long)lo,
					 (unsigned long long)hi, unit);
				return err;
			}
			*slot = (uint64_t)v;
			return NULL;
		}
	}
	if (value[0] == '-' || value[0] == '\0') {
		snprintf(err, errlen, "%s: '%s' is not a non-negative integer", key, value);
		return err;
	}
	bool hex = value[0] == '0' && (value[1] == 'x' || value[1] == 'X');
	if (!hex && value[0] == '0' && value[1] != '\0') {
		snprintf(err, errlen, "%s: '%s': a leading zero is ambiguous (octal?); write it in decimal or as 0x...", key,
			 value);
		return err;
	}
	unsigned long long v = strtoull(value, &end, hex ? 16 : 10);
	if (errno || *end != '\0') {
		snprintf(err, errlen, "%s: '%s' is not a non-negative integer", key, value);
		return err;
	}
	if (v < lo || v > hi) {
		snprintf(err, errlen, "%s: %llu is outside [%llu, %llu]", key, v, (unsigned long long)lo,
			 (unsigned long long)hi);
		return err;
	}
	*slot = v;
	return NULL;
}

struct preset_kv {
	const char *key, *value;
};

/* "tiny": small caches and round costs, for tests and hand computation (docs/cost-model.md). */
static const struct preset_kv tiny[] = {
	{"cache.line_bytes", "64"}, {"cache.l1.kib", "1"}, {"cache.l1.ways", "2"}, {"cache.l1.cycles", "1"},
	{"cache.l2.kib", "0"}, {"cache.l3.kib", "0"}, {"mem.dram_cycles", "100"}, {"device.bridge_cycles", "10"},
	{"device.iotlb_entries", "4"}, {"device.iotlb_ways", "4"}, {"device.iotlb_cycles", "1"},
	{"device.wc_rt_entries", "0"}, {"device.wc_st_entries", "0"}, {"device.walkers", "1"},
	{"nested.s2_tlb_entries", "0"}, {NULL, NULL},
};

/* "spr": an Intel Xeon Platinum 8480 (Sapphire Rapids), for VT-d runs (docs/cost-model.md, "Preset spr"). */
static const struct preset_kv spr[] = {
	{"cpu.clock_mhz", "2000"}, {"cache.line_bytes", "64"}, {"cache.l1.kib", "48"}, {"cache.l1.ways", "12"},
	{"cache.l1.cycles", "5"}, {"cache.l2.kib", "2048"}, {"cache.l2.ways", "16"}, {"cache.l2.cycles", "16"},
	{"cache.l3.kib", "107520"}, {"cache.l3.ways", "15"}, {"cache.l3.cycles", "66"}, {"mem.dram_cycles", "220"},
	{NULL, NULL},
};

const char *config_presets(void) { return "z15, tiny, spr"; }

/* Applies a preset's values over the defaults (a key of a strategy not in the program is skipped: without
 * the strategy registered nothing reads its value). */
static const char *apply_preset(struct iw_config *c, const struct preset_kv *kv, const char *name)
{
	config_defaults(c);
	char err[128];
	for (; kv->key; kv++) {
		if (!name_taken(kv->key))
			continue;
		if (config_set(c, kv->key, kv->value, err, sizeof(err)))
			return "internal: bad preset";
	}
	snprintf(c->preset, sizeof(c->preset), "%s", name);
	return NULL;
}

const char *config_preset(struct iw_config *c, const char *name)
{
	if (strcmp(name, "z15") == 0) {
		config_defaults(c);
		return NULL;
	}
	if (strcmp(name, "tiny") == 0)
		return apply_preset(c, tiny, "tiny");
	if (strcmp(name, "spr") == 0)
		return apply_preset(c, spr, "spr");
	return "unknown preset (known: z15, tiny, spr)";
}

/* How far name is from key, for "did you mean": 0 when they differ only in '.' and '_' (cache.l3_kib for
 * cache.l3.kib), 1 when key is name's start up to a '_' or '.', else 1 + their edit distance (insertions,
 * deletions, substitutions); 99 beyond 63 bytes. */
static unsigned name_distance(const char *key, const char *name)
{
	const char *a = key, *b = name;
	for (;; a++, b++) {
		while (*a == '.' || *a == '_')
			a++;
		while (*b == '.' || *b == '_')
			b++;
		if (*a != *b)
			break;
		if (!*a)
			return 0;
	}
	size_t la = strlen(key), lb = strlen(name);
	if (la >= 4 && la < lb && strncmp(key, name, la) == 0 && (name[la] == '_' || name[la] == '.'))
		return 1; /* the name's start (device.wc_rt for device.wc_rt_entries) */
	if (la > 63 || lb > 63)
		return 99;
	unsigned row[64], prev;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned del = row[j] + 1, ins = row[j - 1] + 1, sub = prev + (key[i - 1] != name[j - 1]);
			prev = row[j];
			row[j] = del < ins ? (del < sub ? del : sub) : (ins < sub ? ins : sub);
		}
	}
	return 1 + row[lb];
}

/* The known parameter nearest to key (the first of equals, in --print-config's order), or NULL when none
 * is within two edits. */
static const char *nearest_param(const char *key)
{
	const char *best = NULL;
	unsigned bd = 4; /* at most 1 + 2 edits */
	for (unsigned i = 0; i < NPARAMS + nreg; i++) {
		const char *name = i < NPARAMS ? params[i].name : reg[i - NPARAMS]->name;
		unsigned d = name_distance(key, name);
		if (d < bd) {
			bd = d;
			best = name;
		}
	}
	return best;
}

const char *config_set(struct iw_config *c, const char *key, const char *value, char *err, size_t errlen)
{
	if (strcmp(key, "preset") == 0) {
		/* It would silently reset every value set before it: presets come first (--preset). */
		snprintf(err, errlen, "preset: not a parameter; choose a preset with --preset (applied before --config "
				      "and --set)");
		return err;
	}
	for (unsigned i = 0; i < NPARAMS; i++) {
		const struct param *p = &params[i];
		if (strcmp(p->name, key) == 0)
			return set_value(field(c, p), key, p->lo, p->hi, p->unit, value, err, errlen);
	}
	int i = config_index(key);
	if (i >= 0)
		return set_value(&c->ext[i], key, reg[i]->lo, reg[i]->hi, reg[i]->unit, value, err, errlen);
	const char *near = nearest_param(key);
	if (near)
		snprintf(err, errlen, "unknown parameter '%s' (did you mean '%s'? see 'iowalk run --print-config')", key, near);
	else
		snprintf(err, errlen, "unknown parameter '%s' (see 'iowalk run --print-config')", key);
	return err;
}

const char *config_set_kv(struct iw_config *c, const char *kv, char *err, size_t errlen)
{
	const char *eq = strchr(kv, '=');
	if (!eq || eq == kv) {
		snprintf(err, errlen, "expected key=value, got '%s'", kv);
		return err;
	}
	char key[96];
	size_t n = (size_t)(eq - kv);
	if (n >= sizeof(key)) {
		snprintf(err, errlen, "parameter name too long in '%s'", kv);
		return err;
	}
	memcpy(key, kv, n);
	key[n] = '\0';
	return config_set(c, key, eq + 1, err, errlen);
}

struct ini_ctx {
	struct iw_config *c;
	char *err;
	size_t errlen;
	const char *path;
	int failed;
	bool seen[NPARAMS + IW_MAX_EXT_PARAMS]; /* the parameters this file has set */
};

/* The index of a parameter as config_param() counts them, or -1. */
static int param_index(const char *key)
{
	for (unsigned i = 0; i < NPARAMS; i++)
		if (strcmp(params[i].name, key) == 0)
			return (int)i;
	int i = config_index(key);
	return i < 0 ? -1 : (int)NPARAMS + i;
}

static int on_ini_entry(void *user, const char *section, const char *name, const char *value)
{
	struct ini_ctx *ctx = user;
	if (ctx->failed)
		return 0; /* keep the first error: inih reports the line of the first refused entry */
	char key[160], why[256];
	if (section[0])
		snprintf(key, sizeof(key), "%s.%s", section, name);
	else
		snprintf(key, sizeof(key), "%s", name);
	if (config_set(ctx->c, key, value, why, sizeof(why))) {
		snprintf(ctx->err, ctx->errlen, "%s", why);
		ctx->failed = 1;
		return 0;
	}
	/* A parameter given twice in one file: one of the values is a mistake, and which one the run would use
	 * (the last) is not what the reader of the file sees first. */
	int i = param_index(key);
	if (i >= 0 && ctx->seen[i]) {
		snprintf(ctx->err, ctx->errlen, "%s: set a second time in this file (which value is meant?)", key);
		ctx->failed = 1;
		return 0;
	}
	if (i >= 0)
		ctx->seen[i] = true;
	return 1;
}

/* The longest line inih reads whole (its fgets buffer is INI_MAX_LINE bytes with the newline and the
 * terminator): a longer one would be split and its tail read as a line of its own. */
#define INI_LINE_MAX (INI_MAX_LINE - 2)

const char *config_ini_check_text(const char *text, size_t len, const char *label, char *err, size_t errlen)
{
	size_t line = 1, col = 0;
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\0') {
			snprintf(err, errlen, "%s: line %zu: a NUL byte (not a text file)", label, line);
			return err;
		}
		if (text[i] == '\n') {
			line++;
			col = 0;
			continue;
		}
		if (++col > INI_LINE_MAX) {
			snprintf(err, errlen, "%s: line %zu: longer than %d bytes (not read exactly: shorten it)", label, line,
				 INI_LINE_MAX);
			return err;
		}
	}
	return NULL;
}

const char *config_ini_read(const char *path, char **text, char *err, size_t errlen)
{
	*text = NULL;
	struct stat st;
	if (stat(path, &st) != 0) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return err;
	}
	if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode)) {
		snprintf(err, errlen, "%s: %s", path, S_ISDIR(st.st_mode) ? "is a directory" : "not a file");
		return err;
	}
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return err;
	}
	enum { LIMIT = 1 << 22 };
	char *buf = malloc(LIMIT + 1);
	size_t n = buf ? fread(buf, 1, LIMIT + 1, f) : 0;
	int bad = !buf || ferror(f);
	fclose(f);
	if (bad || n > LIMIT) {
		snprintf(err, errlen, "%s: %s", path, bad ? "read error" : "larger than 4 MiB");
		free(buf);
		return err;
	}
	buf[n] = '\0';
	if (config_ini_check_text(buf, n, path, err, errlen)) {
		free(buf);
		return err;
	}
	*text = buf;
	return NULL;
}

const char *config_load_ini(struct iw_config *c, const char *path, char *err, size_t errlen)
{
	char *text;
	if (config_ini_read(path, &text, err, errlen))
		return err;
	const char *why = config_load_ini_text(c, text, path, err, errlen);
	free(text);
	return why;
}

const char *config_validate(const struct iw_config *c, char *err, size_t errlen)
{
	if (c->line_bytes & (c->line_bytes - 1)) {
		snprintf(err, errlen, "cache.line_bytes must be a power of two (got %llu)", (unsigned long long)c->line_bytes);
		return err;
	}
	static const char *const lv[] = {"l1", "l2", "l3"};
	const uint64_t kib[] = {c->l1_kib, c->l2_kib, c->l3_kib}, ways[] = {c->l1_ways, c->l2_ways, c->l3_ways};
	for (int i = 0; i < 3; i++) {
		uint64_t lines = kib[i] * 1024 / c->line_bytes;
		if (kib[i] && (lines == 0 || lines % ways[i] != 0)) {
			snprintf(err, errlen, "cache.%s: %llu KiB is not a whole number of %llu-way sets of %llu-byte lines",
				 lv[i], (unsigned long long)kib[i], (unsigned long long)ways[i],
				 (unsigned long long)c->line_bytes);
			return err;
		}
	}
	struct {
		const char *name;
		uint64_t entries, ways;
	} sa[] = {{"device.iotlb", c->iotlb_entries, c->iotlb_ways},
		  {"device.wc_rt", c->wc_rt_entries, c->wc_ways},
		  {"device.wc_st", c->wc_st_entries, c->wc_ways}};
	for (unsigned i = 0; i < sizeof(sa) / sizeof(sa[0]); i++) {
		if (sa[i].entries && sa[i].entries % sa[i].ways != 0) {
			snprintf(err, errlen, "%s: %llu entries is not a multiple of %llu ways", sa[i].name,
				 (unsigned long long)sa[i].entries, (unsigned long long)sa[i].ways);
			return err;
		}
	}
	for (unsigned g = 0; g < ngroups; g++)
		if (groups[g]->validate && groups[g]->validate(c, err, errlen))
			return err;
	return NULL;
}

static void print_param(FILE *f, const char *name, uint64_t value, const char *unit, const char *help,
			const char **section, size_t *sect_len)
{
	const char *dot = strrchr(name, '.');
	size_t sl = (size_t)(dot - name);
	if (!*section || sl != *sect_len || strncmp(*section, name, sl) != 0) {
		fprintf(f, "\n[%.*s]\n", (int)sl, name);
		*section = name;
		*sect_len = sl;
	}
	fprintf(f, "%-20s = %-12llu ; %s%s%s%s\n", dot + 1, (unsigned long long)value, help, unit[0] ? " [" : "", unit,
		unit[0] ? "]" : "");
}

static void print_range(FILE *f, uint64_t lo, uint64_t hi, const char *source)
{
	if (lo || hi)
		fprintf(f, ";   range %llu..%llu: %s\n", (unsigned long long)lo, (unsigned long long)hi, source);
}

int config_range(unsigned i, const char **name, uint64_t *def, uint64_t *lo, uint64_t *hi, const char **source)
{
	for (unsigned k = 0; k < NPARAMS; k++) {
		const struct range *r = engine_range(params[k].name);
		if (!r)
			continue;
		if (i-- == 0) {
			*name = r->name;
			*def = params[k].def;
			*lo = r->lo;
			*hi = r->hi;
			*source = r->source;
			return 1;
		}
	}
	for (unsigned k = 0; k < nreg; k++) {
		if (!reg[k]->range_lo && !reg[k]->range_hi)
			continue;
		if (i-- == 0) {
			*name = reg[k]->name;
			*def = reg[k]->def;
			*lo = reg[k]->range_lo;
			*hi = reg[k]->range_hi;
			*source = reg[k]->range_source;
			return 1;
		}
	}
	return 0;
}

bool config_in_scope(const struct iw_param_scope *sc, const char *name)
{
	int i = config_index(name);
	if (!sc)
		return true;
	if (i < 0) { /* the engine's own (or not a registered name) */
		for (const char *const *u = sc->unused; u && *u; u++)
			if (strcmp(*u, name) == 0)
				return false;
		return true;
	}
	for (unsigned k = 0; k < sc->n; k++)
		if (sc->g[k] == reg_group[i])
			return true;
	return false;
}

void config_print(const struct iw_config *c, FILE *f, const struct iw_param_scope *sc)
{
	fprintf(f, "# iowalk parameters (preset %s); sources and assumptions: docs/cost-model.md\n", c->preset);
	const char *section = NULL;
	size_t sect_len = 0;
	for (unsigned i = 0; i < NPARAMS; i++) {
		const struct param *p = &params[i];
		if (!config_in_scope(sc, p->name))
			continue;
		print_param(f, p->name, *field((struct iw_config *)c, p), p->unit, p->help, &section, &sect_len);
		const struct range *r = engine_range(p->name);
		if (r)
			print_range(f, r->lo, r->hi, r->source);
		for (unsigned k = 0; k < NCHOICES; k++)
			if (strcmp(choices[k].name, p->name) == 0)
				fprintf(f, ";   assumption, each of %s a scenario: %s\n", choices[k].values, choices[k].source);
	}
	for (unsigned i = 0; i < nreg; i++) {
		if (!config_in_scope(sc, reg[i]->name))
			continue;
		if (i == 0 || reg_group[i] != reg_group[i - 1]) {
			fprintf(f, "\n# owned by %s\n", reg_group[i]->owner);
			section = NULL;
		}
		print_param(f, reg[i]->name, c->ext[i], reg[i]->unit, reg[i]->help, &section, &sect_len);
		print_range(f, reg[i]->range_lo, reg[i]->range_hi, reg[i]->range_source);
	}
}

int config_param(const struct iw_config *c, unsigned i, const char **name, uint64_t *value)
{
	if (i < NPARAMS) {
		*name = params[i].name;
		*value = *field((struct iw_config *)c, &params[i]);
		return 1;
	}
	if (i - NPARAMS < nreg) {
		*name = reg[i - NPARAMS]->name;
		*value = c->ext[i - NPARAMS];
		return 1;
	}
	return 0;
}

const char *config_load_ini_text(struct iw_config *c, const char *text, const char *label, char *err, size_t errlen)
{
	if (config_ini_check_text(text, strlen(text), label, err, errlen))
		return err;
	struct ini_ctx ctx = {c, err, errlen, label, 0, {false}};
	int rc = ini_parse_string(text, on_ini_entry, &ctx);
	if (ctx.failed) {
		char why[256];
		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "%s: line %d: %s", label, rc, why);
		return err;
	}
	if (rc != 0) {
		snprintf(err, errlen, "%s: line %d: syntax error (expected [section] or key = value)", label, rc);
		return err;
	}
	return NULL;
}
