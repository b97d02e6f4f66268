/* le: little-endian fields (the binary trace format's), read and written whatever the host's byte
 * order. A constant width compiles to one load or store. */
#ifndef IOWALK_BASE_LE_H
#define IOWALK_BASE_LE_H

#include <stdint.h>
#include <string.h>

/* The field of `bytes` (1 to 8) bytes at p. */
static inline uint64_t iw_get_le(const unsigned char *p, int bytes)
{
	uint64_t v = 0;
	memcpy(&v, p, (size_t)bytes);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v); /* the bytes read are the high ones here: reversed, they are the low ones */
#endif
	return v;
}

/* Writes the low `bytes` (1 to 8) bytes of v at p. */
static inline void iw_put_le(unsigned char *p, uint64_t v, int bytes)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	memcpy(p, &v, (size_t)bytes);
}

#endif
