/* cli: the `iowalk` command-line front end; one function per top-level command. */
#ifndef IOWALK_CLI_CLI_H
#define IOWALK_CLI_CLI_H

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

/* Parses and checks a sweep spec given as text (for tests and fuzzing). NULL or the reason. */
const char *sweep_spec_check_text(const char *text, char *err, size_t errlen);

/* The strategies a run replays, from "all" (every strategy of the registry, in its order) or a comma-
 * separated list of names (blanks around a name are ignored); each name once. 0, or -1 and the reason. */
int cli_parse_strategies(const char *list, struct engine_opts *o, char *err, size_t errlen);
/* The registry's strategy names, in its order, separated by sep (a static buffer). */
const char *cli_strategy_names(const char *sep);

/* Prints "iowalk: <msg>" to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
