/* alloc: jemalloc-backed allocation with failure injection (see alloc.h). */
#include "alloc.h"

#include <stdlib.h>
#include <string.h>

#ifdef IOWALK_ALLOC_LIBC
/* Sanitizer builds: the C library's allocator, which AddressSanitizer intercepts, so that overflows,
 * use-after-free and leaks of the simulator's own memory are caught. */
#define mallocx(size, flags) ((flags) ? calloc(1, (size)) : malloc(size))
#define rallocx(p, size, flags) realloc((p), (size))
#define dallocx(p, flags) free(p)
#define MALLOCX_ZERO 1
#else
#include <jemalloc/jemalloc.h>
#endif

static _Thread_local uint64_t fail_countdown; /* 0: off; 1: fail the next allocation */

static int should_fail(void)
{
	if (fail_countdown == 0)
		return 0;
	if (--fail_countdown == 0)
		return 1;
	return 0;
}

void iw_alloc_fail_after(uint64_t n) { fail_countdown = n; }

void *iw_malloc(size_t size)
{
	if (size == 0 || should_fail())
		return NULL;
	return mallocx(size, 0);
}

void *iw_calloc(size_t n, size_t size)
{
	if (n == 0 || size == 0 || n > SIZE_MAX / size || should_fail())
		return NULL;
	return mallocx(n * size, MALLOCX_ZERO);
}

void *iw_realloc(void *p, size_t size)
{
	if (size == 0)
		return NULL;
	if (p == NULL)
		return iw_malloc(size);
	if (should_fail())
		return NULL;
	return rallocx(p, size, 0);
}

int iw_grow(void *arrp, uint64_t *cap, uint64_t len, size_t size, uint64_t first)
{
	if (len < *cap)
		return 0;
	uint64_t n = *cap ? *cap * 2 : first;
	if (n <= *cap || size == 0 || n > SIZE_MAX / size)
		return -1;
	void *old, *p;
	memcpy(&old, arrp, sizeof(old)); /* the caller's array pointer, whatever its element type */
	if (!(p = iw_realloc(old, (size_t)n * size)))
		return -1;
	memcpy(arrp, &p, sizeof(p));
	*cap = n;
	return 0;
}

void iw_free(void *p)
{
	if (p)
		dallocx(p, 0);
}

char *iw_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = iw_malloc(n);
	if (d)
		memcpy(d, s, n);
	return d;
}
