/* invariant: checks of the model's invariants that an asserting build (IOWALK_INVARIANTS, on in Debug
 * builds and so in the test command's sanitizer pass) makes and a release build compiles out. A violated
 * invariant is a bug in iowalk, never bad input: it prints where and why and aborts. */
#ifndef IOWALK_SIM_INVARIANT_H
#define IOWALK_SIM_INVARIANT_H

#include <stdio.h>
#include <stdlib.h>

#ifdef IOWALK_INVARIANTS
#define IW_INVARIANTS_ON 1
#define IW_INVARIANT(cond, ...)                                                                            \
	do {                                                                                               \
		if (!(cond)) {                                                                             \
			fprintf(stderr, "iowalk: invariant violated at %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                                                      \
			fputc('\n', stderr);                                                               \
			abort();                                                                           \
		}                                                                                          \
	} while (0)
#else
#define IW_INVARIANTS_ON 0
#define IW_INVARIANT(cond, ...)                                                                            \
	do {                                                                                               \
		if (0 && (cond)) {                                                                         \
		}                                                                                          \
	} while (0)
#endif

#endif
