/* check: a minimal test harness; assertions print the expression and both values. */
#ifndef IOWALK_TESTS_CHECK_H
#define IOWALK_TESTS_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failures;

#define CHECK(cond)                                                                                  \
	do {                                                                                         \
		if (!(cond)) {                                                                       \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);     \
			check_failures++;                                                            \
		}                                                                                    \
	} while (0)

#define CHECK_EQ_U64(a, b)                                                                          \
	do {                                                                                        \
		uint64_t va_ = (uint64_t)(a), vb_ = (uint64_t)(b);                                  \
		if (va_ != vb_) {                                                                   \
			fprintf(stderr, "%s:%d: %s == %s failed: 0x%" PRIx64 " (%" PRIu64          \
					") != 0x%" PRIx64 " (%" PRIu64 ")\n",                       \
				__FILE__, __LINE__, #a, #b, va_, va_, vb_, vb_);                    \
			check_failures++;                                                           \
		}                                                                                   \
	} while (0)

#define CHECK_STR_CONTAINS(hay, needle)                                                             \
	do {                                                                                        \
		const char *h_ = (hay), *n_ = (needle);                                             \
		if (!h_ || !strstr(h_, n_)) {                                                       \
			fprintf(stderr, "%s:%d: \"%s\" does not contain \"%s\"\n", __FILE__, __LINE__,  \
				h_ ? h_ : "(null)", n_);                                            \
			check_failures++;                                                           \
		}                                                                                   \
	} while (0)

struct check_case {
	const char *name;
	void (*fn)(void);
};

static inline int check_run(const struct check_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int before = check_failures;
		cases[i].fn();
		printf("%-40s %s\n", cases[i].name, check_failures == before ? "ok" : "FAILED");
	}
	printf("%d failure(s)\n", check_failures);
	return check_failures ? 1 : 0;
}

#define CHECK_MAIN(...)                                                                             \
	int main(void)                                                                              \
	{                                                                                           \
		static const struct check_case cases_[] = {__VA_ARGS__};                             \
		return check_run(cases_, sizeof(cases_) / sizeof(cases_[0]));                       \
	}
#define CASE(fn) {#fn, fn}

#endif
