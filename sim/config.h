/* config: every simulator parameter, with defaults, named presets, an INI file and key=value overrides.
 * Notes:
 *  - The list lives in sim/params.def; each value is a u64 with a range checked at set time, and
 *    config_validate() checks what depends on several values before anything divides or shifts.
 */
#ifndef IOWALK_SIM_CONFIG_H
#define IOWALK_SIM_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct iw_config {
#define X(name, field, def, lo, hi, unit, help) uint64_t field;
#include "params.def"
#undef X
	char preset[32];
};

void config_defaults(struct iw_config *c);
/* Applies a named preset over the current values; NULL or the reason (unknown preset). */
const char *config_preset(struct iw_config *c, const char *name);
/* Sets one parameter from text; NULL or the reason (written into err). */
const char *config_set(struct iw_config *c, const char *key, const char *value, char *err, size_t errlen);
/* Parses "key=value". */
const char *config_set_kv(struct iw_config *c, const char *kv, char *err, size_t errlen);
/* Reads an INI file ([section] key = value, keys as section.key). NULL or the reason. */
const char *config_load_ini(struct iw_config *c, const char *path, char *err, size_t errlen);
/* The same from text in memory; label names it in messages. */
const char *config_load_ini_text(struct iw_config *c, const char *text, const char *label, char *err, size_t errlen);
/* Checks cross-parameter constraints. NULL or the reason. */
const char *config_validate(const struct iw_config *c, char *err, size_t errlen);
/* Prints every parameter with value, unit and help (as an INI file that config_load_ini reads back). */
void config_print(const struct iw_config *c, FILE *f);
/* Iteration for reports: i-th parameter's name and value; returns 0 past the end. */
int config_param(const struct iw_config *c, unsigned i, const char **name, uint64_t *value);
const char *config_presets(void); /* "z15, tiny" */

#endif
