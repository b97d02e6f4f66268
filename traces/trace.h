/* trace: the iowalk trace format, versions 1 and 2 (docs/trace-format.md): records, streaming readers, atomic writers.
 * Notes:
 *  - Two encodings with one meaning: line-oriented text and fixed-size little-endian binary records;
 *    either may be zstd-compressed, detected by content (magic number), not by file name.
 *  - Readers stream with bounded memory and validate every record (kind, time order, lengths, overflow,
 *    alignment) with the file name, record number, line or byte offset, and the reason.
 */
#ifndef IOWALK_SIM_TRACE_H
#define IOWALK_SIM_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define TRACE_FORMAT_VERSION 3u           /* the newest version: readers read 1, 2 and 3 */
#define TRACE_FORMAT_V1 1u                /* one PCI function: MAP, UNMAP and RPCIT name none */
#define TRACE_FORMAT_V2 2u                /* several PCI functions, s390 IOAT tables */
#define TRACE_FORMAT_V3 3u                /* version 2 whose header names its table format */
#define TRACE_TABLE_FORMAT_MAX 31u        /* a table format's name: [a-z0-9-], 1..31 bytes */
#define TRACE_TABLE_FORMAT_S390 "s390-ioat" /* the table format of versions 1 and 2 */
#define TRACE_BIN_MAGIC "IOWALKTR"       /* 8 bytes at offset 0 of a binary trace */
#define TRACE_BIN_RECORD_BYTES 40u
#define TRACE_BIN_HEADER_FIXED_BYTES 32u  /* before the name */
#define TRACE_NAME_MAX 255u
#define TRACE_COUNT_UNKNOWN UINT64_MAX
#define TRACE_PAGE_SIZE 4096u             /* the only page size of format v1 (s390 IO page) */

enum trace_kind {
	TRACE_IOAT = 1,    /* dev, a = guest table origin (gpa), flags = levels 3..5 */
	TRACE_MEMSLOT = 2, /* id, a = base_gfn, b = npages, c = userspace hva */
	TRACE_MAP = 3,     /* a = iova, b = gpa, c = len_bytes, flags = prot (TRACE_PROT_*) */
	TRACE_UNMAP = 4,   /* a = iova, c = len_bytes */
	TRACE_RPCIT = 5,   /* a = iova, c = len_bytes */
	TRACE_DMA = 6,     /* dev, a = iova, c = len_bytes, flags = TRACE_DMA_READ or TRACE_DMA_WRITE */
	TRACE_KIND_MAX = TRACE_DMA
};

/* MAP protection: what the device may do. s390 has no write-only IO mapping (read is implied). */
#define TRACE_PROT_READ 1u
#define TRACE_PROT_WRITE 2u
#define TRACE_PROT_RW (TRACE_PROT_READ | TRACE_PROT_WRITE)
/* RPCIT (version 3): what the guest's invalidation covers (bits 0-1) and its leaf-only hint (bit 2): a range
 * of pages (0, every version), its whole address space (domain), or every address space (global); leaf:
 * only leaf entries change, the walk caches may stay (VT-d's IH). A domain or global record's IOVA and LEN
 * are kept by the format's rules and ignored. */
#define TRACE_INVAL_DOMAIN 1u
#define TRACE_INVAL_GLOBAL 2u
#define TRACE_INVAL_SCOPE 3u
#define TRACE_INVAL_LEAF 4u
/* DMA direction, from the device's point of view. */
#define TRACE_DMA_READ 1u  /* device reads memory (DMA_TO_DEVICE) */
#define TRACE_DMA_WRITE 2u /* device writes memory (DMA_FROM_DEVICE) */

struct trace_rec {
	uint64_t time_cycles; /* non-decreasing along the trace */
	uint8_t kind;         /* enum trace_kind */
	uint8_t flags;        /* prot (MAP), direction (DMA), levels (IOAT), scope and hint (RPCIT, v3); else 0 */
	uint16_t dev;         /* PCI function (IOAT, DMA; MAP, UNMAP, RPCIT from v2); 0 otherwise */
	uint32_t id;          /* memslot id (MEMSLOT); 0 otherwise */
	uint64_t a, b, c;     /* see enum trace_kind */
};

