/* fuzz_ini: the parameter INI reader and validator on arbitrary text. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct iw_config c;
	config_defaults(&c);
	char err[512];
	if (!config_load_ini_text(&c, text, "fuzz", err, sizeof(err)))
		config_validate(&c, err, sizeof(err));
	free(text);
	return 0;
}
