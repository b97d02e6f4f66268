/* decimal: a real number as the command line and option files write it, in decimal. strtod() also reads
 * hexadecimal floats ("0x10" is 16, "0x0.8" 0.5), which no option of iowalk means. */
#ifndef IOWALK_BASE_DECIMAL_H
#define IOWALK_BASE_DECIMAL_H

#include <stdlib.h>
#include <string.h>

/* strtod(s, end), except that a hexadecimal float is not read: *end is then s, as for no number. */
static inline double iw_strtod_decimal(const char *s, char **end)
{
	double v = strtod(s, end);
	if (strpbrk(s, "xX"))
		*end = (char *)s;
	return v;
}

#endif
