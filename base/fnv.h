/* fnv: FNV-1a 64, the project's one content hash (trace hashes, configuration and sweep hashes, file
 * digests): the same value on every machine. */
#ifndef IOWALK_BASE_FNV_H
#define IOWALK_BASE_FNV_H

#include <stddef.h>
#include <stdint.h>

#define FNV1A_OFFSET 0xcbf29ce484222325ull
#define FNV1A_PRIME 0x100000001b3ull

static inline uint64_t fnv1a_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= FNV1A_PRIME;
	}
	return h;
}

static inline uint64_t fnv1a_str(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= FNV1A_PRIME;
	}
	return h;
}

#endif
