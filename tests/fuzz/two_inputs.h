/* two_inputs.h: what the harnesses that read two files (gate, compare, merge) share: the input split at
 * its first line that is exactly "---" into two files, the whole input in both when there is none.
 * Included by the harnesses only. */
#ifndef IOWALK_FUZZ_TWO_INPUTS_H
#define IOWALK_FUZZ_TWO_INPUTS_H

#include <stdio.h>
#include <string.h>

static int write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	fwrite(p, 1, n, f);
	return fclose(f);
}

/* The input split into files a and b. 0, or -1 when a file could not be written. */
static int write_two(const unsigned char *data, size_t size, const char *a, const char *b)
{
	size_t split = size, rest = size;
	for (size_t i = 0; i + 4 <= size; i++) {
		if ((i == 0 || data[i - 1] == '\n') && memcmp(data + i, "---\n", 4) == 0) {
			split = i;
			rest = i + 4;
			break;
		}
	}
	if (write_file(a, data, split) < 0)
		return -1;
	return rest < size ? write_file(b, data + rest, size - rest) : write_file(b, data, split);
}

#endif
