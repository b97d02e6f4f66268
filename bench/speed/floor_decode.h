/* floor_decode: the bare decode of a binary iowalk trace (zstd-compressed or not) the speed floors share:
 * every 40-byte record handed to on_record(p) in order, nothing checked beyond the header. Included by
 * floor.c and floor_model.c (each passes its own record function, which the compiler inlines).
 * versions: a bit mask of the format versions accepted (bit v); format: the table format a version-3 trace
 * must name (NULL: any); *version is set from the header before the first record. Returns 0, or 1 with a
 * message on stderr. */
#ifndef IOWALK_BENCH_FLOOR_DECODE_H
#define IOWALK_BENCH_FLOOR_DECODE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <zstd.h>

#include "le.h"

#define FLOOR_REC 40u

static inline int floor_decode(const char *path, unsigned versions, const char *format, unsigned *version,
			       void (*on_record)(const unsigned char *p))
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return 1;
	}
	/* As iowalk's reader: at least half the input buffer in hand (a whole zstd frame of the trace
	 * writer's), room for a frame in the output, so zstd decodes each frame straight into it. */
	static unsigned char in[1 << 20], out[(1 << 18) + (1 << 16)];
	size_t have = 0, ilen = 0, ipos = 0, zneed = 0;
	bool ieof = false;
	unsigned char magic[4];
	bool zst = fread(magic, 1, 4, f) == 4 && iw_get_le(magic, 4) == 0xFD2FB528u;
	rewind(f);
	ZSTD_DCtx *z = zst ? ZSTD_createDCtx() : NULL;
	bool header = false;
	uint64_t skip = 0;
	int rc = 0;
	for (;;) {
		if (ilen - ipos < sizeof(in) / 2 && !ieof) {
			memmove(in, in + ipos, ilen - ipos);
			ilen -= ipos;
			ipos = 0;
			size_t n = fread(in + ilen, 1, sizeof(in) - ilen, f);
			ieof = n < sizeof(in) - ilen;
			ilen += n;
		}
		if (ipos == ilen && zneed == 0) /* all read, every frame decoded and given out */
			break;
		size_t got;
		if (z) {
			ZSTD_inBuffer zi = {in, ilen, ipos};
			ZSTD_outBuffer zo = {out + have, sizeof(out) - have, 0};
			bool no_input = ipos == ilen;
			zneed = ZSTD_decompressStream(z, &zo, &zi);
			if (ZSTD_isError(zneed) || (no_input && zo.pos == 0)) {
				fprintf(stderr, "%s: bad or truncated zstd stream\n", path);
				rc = 1;
				break;
			}
			ipos = zi.pos;
			got = zo.pos;
		} else {
			got = ilen - ipos < sizeof(out) - have ? ilen - ipos : sizeof(out) - have;
			memcpy(out + have, in + ipos, got);
			ipos += got;
		}
		have += got;
		size_t pos = 0;
		if (!header && have >= 40) {
			uint64_t v = iw_get_le(out + 8, 4);
			if (memcmp(out, "IOWALKTR", 8) != 0 || v > 31 || !(versions >> v & 1)) {
				fprintf(stderr, "%s: not a binary iowalk trace of an accepted version\n", path);
				rc = 1;
				break;
			}
			skip = 32 + iw_get_le(out + 20, 4);
			if (v == 3) { /* the table format's name: its length after the trace's name */
				uint64_t flen = have >= skip + 4 ? iw_get_le(out + skip, 4) : 0;
				if (!flen || flen > 31 || have < skip + 4 + flen) {
					fprintf(stderr, "%s: header cut short\n", path);
					rc = 1;
					break;
				}
				if (format && (strlen(format) != flen || memcmp(out + skip + 4, format, flen) != 0)) {
					fprintf(stderr, "%s: a trace of table format '%.*s', not %s\n", path, (int)flen,
						(const char *)out + skip + 4, format);
					rc = 1;
					break;
				}
				skip += 4 + flen;
			}
			*version = (unsigned)v;
			header = true;
		}
		if (header && skip) {
			size_t k = skip < have ? (size_t)skip : have;
			pos += k;
			skip -= k;
		}
		while (header && !skip && have - pos >= FLOOR_REC) {
			on_record(out + pos);
			pos += FLOOR_REC;
		}
		memmove(out, out + pos, have - pos);
		have -= pos;
	}
	fclose(f);
	ZSTD_freeDCtx(z);
	return rc;
}

#endif