/* Typed record constructors, one per kind (what generators and converters build records with). */
/* MAP, UNMAP and RPCIT of function 0 (the only one of a version-1 trace); trace_rec_fn() names another. */
static inline struct trace_rec trace_rec_map(uint64_t t, uint64_t iova, uint64_t gpa, uint64_t len, bool readonly)
{
	return (struct trace_rec){.time_cycles = t, .kind = TRACE_MAP, .flags = readonly ? TRACE_PROT_READ : TRACE_PROT_RW,
				  .a = iova, .b = gpa, .c = len};
}
static inline struct trace_rec trace_rec_unmap(uint64_t t, uint64_t iova, uint64_t len)
{
	return (struct trace_rec){.time_cycles = t, .kind = TRACE_UNMAP, .a = iova, .c = len};
}
static inline struct trace_rec trace_rec_rpcit(uint64_t t, uint64_t iova, uint64_t len)
{
	return (struct trace_rec){.time_cycles = t, .kind = TRACE_RPCIT, .a = iova, .c = len};
}
static inline struct trace_rec trace_rec_fn(struct trace_rec r, uint16_t fn)
{
	r.dev = fn;
	return r;
}
static inline struct trace_rec trace_rec_dma(uint64_t t, uint16_t dev, uint64_t iova, uint64_t len, bool write)
{
	return (struct trace_rec){.time_cycles = t, .kind = TRACE_DMA, .flags = write ? TRACE_DMA_WRITE : TRACE_DMA_READ,
				  .dev = dev, .a = iova, .c = len};
}
static inline struct trace_rec trace_rec_memslot(uint64_t t, uint32_t id, uint64_t base_gfn, uint64_t npages, uint64_t hva)
{
	return (struct trace_rec){.time_cycles = t, .kind = TRACE_MEMSLOT, .id = id, .a = base_gfn, .b = npages, .c = hva};
}
static inline struct trace_rec trace_rec_ioat(uint64_t t, uint16_t dev, uint64_t origin, unsigned levels)
{
	return (struct trace_rec){.time_cycles = t, .kind = TRACE_IOAT, .flags = (uint8_t)levels, .dev = dev, .a = origin};
}

struct trace_header {
	uint32_t version;
	uint32_t page_size;
	uint64_t record_count; /* TRACE_COUNT_UNKNOWN if the writer did not know it */
	char name[TRACE_NAME_MAX + 1];
	/* The table format its records are of (version 3 names it; 1 and 2 are TRACE_TABLE_FORMAT_S390).
	 * A writer given an empty one writes TRACE_TABLE_FORMAT_S390 in a version-3 header. */
	char format[TRACE_TABLE_FORMAT_MAX + 1];
};

/* NULL, or why name cannot be a table format's name. */
const char *trace_table_format_check(const char *name);

enum trace_encoding { TRACE_ENC_TEXT = 0, TRACE_ENC_BINARY = 1 };

const char *trace_kind_name(unsigned kind); /* "MAP", ...; "?" if unknown */

/* A zstd-compressed trace may decompress to at most this many times its compressed size (past the first
 * 64 MiB); real traces compress 5-50x. The environment variable IOWALK_ZSTD_MAX_RATIO raises it. */
#define TRACE_ZSTD_MAX_RATIO 1000
#define TRACE_ZSTD_MAX_RATIO_TEXT "1000"

/* The largest record time: simulated time may run past a record's time by the replay's stalls and the
 * latencies of the work it starts; 2^62 leaves 3 x 2^62 cycles (about 28 years at 5.2 GHz) for them. */
#define TRACE_MAX_TIME (1ull << 62)

