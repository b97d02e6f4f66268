/* models: the registry of architecture models (see models.h). */
#include "models.h"

#include "s390_model.h"
#include "vtd_model.h"

#include <string.h>

/* A test may compile this file with IOWALK_EXTRA_MODEL naming one more model, registered after the others
 * exactly as a new line would be (tests/toyfmt/). */
#ifdef IOWALK_EXTRA_MODEL
extern const struct iw_model IOWALK_EXTRA_MODEL;
#define EXTRA , &IOWALK_EXTRA_MODEL
#else
#define EXTRA
#endif

static const struct iw_model *const registry[] = {&s390_ioat_model, &vtd_model EXTRA};
#define NMODELS (sizeof(registry) / sizeof(registry[0]))

const struct iw_model *model_at(unsigned i) { return i < NMODELS ? registry[i] : NULL; }

const struct iw_model *model_find(const char *name)
{
	for (unsigned i = 0; i < NMODELS; i++)
		if (strcmp(registry[i]->fmt->name, name) == 0)
			return registry[i];
	return NULL;
}

const struct iw_model *model_default(void) { return registry[0]; }
