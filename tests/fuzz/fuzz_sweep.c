/* fuzz_sweep: the sweep-spec parser and per-point configuration checks on arbitrary text. */
#include "cli.h"

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
	char err[512];
	sweep_spec_check_text(text, err, sizeof(err));
	free(text);
	return 0;
}