/* NULL, or why name (len bytes) cannot be a trace's name: longer than TRACE_NAME_MAX, a control byte,
 * '#', or invalid UTF-8. */
const char *trace_name_check(const char *name, size_t len);
/* Replaces every byte a name may not hold (and any non-ASCII byte) with '?'. */
void trace_name_sanitize(char *name);

/* Checks one record on its own (not time order). Returns NULL or a static reason. */
const char *trace_rec_check(const struct trace_rec *r);

struct trace_reader;
/* Opens FILE ("-" for stdin). NULL on failure with the reason in err (errlen bytes). */
struct trace_reader *trace_open(const char *path, char *err, size_t errlen);
/* Reads from an open stream (closed by trace_close, or here when the open fails); label names it in
 * messages. */
struct trace_reader *trace_open_stream(FILE *fp, const char *label, char *err, size_t errlen);
/* For progress: the bytes of the file the reader has used so far (compressed bytes for a zstd trace, those
 * read ahead not counted) and its size.
 * 1, or 0 when the input is not a regular file (a pipe, stdin, memory). */
int trace_reader_position(const struct trace_reader *tr, uint64_t *done, uint64_t *total);
/* 1: a record in *out; 0: end of trace; -1: error, see trace_error(). */
int trace_next(struct trace_reader *tr, struct trace_rec *out);
const char *trace_error(const struct trace_reader *tr);
const struct trace_header *trace_reader_header(const struct trace_reader *tr);
enum trace_encoding trace_reader_encoding(const struct trace_reader *tr);
bool trace_reader_compressed(const struct trace_reader *tr);
/* FNV-1a 64 over the canonical binary form of every record returned so far (encoding-independent). */
uint64_t trace_reader_hash(const struct trace_reader *tr);
void trace_close(struct trace_reader *tr);

/* A trace read whole into memory, its records checked once: replayed by trace_open_memory() as often as
 * wanted without reading or decompressing it again (runs of one trace under many configurations). */
struct trace_memory;
/* Reads every record left in tr into memory: the memory, or NULL with the reason in err when the trace
 * holds more than max_records records (*too_big set), fails to read (tr's error) or memory runs out. tr
 * stays open. */
struct trace_memory *trace_memory_load(struct trace_reader *tr, uint64_t max_records, bool *too_big, char *err,
				       size_t errlen);
/* A reader of m (which must outlive it): the header, encoding, records and hash tr gave; label names it. */
struct trace_reader *trace_open_memory(const struct trace_memory *m, const char *label, char *err, size_t errlen);
uint64_t trace_memory_records(const struct trace_memory *m);
const struct trace_header *trace_memory_header(const struct trace_memory *m);
void trace_memory_free(struct trace_memory *m);

struct trace_writer;
/* Writes to a temporary file next to path, renamed onto path by trace_writer_commit(). */
struct trace_writer *trace_writer_open(const char *path, enum trace_encoding enc, bool zstd,
				       const struct trace_header *hdr, char *err, size_t errlen);
int trace_write(struct trace_writer *tw, const struct trace_rec *r); /* 0 or -1 */
/* Writes text to stdout (no temporary file); used by `trace cat`. */
struct trace_writer *trace_writer_stdout(const struct trace_header *hdr);
int trace_writer_commit(struct trace_writer *tw, char *err, size_t errlen); /* frees tw */
void trace_writer_abort(struct trace_writer *tw);                          /* frees tw, removes temp */
/* After trace_write() failed: "PATH: write error: REASON" (or the record it could not write, and why). */
const char *trace_writer_error(const struct trace_writer *tw, char *err, size_t errlen);

/* Formats one record in the canonical text form of format `version` (no newline). Returns the length. */
int trace_rec_format(const struct trace_rec *r, unsigned version, char *buf, size_t len);
/* NULL, or why r cannot be written in format `version` (a function other than 0 in version 1). */
const char *trace_rec_version_check(const struct trace_rec *r, unsigned version);

#endif
