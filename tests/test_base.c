/* test_base: the base layer's allocator helpers (iw_grow). */
#include "alloc.h"
#include "check.h"

#include <stdint.h>

/* iw_grow() doubles the room of a full array (its first room when it has none), keeps the elements,
 * leaves a non-full array alone, and on a failed allocation or an overflowing size keeps both the array
 * and its room. */
static void test_grow(void)
{
	uint64_t *a = NULL, cap = 0, len = 0;
	for (uint64_t i = 0; i < 1000; i++) {
		uint64_t before = cap;
		CHECK(iw_grow(&a, &cap, len, sizeof(*a), 16) == 0);
		CHECK(cap == (len < before ? before : before ? 2 * before : 16));
		a[len++] = i * 7;
	}
	CHECK_EQ_U64(cap, 1024);
	for (uint64_t i = 0; i < len; i++)
		if (a[i] != i * 7) {
			CHECK_EQ_U64(a[i], i * 7);
			break;
		}
	/* Full, and the allocation fails: nothing changes. */
	while (len < cap)
		a[len++] = 1;
	uint64_t *kept = a;
	iw_alloc_fail_after(1);
	CHECK(iw_grow(&a, &cap, len, sizeof(*a), 16) == -1);
	iw_alloc_fail_after(0);
	CHECK(a == kept);
	CHECK_EQ_U64(cap, 1024);
	CHECK_EQ_U64(a[3], 21);
	/* A size that would overflow is refused without an allocation. */
	uint64_t big = (uint64_t)SIZE_MAX / 8;
	CHECK(iw_grow(&a, &big, big, 8, 16) == -1);
	CHECK_EQ_U64(big, (uint64_t)SIZE_MAX / 8);
	iw_free(a);
}

CHECK_MAIN(CASE(test_grow))
