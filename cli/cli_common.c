/* cli_common: helpers shared by the command implementations. */
#include "cli.h"
#include "fnv.h"

#include "config.h"
#include "gen.h"
#include "models.h"

#include <errno.h>
#include <jansson.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <poll.h>

void cli_error(const char *fmt, ...)
{
	va_list ap;
	fputs("iowalk: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* The long option tok ("--name" or "--name=value", the name's length in *n) gives: the one of that name,
 * or the only one it begins (getopt_long() takes a unique prefix); NULL when none or, *several set,
 * when it begins several. */
static const struct option *long_named(const struct option *opts, const char *tok, size_t *n, bool *several)
{
	*n = strcspn(tok + 2, "=");
	*several = false;
	const struct option *hit = NULL;
	unsigned prefixed = 0;
	for (const struct option *o = opts; o->name; o++) {
		if (strncmp(o->name, tok + 2, *n) != 0)
			continue;
		if (o->name[*n] == '\0')
			return o;
		hit = o;
		prefixed++;
	}
	*several = prefixed > 1;
	return prefixed == 1 ? hit : NULL;
}

int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts, int *idx, const char *cmd)
{
	opterr = 0;
	int li = -1;
	int c = getopt_long(argc, argv, shortopts, longopts, &li);
	size_t n;
	bool several;
	/* An empty value is refused for every option: as a path it would mean the working directory or '/'
	 * ('--outdir ""' wrote into '/'), and no option means anything by it. */
	if (c == -1) {
		/* The options are over (getopt_long() has moved the operands last): an empty operand is refused
		 * as an empty value is, naming no file ('trace pack IN ""' made its output, then failed renaming it
		 * to ""; a trace "" was "cannot open: ''"). */
		for (int i = optind; i < argc; i++)
			if (!argv[i][0]) {
				cli_error("%s: an empty argument names no file (see 'iowalk %s --help')", cmd, cmd);
				return '?';
			}
		return -1;
	}
	if (c != '?' && optarg && !optarg[0]) {
		if (li >= 0)
			cli_error("%s: option '--%s' needs a non-empty value (see 'iowalk %s --help')", cmd, longopts[li].name, cmd);
		else
			cli_error("%s: option '-%c' needs a non-empty value (see 'iowalk %s --help')", cmd, c, cmd);
		return '?';
	}
	if (c != '?' && li >= 0) {
		if (idx)
			*idx = li;
		/* A prefix of several long options is refused: getopt_long() takes the first of several that
		 * share a value (gen's options) where another may have been meant. The option's text is the
		 * argument before its value, or the last one. */
		const char *tok = optarg && optind >= 2 && argv[optind - 1] == optarg && strncmp(argv[optind - 2], "--", 2) == 0
					  ? argv[optind - 2]
					  : argv[optind - 1];
		if (long_named(longopts, tok, &n, &several) || !several)
			return c;
		cli_error("%s: option '%.*s' is ambiguous (see 'iowalk %s --help')", cmd, (int)(n + 2), tok, cmd);
		return '?';
	}
	if (c != '?')
		return c;
	/* getopt_long() says what went wrong only through optopt: 0 for an unknown (or ambiguous) long
	 * option, the option's value for a long one missing its value or given one it does not take, the
	 * character for a short one. A long option's text is the argument it consumed last. */
	const char *tok = optind > 0 && optind <= argc ? argv[optind - 1] : "";
	if (strncmp(tok, "--", 2) == 0) {
		const struct option *lo = long_named(longopts, tok, &n, &several);
		if (several)
			cli_error("%s: option '%.*s' is ambiguous (see 'iowalk %s --help')", cmd, (int)(n + 2), tok, cmd);
		else if (!lo || optopt == 0 || lo->val != optopt)
			cli_error("%s: unknown option '%.*s' (see 'iowalk %s --help')", cmd, (int)(n + 2), tok, cmd);
		else if (lo->has_arg == no_argument)
			cli_error("%s: option '--%s' takes no value (see 'iowalk %s --help')", cmd, lo->name, cmd);
		else
			cli_error("%s: option '--%s' needs a value (see 'iowalk %s --help')", cmd, lo->name, cmd);
	} else if (optopt && strchr(shortopts, optopt)) {
		cli_error("%s: option '-%c' needs a value (see 'iowalk %s --help')", cmd, optopt, cmd);
	} else if (optopt > ' ' && optopt < 0x7f) {
		cli_error("%s: unknown option '-%c' (see 'iowalk %s --help')", cmd, optopt, cmd);
	} else {
		cli_error("%s: unknown option (see 'iowalk %s --help')", cmd, cmd);
	}
	return '?';
}

const char *cli_gen_kinds(void)
{
	static char buf[256];
	size_t n = 0;
	buf[0] = '\0';
	for (int k = 0; k < GEN_KIND_COUNT && n < sizeof(buf); k++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", k == 0 ? "" : k + 1 < GEN_KIND_COUNT ? ", " : " or ",
				      gen_kind_name((enum gen_kind)k));
	return buf;
}

const char *cli_strategy_names(const struct iw_model *m, const char *sep)
{
	static char buf[512];
	size_t n = 0;
	buf[0] = '\0';
	for (unsigned i = 0; m->strategy_at(i) && n < sizeof(buf); i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? sep : "", m->strategy_at(i)->name);
	return buf;
}

const char *cli_format_names(void)
{
	static char buf[512];
	size_t n = 0;
	buf[0] = '\0';
	for (unsigned i = 0; model_at(i) && n < sizeof(buf); i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? ", " : "", model_at(i)->fmt->name);
	return buf;
}

bool cli_read_once(const char *path)
{
	struct stat st;
	return path && (strcmp(path, "-") == 0 || (stat(path, &st) == 0 && !S_ISREG(st.st_mode)));
}

const struct iw_model *cli_header_model(const struct trace_header *hdr, const char *path, char *err, size_t errlen)
{
	const struct iw_model *m = model_find(hdr->format);
	if (!m)
		snprintf(err, errlen, "%s: the trace's table format '%s' is not one this build knows (%s)", path, hdr->format,
			 cli_format_names());
	return m;
}

const struct iw_model *cli_trace_model(const char *path, const char *format, char *err, size_t errlen)
{
	const struct iw_model *m;
	if (format) {
		if (!(m = model_find(format)))
			snprintf(err, errlen, "unknown table format '%s' (known: %s)", format, cli_format_names());
		return m;
	}
	if (!path || cli_read_once(path))
		return model_default(); /* the embedded trace; stdin or a pipe cannot be read twice: its header is
					   checked by the run */
	struct trace_reader *tr = trace_open(path, err, errlen);
	if (!tr)
		return NULL;
	m = cli_header_model(trace_reader_header(tr), path, err, errlen);
	trace_close(tr);
	return m;
}

int cli_parse_strategies(const char *list, const struct iw_model *m, struct engine_opts *o, char *err, size_t errlen)
{
	o->nstrategies = 0;
	o->skip_refused = false;
	if (!list || strcmp(list, "all") == 0) {
		for (unsigned i = 0; m->strategy_at(i) && i < ENGINE_MAX_STRATEGIES; i++)
			o->strategies[o->nstrategies++] = m->strategy_at(i);
		o->skip_refused = true; /* 'all': those that refuse the trace are reported as not run */
		return 0;
	}
	const char *p = list;
	while (*p) {
		/* One name: up to the next comma, without the blanks around it. */
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *a = p, *b = p + len;
		while (a < b && (*a == ' ' || *a == '\t'))
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
			b--;
		char name[64];
		if (b == a || (size_t)(b - a) >= sizeof(name)) {
			snprintf(err, errlen, "strategy list '%s': %s", list, b == a ? "an empty name" : "a name too long");
			return -1;
		}
		memcpy(name, a, (size_t)(b - a));
		name[b - a] = '\0';
		const struct strategy_ops *s = strategy_find(m, name);
		if (!s) {
			snprintf(err, errlen, "unknown strategy '%s' of table format %s (known: %s)", name, m->fmt->name,
				 cli_strategy_names(m, ", "));
			return -1;
		}
		for (unsigned i = 0; i < o->nstrategies; i++) {
			if (o->strategies[i] == s) {
				snprintf(err, errlen, "strategy '%s' named twice", name);
				return -1;
			}
		}
		if (o->nstrategies == ENGINE_MAX_STRATEGIES) {
			snprintf(err, errlen, "more than %d strategies", ENGINE_MAX_STRATEGIES);
			return -1;
		}
		o->strategies[o->nstrategies++] = s;
		p += len + (end ? 1 : 0);
		if (end && !*p) {
			snprintf(err, errlen, "strategy list '%s': an empty name", list);
			return -1;
		}
	}
	if (o->nstrategies == 0) {
		snprintf(err, errlen, "the strategy list is empty");
		return -1;
	}
	return 0;
}

int cli_build_config(struct iw_config *cfg, const struct cli_config_src *src, char *err, size_t errlen)
{
	config_defaults(cfg);
	const char *preset = src->preset ? src->preset : src->model ? src->model->default_preset : NULL;
	if (preset && config_preset(cfg, preset)) {
		snprintf(err, errlen, "unknown preset '%s' (known: %s)", preset, config_presets());
		return CLI_EXIT_USAGE;
	}
	if (src->ini && config_load_ini(cfg, src->ini, err, errlen))
		return CLI_EXIT_FAIL;
	for (unsigned i = 0; i < src->nset; i++) {
		const char *why = src->set_values ? config_set(cfg, src->set_keys[i], src->set_values[i], err, errlen)
						  : config_set_kv(cfg, src->set_keys[i], err, errlen);
		if (why)
			return CLI_EXIT_USAGE;
	}
	for (unsigned i = 0; i < src->nextra; i++)
		if (config_set(cfg, src->extra_keys[i], src->extra_values[i], err, errlen))
			return CLI_EXIT_USAGE;
	char why[512];
	if (config_validate(cfg, why, sizeof(why))) {
		snprintf(err, errlen, "config: %s", why);
		return CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
}

bool cli_stdout_reader_gone(void)
{
	struct stat st;
	if (fstat(STDOUT_FILENO, &st) < 0 || !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
		return false;
	struct pollfd p = {.fd = STDOUT_FILENO, .events = POLLOUT};
	return poll(&p, 1, 0) == 1 && (p.revents & POLLERR);
}

int cli_file_digest(const char *path, uint64_t *out)
{
	FILE *f = strcmp(path, "-") == 0 ? NULL : fopen(path, "rb");
	if (!f) {
		if (strcmp(path, "-") == 0)
			errno = EINVAL;
		return -1;
	}
	uint64_t h = FNV1A_OFFSET;
	unsigned char buf[1 << 16];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		h = fnv1a_bytes(h, buf, n);
	int err = ferror(f);
	fclose(f);
	if (err) {
		errno = EIO;
		return -1;
	}
	*out = h;
	return 0;
}

json_t *cli_json_load(const char *path, char *err, size_t errlen)
{
	json_error_t e;
	json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &e);
	if (!j) {
		if (e.line >= 1)
			snprintf(err, errlen, "%s: line %d: %s", path, e.line, e.text);
		else /* not opened, or not read: jansson's text names the file and errno's reason */
			snprintf(err, errlen, "%s", e.text);
	}
	return j;
}

int cli_mkdirs(const char *dir)
{
	char buf[4000];
	if (snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf)) {
		cli_error("%.60s...: path too long", dir);
		return -1;
	}
	for (char *p = buf + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		struct stat st;
		if (mkdir(buf, 0777) != 0 && !(errno == EEXIST && stat(buf, &st) == 0 && S_ISDIR(st.st_mode))) {
			cli_error("%s: cannot create directory: %s", buf, errno == EEXIST ? "a file of that name exists" : strerror(errno));
			return -1;
		}
		if (!(*p = c))
			return 0;
	}
}

bool cli_parent_missing(const char *cmd, const char *opt, const char *path, const char *hint)
{
	const char *slash = strrchr(path, '/');
	if (!slash || slash == path)
		return false;
	char dir[4200];
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	struct stat st;
	if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		return false;
	cli_error("%s: %s %s: the directory '%s' does not exist%s", cmd, opt, path, dir, hint ? hint : "");
	return true;
}
