/* config: parameters, presets, INI and overrides (see config.h). */
#include "config.h"

#include <errno.h>
#include <ini.h>
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

static uint64_t *field(struct iw_config *c, const struct param *p) { return (uint64_t *)((char *)c + p->off); }

void config_defaults(struct iw_config *c)
{
	for (unsigned i = 0; i < NPARAMS; i++)
		*field(c, &params[i]) = params[i].def;
	snprintf(c->preset, sizeof(c->preset), "z15");
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

const char *config_presets(void) { return "z15, tiny"; }

const char *config_preset(struct iw_config *c, const char *name)
{
	if (strcmp(name, "z15") == 0) {
		config_defaults(c);
		return NULL;
	}
	if (strcmp(name, "tiny") == 0) {
		config_defaults(c);
		char err[128];
		for (const struct preset_kv *kv = tiny; kv->key; kv++)
			if (config_set(c, kv->key, kv->value, err, sizeof(err)))
				return "internal: bad preset";
		snprintf(c->preset, sizeof(c->preset), "tiny");
		return NULL;
	}
	return "unknown preset (known: z15, tiny)";
}

const char *config_set(struct iw_config *c, const char *key, const char *value, char *err, size_t errlen)
{
	if (strcmp(key, "preset") == 0) {
		const char *why = config_preset(c, value);
		if (why)
			snprintf(err, errlen, "preset '%s': %s", value, why);
		return why ? err : NULL;
	}
	for (unsigned i = 0; i < NPARAMS; i++) {
		const struct param *p = &params[i];
		if (strcmp(p->name, key) != 0)
			continue;
		char *end;
		errno = 0;
		if (value[0] == '-' || value[0] == '\0') {
			snprintf(err, errlen, "%s: '%s' is not a non-negative integer", key, value);
			return err;
		}
		unsigned long long v = strtoull(value, &end, 0);
		if (errno || *end != '\0') {
			snprintf(err, errlen, "%s: '%s' is not a non-negative integer", key, value);
			return err;
		}
		if (v < p->lo || v > p->hi) {
			snprintf(err, errlen, "%s: %llu is outside [%llu, %llu]", key, v, (unsigned long long)p->lo,
				 (unsigned long long)p->hi);
			return err;
		}
		*field(c, p) = v;
		return NULL;
	}
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
};

static int on_ini_entry(void *user, const char *section, const char *name, const char *value)
{
	struct ini_ctx *ctx = user;
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
	return 1;
}

const char *config_load_ini(struct iw_config *c, const char *path, char *err, size_t errlen)
{
	struct ini_ctx ctx = {c, err, errlen, path, 0};
	int rc = ini_parse(path, on_ini_entry, &ctx);
	if (ctx.failed) {
		/* inih reports the line of the first entry the handler refused. */
		char why[256];
		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "%s: line %d: %s", path, rc, why);
		return err;
	}
	if (rc == -1) {
		snprintf(err, errlen, "%s: cannot open", path);
		return err;
	}
	if (rc != 0) {
		snprintf(err, errlen, "%s: line %d: syntax error (expected [section] or key = value)", path, rc);
		return err;
	}
	return NULL;
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
		  {"device.wc_st", c->wc_st_entries, c->wc_ways},
		  {"nested.s2_tlb", c->s2_tlb_entries, c->s2_tlb_ways},
		  {"root.swcache", c->root_swcache_entries, c->root_swcache_entries ? c->root_swcache_entries : 1}};
	for (unsigned i = 0; i < sizeof(sa) / sizeof(sa[0]); i++) {
		if (sa[i].entries && sa[i].entries % sa[i].ways != 0) {
			snprintf(err, errlen, "%s: %llu entries is not a multiple of %llu ways", sa[i].name,
				 (unsigned long long)sa[i].entries, (unsigned long long)sa[i].ways);
			return err;
		}
	}
	if (c->host_page_kib != 4 && c->host_page_kib != 1024 && c->host_page_kib != 2097152) {
		snprintf(err, errlen, "vm.host_page_kib must be 4, 1024 or 2097152 (got %llu)",
			 (unsigned long long)c->host_page_kib);
		return err;
	}
	return NULL;
}

void config_print(const struct iw_config *c, FILE *f)
{
	fprintf(f, "# iowalk parameters (preset %s); sources and assumptions: docs/cost-model.md\n", c->preset);
	const char *section = NULL;
	size_t sect_len = 0;
	for (unsigned i = 0; i < NPARAMS; i++) {
		const struct param *p = &params[i];
		const char *dot = strrchr(p->name, '.');
		size_t sl = (size_t)(dot - p->name);
		if (!section || sl != sect_len || strncmp(section, p->name, sl) != 0) {
			fprintf(f, "\n[%.*s]\n", (int)sl, p->name);
			section = p->name;
			sect_len = sl;
		}
		fprintf(f, "%-20s = %-12llu ; %s%s%s%s\n", dot + 1, (unsigned long long)*field((struct iw_config *)c, p),
			p->help, p->unit[0] ? " [" : "", p->unit, p->unit[0] ? "]" : "");
	}
}

int config_param(const struct iw_config *c, unsigned i, const char **name, uint64_t *value)
{
	if (i >= NPARAMS)
		return 0;
	*name = params[i].name;
	*value = *field((struct iw_config *)c, &params[i]);
	return 1;
}

const char *config_load_ini_text(struct iw_config *c, const char *text, const char *label, char *err, size_t errlen)
{
	struct ini_ctx ctx = {c, err, errlen, label, 0};
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
