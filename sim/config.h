/* config: every simulator parameter, with defaults, named presets, an INI file and key=value overrides.
 * Notes:
 *  - The engine's parameters live in sim/params.def; a model and each strategy register their own
 *    (config_register(), at program start). Each value is a u64 with a range checked at set time, and
 *    config_validate() checks what depends on several values before anything divides or shifts.
 */
#ifndef IOWALK_SIM_CONFIG_H
#define IOWALK_SIM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* A parameter a model or a strategy owns (the engine's own are in params.def). A cost or latency has a
 * plausible range (range_lo..range_hi, with its source or reasoning; 0..0 when it has none), which
 * `iowalk sensitivity` samples. */
struct iw_param {
	const char *name; /* "section.key" */
	uint64_t def, lo, hi;
	const char *unit, *help;
	uint64_t range_lo, range_hi;
	const char *range_source;
};

struct iw_config;

/* The parameters of one owner, registered once per process before configurations are built. */
struct iw_param_group {
	const char *owner; /* "s390 model", "kvm-gfn", ... (printed by --print-config) */
	const struct iw_param *params;
	unsigned n;
	/* Checks constraints between the group's values; NULL (none) or NULL/the reason in err. */
	const char *(*validate)(const struct iw_config *c, char *err, size_t errlen);
};

#define IW_MAX_EXT_PARAMS 128

struct iw_config {
#define X(name, field, def, lo, hi, unit, help) uint64_t field;
#include "params.def"
#undef X
	uint64_t ext[IW_MAX_EXT_PARAMS]; /* registered parameters, by config_index() */
	char preset[32];
};

/* Registers g (again: no effect). 0, or -1 when a name is taken or the table is full. */
int config_register(const struct iw_param_group *g);
/* Index in iw_config.ext of a registered parameter, or -1. */
int config_index(const char *name);
/* The value of a registered parameter (its default when it is not registered: a program error, caught
 * by the invariant checks). */
uint64_t config_value(const struct iw_config *c, const char *name);
/* Any parameter's value by name (the engine's or a registered one): 0, or -1 when there is none. */
int config_get(const struct iw_config *c, const char *name, uint64_t *v);

void config_defaults(struct iw_config *c);
/* Applies a named preset over the current values; NULL or the reason (unknown preset). */
const char *config_preset(struct iw_config *c, const char *name);
/* Sets one parameter from text; NULL or the reason (written into err). */
const char *config_set(struct iw_config *c, const char *key, const char *value, char *err, size_t errlen);
/* Parses "key=value". */
const char *config_set_kv(struct iw_config *c, const char *kv, char *err, size_t errlen);
/* Reads an INI file ([section] key = value, keys as section.key). NULL or the reason. */
const char *config_load_ini(struct iw_config *c, const char *path, char *err, size_t errlen);
/* Reads an INI file for parsing: a regular file (or pipe) of at most 4 MiB whose every line is short
 * enough to be read whole (libinih splits longer ones, turning the tail of a long comment into a
 * setting). NULL and *text (free()), or the reason with the file and line. */
const char *config_ini_read(const char *path, char **text, char *err, size_t errlen);
const char *config_ini_check_text(const char *text, size_t len, const char *label, char *err, size_t errlen);
/* The same from text in memory; label names it in messages. */
const char *config_load_ini_text(struct iw_config *c, const char *text, const char *label, char *err, size_t errlen);
/* Checks cross-parameter constraints. NULL or the reason. */
const char *config_validate(const struct iw_config *c, char *err, size_t errlen);
/* The parameter groups of one model and its strategies (engine.h: model_param_scope()): what a run of
 * that model reports and samples. */
#define IW_MAX_SCOPE_GROUPS 32
struct iw_param_scope {
	const struct iw_param_group *g[IW_MAX_SCOPE_GROUPS];
	unsigned n;
	const char *const *unused; /* engine parameters out of scope (NULL-terminated; NULL: none) */
};
/* Whether the parameter named name is in scope (the engine's are, but those listed unused; a NULL scope
 * holds all). */
bool config_in_scope(const struct iw_param_scope *sc, const char *name);
/* Prints every parameter in scope (NULL: all) with value, unit and help (as an INI file that
 * config_load_ini reads back). */
void config_print(const struct iw_config *c, FILE *f, const struct iw_param_scope *sc);
/* Iteration for reports: i-th parameter's name and value; returns 0 past the end. */
int config_param(const struct iw_config *c, unsigned i, const char **name, uint64_t *value);
const char *config_presets(void); /* "z15, tiny" */
/* The i-th parameter that has a plausible range (engine first, then the registered ones): its name,
 * default and range with the source. 0 past the end. */
int config_range(unsigned i, const char **name, uint64_t *def, uint64_t *lo, uint64_t *hi, const char **source);
/* The i-th discrete modelling assumption (sim/choices.def): a parameter's name, its values (the first
 * its default; at most CONFIG_MAX_CHOICE_VALUES) and the reason it is an assumption. 0 past the end. */
#define CONFIG_MAX_CHOICE_VALUES 8
int config_choice(unsigned i, const char **name, uint64_t *values, unsigned *nvalues, const char **source);

#endif
