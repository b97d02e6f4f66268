/* models: the registry of architecture models (table formats) the build knows, each with its
 * strategies. The front end picks a trace's model by the table format its header names (trace format
 * version 3; versions 1 and 2 are s390). It is the only list of models: `run --list-formats`, `trace gen
 * --format` and the parameter registration come from it. A new model is one folder and one line here. */
#ifndef IOWALK_MODELS_MODELS_H
#define IOWALK_MODELS_MODELS_H

#include "sim.h"

/* The i-th model, in registry order (s390 first: the default); NULL past the end. */
const struct iw_model *model_at(unsigned i);
/* The model whose table format is named name, or NULL. */
const struct iw_model *model_find(const char *name);
/* The model of versions 1 and 2 (s390-ioat). */
const struct iw_model *model_default(void);

#endif
