/* alloc: the one module that allocates memory; everything else calls it.
 * Notes:
 *  - Backed by jemalloc's non-standard API (mallocx/dallocx): the simulator's memory does not depend
 *    on the C library's allocator (sanitizer builds use the C library's, which AddressSanitizer
 *    intercepts).
 *  - Failure injection for tests: iw_alloc_fail_after(n) makes the n-th next allocation (1-based) fail.
 *    The counter is thread-local: parallel tests in threads do not disturb each other.
 */
#ifndef IOWALK_SIM_ALLOC_H
#define IOWALK_SIM_ALLOC_H

#include <stddef.h>
#include <stdint.h>

void *iw_malloc(size_t size);             /* NULL on failure or size 0 */
void *iw_calloc(size_t n, size_t size);   /* zeroed; NULL on failure or overflow */
void *iw_realloc(void *p, size_t size);   /* like realloc; on failure p is untouched */
void iw_free(void *p);                    /* NULL-safe */
/* Room for one more element in a growing array: when len == *cap, the array at *arrp (a pointer to the
 * array's pointer) of elements of `size` bytes is reallocated with twice the room (`first` elements
 * when it has none). 0, or -1 when that fails or the size would overflow (the array and *cap kept). */
int iw_grow(void *arrp, uint64_t *cap, uint64_t len, size_t size, uint64_t first);
char *iw_strdup(const char *s);

/* Test hook: fail the n-th allocation from now on (1 = the next one); 0 disables. */
void iw_alloc_fail_after(uint64_t n);

#endif
