/* cli: the `iowalk` command-line front end; one function per top-level command. */
#ifndef IOWALK_CLI_CLI_H
#define IOWALK_CLI_CLI_H

#include "config.h"
#include "engine.h"

#include <stddef.h>

/* Exit codes shared by every command. */
#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1  /* bad input, run failed, or (gate) a regression */
#define CLI_EXIT_USAGE 2 /* bad command line, or (gate) incompatible inputs */

int cli_trace(int argc, char **argv);
int cli_run(int argc, char **argv);
int cli_gate(int argc, char **argv);
int cli_sweep(int argc, char **argv);
int cli_compare(int argc, char **argv);
int cli_sensitivity(int argc, char **argv);
int cli_mrc(int argc, char **argv);
/* gnuplot running `script` after `vars` on its standard input (its output silenced): its exit status, -1
 * when it could not run; an interrupt ends it. */
int cli_run_gnuplot(const char *vars, const unsigned char *script, size_t len);

/* A report metric's direction: +1 lower is better, -1 higher is better, 0 not judged (it describes the
 * workload or the check). name is its dotted path inside a strategy, key its last component. */
int cli_metric_direction(const char *name, const char *key);

/* Parses and checks a sweep spec given as text (for tests and fuzzing). NULL or the reason. */
const char *sweep_spec_check_text(const char *text, char *err, size_t errlen);

/* The strategies a run replays, from "all" (every strategy of the registry, in its order) or a comma-
 * separated list of names (blanks around a name are ignored); each name once. 0, or -1 and the reason. */
int cli_parse_strategies(const char *list, const struct iw_model *m, struct engine_opts *o, char *err, size_t errlen);
/* The model of a trace: the one of format (when not NULL), else the one its header names (path NULL, the
 * embedded default, and a trace that cannot be read twice, stdin or a pipe (cli_read_once()): the default
 * model, checked against the header by the run). NULL with the reason in err. */
const struct iw_model *cli_trace_model(const char *path, const char *format, char *err, size_t errlen);
/* The model of the table format a trace's header names: NULL, with the reason naming path, when this
 * build knows none of that name. */
const struct iw_model *cli_header_model(const struct trace_header *hdr, const char *path, char *err, size_t errlen);
/* Whether the directory path's last component would go in is missing: said ("CMD: OPT PATH: the directory
 * 'D' does not exist" and hint), before a long run whose result could not be written at its end. */
bool cli_parent_missing(const char *cmd, const char *opt, const char *path, const char *hint);
/* mkdir -p dir: it and the directories leading to it (0, or -1 said on stderr). */
int cli_mkdirs(const char *dir);
/* A JSON file, duplicate keys refused (which one would count?): NULL with the reason in err, naming path
 * and, for a parse error, its line ("cannot open" otherwise). */
struct json_t;
struct json_t *cli_json_load(const char *path, char *err, size_t errlen);
/* Whether TRACE can be read only once: stdin ("-") or a path that is not a regular file (a pipe, as
 * <(zstdcat ...) gives, a device); a path that cannot be looked at is not (opening it says why). */
bool cli_read_once(const char *path);
/* "s390-ioat, ...": the table formats this build knows. */
const char *cli_format_names(void);
/* The registry's strategy names, in its order, separated by sep (a static buffer). */
const char *cli_strategy_names(const struct iw_model *m, const char *sep);
/* The trace generator's kinds, for messages: "nic-ring, nvme, ..., churn or vm" (a static buffer). */
const char *cli_gen_kinds(void);

/* Where a run's configuration comes from, applied in this order over the defaults: a preset, an INI
 * file, --set overrides ("key=value" strings, or keys with set_values), then extra key/value pairs (a
 * sweep point's grid values). */
struct cli_config_src {
	const char *preset, *ini;
	const struct iw_model *model; /* the trace's: its default preset when none is given (NULL: z15) */
	const char *const *set_keys, *const *set_values;
	unsigned nset;
	const char *const *extra_keys, *const *extra_values;
	unsigned nextra;
};
/* Builds and validates a configuration (shared by run and sweep): CLI_EXIT_OK, or CLI_EXIT_USAGE /
 * CLI_EXIT_FAIL (an unreadable INI file) with the reason in err. */
int cli_build_config(struct iw_config *cfg, const struct cli_config_src *src, char *err, size_t errlen);

/* Prints "iowalk: <msg>" to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Whether standard output is a pipe or socket whose reader has closed it (`iowalk ... | head`): a write
 * error there is the reader's choice to stop, a quiet exit, not an error. */
bool cli_stdout_reader_gone(void);
/* FNV-1a 64 of a file's bytes as stored (a sweep's trace file, the running executable). 0, or -1 with
 * errno ("-": EINVAL; a read error: EIO). */
int cli_file_digest(const char *path, uint64_t *out);

struct option;
/* getopt_long() for command cmd ("run", "trace gen", ...), without getopt's own messages: an unknown
 * option, one missing its value or given a value it does not take is reported as every usage error is
 * ("iowalk: CMD: ...", and where to look), and '?' returned. */
int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts, int *idx, const char *cmd);

#endif
