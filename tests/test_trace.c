/* test_trace: trace format v1 readers and writers. */
#define _GNU_SOURCE /* fopencookie: a stream whose reads fail on purpose */
#include "check.h"
#include "trace.h"

#include <errno.h>
#include <unistd.h>
#include <zstd.h>

static char tmpdir[] = "/tmp/iowalk-test-trace-XXXXXX";

static void write_file(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	CHECK(f != NULL);
	if (!f)
		return;
	CHECK(fwrite(data, 1, n, f) == n);
	fclose(f);
}

static const char *tmp(const char *name)
{
	static char buf[4][256];
	static int i;
	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmpdir, name);
	return buf[i];
}

/* Opens text, reads all records; returns the error message (static) or NULL when valid. */
static const char *read_all_text(const char *text, uint64_t *nrec)
{
	static char err[512];
	const char *p = tmp("in.txt");
	write_file(p, text, strlen(text));
	struct trace_reader *tr = trace_open(p, err, sizeof(err));
	if (!tr)
		return err;
	struct trace_rec r;
	int rc;
	uint64_t n = 0;
	while ((rc = trace_next(tr, &r)) == 1)
		n++;
	if (nrec)
		*nrec = n;
	if (rc < 0) {
		snprintf(err, sizeof(err), "%s", trace_error(tr));
		trace_close(tr);
		return err;
	}
	trace_close(tr);
	return NULL;
}

static const char sample[] =
	"%iowalk-trace 1\n"
	"%name unit sample\n"
	"# a comment line\n"
	"0 MEMSLOT 0 0x0 0x40000 0x3ff000000000\n"
	"0 IOAT 0 0x100000 3\n"
	"10 MAP 0x100000000 0x2000000 0x2000 rw   # trailing comment\n"
	"20 RPCIT 0x100000000 0x2000\n"
	"30 DMA 1 0x100000010 64 w\n"
	"40 DMA 1 0x100001000 4096 r\n"
	"50 UNMAP 0x100000000 8192\n"
	"60 MAP 0x100000000 0x3000 0x1000 r\n";

static void test_parse_sample(void)
{
	uint64_t n = 0;
	const char *e = read_all_text(sample, &n);
	CHECK(e == NULL);
	CHECK_EQ_U64(n, 8);
}

static void test_fields(void)
{
	char err[256];
	const char *p = tmp("f.txt");
	write_file(p, sample, strlen(sample));
	struct trace_reader *tr = trace_open(p, err, sizeof(err));
	CHECK(tr != NULL);
	if (!tr)
		return;
	CHECK(strcmp(trace_reader_header(tr)->name, "unit sample") == 0);
	struct trace_rec r;
	CHECK(trace_next(tr, &r) == 1);
	CHECK_EQ_U64(r.kind, TRACE_MEMSLOT);
	CHECK_EQ_U64(r.b, 0x40000);
	CHECK_EQ_U64(r.c, 0x3ff000000000ull);
	CHECK(trace_next(tr, &r) == 1);
	CHECK_EQ_U64(r.kind, TRACE_IOAT);
	CHECK_EQ_U64(r.a, 0x100000);
	CHECK_EQ_U64(r.flags, 3);
	CHECK(trace_next(tr, &r) == 1);
	CHECK_EQ_U64(r.kind, TRACE_MAP);
	CHECK_EQ_U64(r.time_cycles, 10);
	CHECK_EQ_U64(r.a, 0x100000000ull);
	CHECK_EQ_U64(r.b, 0x2000000);
	CHECK_EQ_U64(r.c, 0x2000);
	CHECK_EQ_U64(r.flags, TRACE_PROT_RW);
	CHECK(trace_next(tr, &r) == 1);
	CHECK(trace_next(tr, &r) == 1);
	CHECK_EQ_U64(r.kind, TRACE_DMA);
	CHECK_EQ_U64(r.dev, 1);
	CHECK_EQ_U64(r.c, 64);
	CHECK_EQ_U64(r.flags, TRACE_DMA_WRITE);
	trace_close(tr);
}

struct reject_case {
	const char *text;
	const char *expect;
};

static void test_text_rejections(void)
{
	static const struct reject_case cases[] = {
		{"0 FOO 1 2\n", "line 1 (record 1): unknown record kind 'FOO'"},
		{"5 RPCIT 0x1000 0x1000\n4 RPCIT 0x1000 0x1000\n", "line 2 (record 2): time 4 is before"},
		{"0 MAP 0x1000 0x1000 0 rw\n", "len is 0"},
		{"0 RPCIT 0xfffffffffffff000 0x2000\n", "iova + len overflows"},
		{"0 DMA 0 0xffffffffffffffff 2 r\n", "iova + len overflows"},
		{"0 MAP 0x1000 0x1000 0x1000 x\n", "MAP prot 'x': expected r or rw"},
		{"0 MAP 0x1000 0x1000 0x1000\n", "MAP takes 4 fields in format v1, got 3"},
		{"%iowalk-trace 2\n0 MAP 0x1000 0x1000 0x1000 rw\n", "MAP takes 5 fields in format v2, got 4"},
		{"%iowalk-trace 2\n0 RPCIT 65536 0x1000 0x1000\n", "function '65536' of RPCIT: expected a number 0..65535"},
		{"0 MAP 0x1001 0x1000 0x1000 rw\n", "multiples of 4096"},
		{"0 DMA 0 0x1000 8 x\n", "expected r or w"},
		{"zz MAP 0 0 0 rw\n", "bad time 'zz'"},
		{"0 UNMAP 0x1000 99999999999999999999999\n", "does not fit in 64 bits"},
		{"0 IOAT 0 0x4000 6\n", "IOAT levels must be 3, 4 or 5"},
		{"0 MEMSLOT 0 0 0 0\n", "MEMSLOT npages is 0"},
		{"%iowalk-trace 4\n", "unsupported format version"},
		{"%iowalk-trace 3\n0 MEMSLOT 0 0 1 0\n", "a version-3 trace names its table format"},
		{"%format s390-ioat\n%iowalk-trace 3\n", "%format needs version 3"},
		{"%iowalk-trace 3\n%format S390\n", "only a-z, 0-9 and '-'"},
		{"%iowalk-trace 3\n%format a23456789012345678901234567890123\n", "1 to 31 bytes"},
		{"0 RPCIT 0x1000 0x1000\n%name late\n", "header directive after the first record"},
		{"%bogus\n", "unknown header directive"},
		{"%page_size 8192\n", "line 1: page_size must be 4096"},
		{"%name caf\xc3\n", "invalid UTF-8"},
		{"0\n", "line 1 (record 1): expected 'TIME KIND ...'"},
		{"0 RPCIT 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20\n", "RPCIT takes 2 fields in format v1, got more than 6"},
		{"0 RPCIT 1 2 3 4 5 6\n", "RPCIT takes 2 fields in format v1, got 6"},
		{"0 IOAT 0 0x4001 3\n", "IOAT origin must be 16 KiB aligned"},
		{"0 IOAT 65536 0x4000 3\n", "IOAT function or levels out of range"},
		{"0 MEMSLOT 4294967296 0 1 0\n", "MEMSLOT id does not fit 32 bits"},
		{"0 MEMSLOT 0 0xfffffffffffff 2 0\n", "MEMSLOT base_gfn + npages overflows"},
		{"0 MEMSLOT 0 0 1 0x1001\n", "MEMSLOT hva must be 4 KiB aligned"},
		{"0 MEMSLOT 0 0 2 0xfffffffffffff000\n", "MEMSLOT hva + size overflows"},
		{"0 MAP 0x1000 0x1001 0x1000 rw\n", "MAP gpa must be 4 KiB aligned"},
		{"0 MAP 0x1000 0xfffffffffffff000 0x2000 rw\n", "gpa + len overflows 2^64"},
		{"0 DMA 65536 0x1000 8 r\n", "DMA dev does not fit 16 bits"},
		/* An RPCIT's scope word is version 3's; one word at most, of the known ones. */
		{"%iowalk-trace 2\n0 RPCIT 0 0x1000 0x1000 domain\n", "RPCIT takes 3 fields in format v2, got 4"},
		{"%iowalk-trace 3\n%format vtd\n0 RPCIT 0 0x1000 0x1000 range\n", "RPCIT scope 'range': expected page, domain or global"},
		{"%iowalk-trace 3\n%format vtd\n0 RPCIT 0 0x1000 0x1000 domain,all\n", "RPCIT hint 'all': expected leaf"},
		{"%iowalk-trace 3\n%format vtd\n0 RPCIT 0 0x1000 0x1000 domain leaf\n", "RPCIT takes 3 fields in format v3, got 5"},
		{"%iowalk-trace 3\n%format vtd\n0 UNMAP 0 0x1000 0x1000 domain\n", "UNMAP takes 3 fields in format v3, got 4"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *e = read_all_text(cases[i].text, NULL);
		CHECK(e != NULL);
		CHECK_STR_CONTAINS(e, cases[i].expect);
	}
	/* A NUL byte, and a line longer than the reader's bound (4095 bytes), are refused with their line. */
	const char *p = tmp("nul.txt");
	write_file(p, "0 RPCIT 0x1000 0x1000\n0 RP\0CIT 0x1000 0x1000\n", 45);
	struct trace_reader *tr = trace_open(p, NULL, 0);
	struct trace_rec r;
	CHECK(tr && trace_next(tr, &r) == 1 && trace_next(tr, &r) < 0);
	if (tr) {
		CHECK_STR_CONTAINS(trace_error(tr), "line 2: NUL byte in a text trace");
		trace_close(tr);
	}
	static char longline[5000];
	memset(longline, ' ', sizeof(longline) - 2);
	memcpy(longline, "0 RPCIT 0x1000 0x1000 #", 23);
	longline[sizeof(longline) - 2] = '\n';
	const char *e = read_all_text(longline, NULL);
	CHECK(e != NULL);
	CHECK_STR_CONTAINS(e, "line 1: line longer than 4095 bytes");
}

static void roundtrip(int zstd)
{
	char err[512];
	const char *in = tmp("rt.txt"), *bin = tmp(zstd ? "rt.bin.zst" : "rt.bin");
	write_file(in, sample, strlen(sample));
	struct trace_reader *tr = trace_open(in, err, sizeof(err));
	CHECK(tr != NULL);
	if (!tr)
		return;
	struct trace_writer *tw =
		trace_writer_open(bin, TRACE_ENC_BINARY, zstd, trace_reader_header(tr), err, sizeof(err));
	CHECK(tw != NULL);
	struct trace_rec r[16];
	int n = 0;
	while (n < 16 && trace_next(tr, &r[n]) == 1)
		CHECK(trace_write(tw, &r[n++]) == 0);
	uint64_t h1 = trace_reader_hash(tr);
	trace_close(tr);
	CHECK(trace_writer_commit(tw, err, sizeof(err)) == 0);

	tr = trace_open(bin, err, sizeof(err));
	CHECK(tr != NULL);
	if (!tr)
		return;
	CHECK(trace_reader_encoding(tr) == TRACE_ENC_BINARY);
	CHECK(trace_reader_compressed(tr) == (zstd != 0));
	CHECK(strcmp(trace_reader_header(tr)->name, "unit sample") == 0);
	CHECK_EQ_U64(trace_reader_header(tr)->record_count, zstd ? TRACE_COUNT_UNKNOWN : (uint64_t)n);
	struct trace_rec q;
	for (int i = 0; i < n; i++) {
		CHECK(trace_next(tr, &q) == 1);
		CHECK(memcmp(&q, &r[i], sizeof(q)) == 0);
	}
	CHECK(trace_next(tr, &q) == 0);
	CHECK_EQ_U64(trace_reader_hash(tr), h1);
	trace_close(tr);
}

/* DMA record i of the test traces: at cycle i * 100, device and page from a 64-bit LCG (*x, advanced). */
static struct trace_rec test_dma(int i, uint64_t *x)
{
	*x = *x * 6364136223846793005ull + 1442695040888963407ull;
	return (struct trace_rec){.time_cycles = (uint64_t)i * 100, .kind = TRACE_DMA, .flags = TRACE_DMA_READ,
				  .dev = (uint16_t)(*x >> 60), .a = (*x >> 20) << 12, .c = 4096};
}

/* Writes n test_dma() records to path (enc, zstd) and reads the file back into buf (cap bytes): its
 * length, 0 on failure (checked). */
static size_t write_test_dmas(const char *path, enum trace_encoding enc, bool zstd, int n, unsigned char *buf, size_t cap)
{
	char err[512];
	struct trace_header hdr = {.version = 1};
	struct trace_writer *tw = trace_writer_open(path, enc, zstd, &hdr, err, sizeof(err));
	CHECK(tw != NULL);
	if (!tw)
		return 0;
	uint64_t x = 1;
	for (int i = 0; i < n; i++) {
		struct trace_rec r = test_dma(i, &x);
		CHECK(trace_write(tw, &r) == 0);
	}
	CHECK(trace_writer_commit(tw, err, sizeof(err)) == 0);
	FILE *f = fopen(path, "rb");
	CHECK(f != NULL);
	if (!f)
		return 0;
	size_t len = fread(buf, 1, cap, f);
	fclose(f);
	CHECK(len > 0 && len < cap);
	return len < cap ? len : 0;
}

/* A compressed trace longer than a frame: written as several independent zstd frames (each with its
 * size in its header, so the reader decodes each straight into its buffer), read back record for record;
 * cut inside a frame, it is refused as truncated after the records of the frames before. */
static void test_zstd_frames(void)
{
	char err[512];
	const char *path = tmp("frames.bin.zst");
	const int n = 40000; /* 1.6 MB of records: several 256 KiB frames */
	static unsigned char buf[4 << 20];
	size_t len = write_test_dmas(path, TRACE_ENC_BINARY, true, n, buf, sizeof(buf));
	if (!len)
		return;
	unsigned frames = 0;
	size_t third = 0;
	for (size_t off = 0; off < len; frames++) {
		size_t k = ZSTD_findFrameCompressedSize(buf + off, len - off);
		CHECK(!ZSTD_isError(k));
		if (ZSTD_isError(k))
			return;
		CHECK(ZSTD_getFrameContentSize(buf + off, len - off) <= 256 * 1024);
		if (frames == 2)
			third = off;
		off += k;
	}
	CHECK(frames >= 6);
	struct trace_reader *tr = trace_open(path, err, sizeof(err));
	CHECK(tr != NULL);
	if (!tr)
		return;
	uint64_t x = 1;
	struct trace_rec q;
	for (int i = 0; i < n; i++) {
		struct trace_rec want = test_dma(i, &x);
		CHECK(trace_next(tr, &q) == 1);
		CHECK(q.time_cycles == want.time_cycles && q.dev == want.dev && q.a == want.a);
	}
	CHECK(trace_next(tr, &q) == 0);
	trace_close(tr);
	/* Cut 100 bytes into the third frame: the first two frames' records (2 x 256 KiB, less the header)
	 * are read, then the cut is an error. */
	write_file(tmp("cut.bin.zst"), buf, third + 100);
	tr = trace_open(tmp("cut.bin.zst"), err, sizeof(err));
	CHECK(tr != NULL);
	if (!tr)
		return;
	uint64_t got = 0;
	int rc;
	while ((rc = trace_next(tr, &q)) == 1)
		got++;
	CHECK(rc < 0);
	CHECK(got >= (2 * 256 * 1024 - 32) / 40);
	CHECK_STR_CONTAINS(trace_error(tr), "truncated");
	trace_close(tr);
}

/* A stream that gives data[0..fail_at) and then fails with EIO (fail_at > len: ends at len). */
struct failing {
	const unsigned char *data;
	size_t len, pos, fail_at;
};

static ssize_t failing_read(void *cookie, char *buf, size_t n)
{
	struct failing *f = cookie;
	if (f->pos >= f->fail_at) {
		errno = EIO;
		return -1;
	}
	size_t k = f->len - f->pos;
	if (k > f->fail_at - f->pos)
		k = f->fail_at - f->pos;
	if (k > n)
		k = n;
	memcpy(buf, f->data + f->pos, k);
	f->pos += k;
	return (ssize_t)k;
}

/* Reads the stream to its end: the records read, *rc the last trace_next(), *msg its error. */
static uint64_t read_failing(struct failing *f, int *rc, char *msg, size_t msglen)
{
	cookie_io_functions_t io = {.read = failing_read};
	FILE *fp = fopencookie(f, "r", io);
	CHECK(fp != NULL);
	if (!fp)
		return 0;
	struct trace_reader *tr = trace_open_stream(fp, "failing", msg, msglen); /* it owns fp */
	if (!tr) {
		*rc = -2;
		return 0;
	}
	struct trace_rec r;
	uint64_t n = 0;
	while ((*rc = trace_next(tr, &r)) == 1)
		n++;
	snprintf(msg, msglen, "%s", *rc < 0 ? trace_error(tr) : "");
	trace_close(tr);
	return n;
}

/* A read error in the middle of a trace is an error that says so, in every encoding: not the trace's
 * end (text: a shorter trace, silently), nor a cut record or zstd frame. */
static void test_read_errors(void)
{
	static const struct {
		enum trace_encoding enc;
		bool zstd;
		const char *name;
	} kinds[] = {{TRACE_ENC_TEXT, false, "re.txt"}, {TRACE_ENC_BINARY, false, "re.bin"}, {TRACE_ENC_BINARY, true, "re.bin.zst"}};
	for (unsigned kind = 0; kind < 3; kind++) {
		/* zstd: more than the reader's first 1 MiB of compressed input, so the error comes mid-stream */
		const int n = kinds[kind].zstd ? 300000 : 40000;
		static unsigned char data[4 << 20];
		size_t len = write_test_dmas(tmp(kinds[kind].name), kinds[kind].enc, kinds[kind].zstd, n, data, sizeof(data));
		CHECK(len > 4096);
		if (!len)
			return;
		/* The stream as such: every record. */
		struct failing whole = {.data = data, .len = len, .fail_at = len + 1};
		int rc;
		char msg[512];
		CHECK_EQ_U64(read_failing(&whole, &rc, msg, sizeof(msg)), n);
		CHECK(rc == 0);
		/* Failing half way: an error naming the read error, after some records (not at the open). */
		struct failing half = {.data = data, .len = len, .fail_at = len / 2};
		uint64_t got = read_failing(&half, &rc, msg, sizeof(msg));
		CHECK(rc == -1 && got < (uint64_t)n);
		CHECK_STR_CONTAINS(msg, "read error after");
		CHECK_STR_CONTAINS(msg, strerror(EIO));
		/* Failing at once: the open says so. */
		struct failing none = {.data = data, .len = len, .fail_at = 0};
		read_failing(&none, &rc, msg, sizeof(msg));
		CHECK(rc == -2);
		CHECK_STR_CONTAINS(msg, "read error");
	}
}

static void test_roundtrip_binary(void) { roundtrip(0); }
static void test_roundtrip_zstd(void) { roundtrip(1); }

static const char *bin_error(const unsigned char *data, size_t n)
{
	static char err[512];
	const char *p = tmp("bad.bin");
	write_file(p, data, n);
	struct trace_reader *tr = trace_open(p, err, sizeof(err));
	if (!tr)
		return err;
	struct trace_rec r;
	int rc;
	while ((rc = trace_next(tr, &r)) == 1)
		;
	if (rc == 0) {
		trace_close(tr);
		return NULL;
	}
	snprintf(err, sizeof(err), "%s", trace_error(tr));
	trace_close(tr);
	return err;
}

static void le(unsigned char *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static size_t make_bin(unsigned char *buf, uint32_t version, uint64_t count, int nrec)
{
	memcpy(buf, "IOWALKTR", 8);
	le(buf + 8, version, 4);
	le(buf + 12, 40, 4);
	le(buf + 16, 4096, 4);
	le(buf + 20, 0, 4);
	le(buf + 24, count, 8);
	size_t off = 32;
	for (int i = 0; i < nrec; i++) {
		memset(buf + off, 0, 40);
		le(buf + off, (uint64_t)i * 10, 8);
		buf[off + 8] = TRACE_RPCIT;
		le(buf + off + 16, 0x1000, 8);
		le(buf + off + 32, 0x1000, 8);
		off += 40;
	}
	return off;
}

static void test_binary_rejections(void)
{
	unsigned char buf[512];
	size_t n = make_bin(buf, 1, 3, 3);
	CHECK(bin_error(buf, n) == NULL);
	CHECK_STR_CONTAINS(bin_error(buf, n - 7), "truncated record: 33 of 40 bytes");
	CHECK_STR_CONTAINS(bin_error(buf, n - 40), "header says 3 records, file holds 2");
	n = make_bin(buf, 4, 3, 3);
	CHECK_STR_CONTAINS(bin_error(buf, n), "unknown format version 4");
	/* Version 3: the table format's name after the trace's name; none there, or of 0 bytes, is refused. */
	n = make_bin(buf, 3, 3, 3);
	CHECK_STR_CONTAINS(bin_error(buf, n), "table format name of");
	n = make_bin(buf, 1, TRACE_COUNT_UNKNOWN, 2);
	buf[32 + 40 + 8] = 9;
	CHECK_STR_CONTAINS(bin_error(buf, n), "byte offset 72 (record 2): unknown record kind 9");
	n = make_bin(buf, 1, TRACE_COUNT_UNKNOWN, 2);
	le(buf + 32 + 40, 0, 8);
	le(buf + 32, 100, 8);
	CHECK_STR_CONTAINS(bin_error(buf, n), "time 0 is before");
	n = make_bin(buf, 1, TRACE_COUNT_UNKNOWN, 1);
	le(buf + 32 + 32, 0, 8);
	CHECK_STR_CONTAINS(bin_error(buf, n), "record 1, RPCIT): len is 0");
	/* The header's 32-bit fields, each refused with its offset. */
	static const struct {
		unsigned off;
		uint32_t value;
		const char *expect;
	} fields[] = {
		{12, 48, "byte offset 12: record size 48, expected 40"},
		{16, 8192, "byte offset 16: page size 8192, expected 4096"},
		{20, 300, "byte offset 20: name length 300 exceeds 255"},
	};
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		n = make_bin(buf, 1, 1, 1);
		le(buf + fields[i].off, fields[i].value, 4);
		CHECK_STR_CONTAINS(bin_error(buf, n), fields[i].expect);
	}
	n = make_bin(buf, 1, 0, 0);
	le(buf + 20, 10, 4);
	memcpy(buf + 32, "abcde", 5);
	CHECK_STR_CONTAINS(bin_error(buf, n + 5), "truncated binary header: name of 10 bytes cut short");
	le(buf + 20, 2, 4);
	memcpy(buf + 32, "\xc3(", 2);
	CHECK_STR_CONTAINS(bin_error(buf, n + 2), "byte offset 32: the name has invalid UTF-8");
	CHECK_STR_CONTAINS(bin_error(buf, 20), "truncated binary header: 20 of 32 bytes");
	n = make_bin(buf, 1, 1, 2);
	CHECK_STR_CONTAINS(bin_error(buf, n), "byte offset 72: more records than the header's count 1");
	/* Record fields the text form spells as words: a DMA's direction, a MAP's protection. */
	n = make_bin(buf, 1, 1, 1);
	buf[32 + 8] = TRACE_DMA;
	buf[32 + 9] = 7;
	CHECK_STR_CONTAINS(bin_error(buf, n), "byte offset 32 (record 1, DMA): DMA direction must be r or w");
	/* DMA records (read by a fast path when they pass every check): each failing check still refused,
	 * with its position. */
	static const struct {
		unsigned at, bytes; /* the field changed: its byte offset in the file (records at 32, 72, 112) */
		uint64_t value;
		const char *expect;
	} dma[] = {
		{112, 8, 5, "byte offset 112 (record 3): time 5 is before the previous record's 10"},
		{72 + 32, 8, 0, "byte offset 72 (record 2, DMA): len is 0"},
		{72 + 16, 8, UINT64_MAX, "byte offset 72 (record 2, DMA): iova + len overflows 2^64"},
		{72, 8, (1ull << 62) + 1, "byte offset 72 (record 2, DMA): time is above 2^62"},
		{72 + 9, 1, 0, "byte offset 72 (record 2, DMA): DMA direction must be r or w"},
	};
	for (size_t i = 0; i < sizeof(dma) / sizeof(dma[0]); i++) {
		n = make_bin(buf, 1, 3, 3);
		for (unsigned k = 1; k < 3; k++) {
			buf[32 + 40 * k + 8] = TRACE_DMA;
			buf[32 + 40 * k + 9] = TRACE_DMA_WRITE;
			le(buf + 32 + 40 * k + 16, 0, 8); /* iova 0: a length of 0 is the only way its range fails */
		}
		CHECK(bin_error(buf, n) == NULL); /* a valid trace until one field is changed */
		le(buf + dma[i].at, dma[i].value, (int)dma[i].bytes);
		CHECK_STR_CONTAINS(bin_error(buf, n), dma[i].expect);
	}
	n = make_bin(buf, 1, 1, 2);
	buf[32 + 40 + 8] = TRACE_DMA;
	buf[32 + 40 + 9] = TRACE_DMA_READ;
	CHECK_STR_CONTAINS(bin_error(buf, n), "byte offset 72: more records than the header's count 1");
	n = make_bin(buf, 1, 1, 1);
	buf[32 + 8] = TRACE_MAP;
	buf[32 + 9] = 9;
	CHECK_STR_CONTAINS(bin_error(buf, n), "byte offset 32 (record 1, MAP): MAP prot must be r or rw");
	memcpy(buf, "IOWAXXXX", 8);
	CHECK_STR_CONTAINS(bin_error(buf, n), "bad magic");
	unsigned char junk[16] = {0x01, 0x02, 0xff, 0x00};
	CHECK_STR_CONTAINS(bin_error(junk, sizeof(junk)), "bad magic");
	unsigned char badz[12] = {0x28, 0xb5, 0x2f, 0xfd, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4};
	CHECK_STR_CONTAINS(bin_error(badz, sizeof(badz)), "zstd");
}

/* A trace read into memory replays as its reader gave it: header, encoding, records and hash, as often
 * as wanted; one above the records asked for, or one whose reader fails, is refused with the reason. */
static void test_memory(void)
{
	char err[512];
	const char *in = tmp("mem.txt");
	write_file(in, sample, strlen(sample));
	struct trace_reader *tr = trace_open(in, err, sizeof(err));
	CHECK(tr != NULL);
	if (!tr)
		return;
	struct trace_rec r[16];
	int n = 0;
	while (n < 16 && trace_next(tr, &r[n]) == 1)
		n++;
	uint64_t h = trace_reader_hash(tr);
	trace_close(tr);
	bool big;
	tr = trace_open(in, err, sizeof(err));
	struct trace_memory *m = tr ? trace_memory_load(tr, 16, &big, err, sizeof(err)) : NULL;
	CHECK(m != NULL && !big);
	if (tr)
		trace_close(tr);
	if (!m)
		return;
	CHECK_EQ_U64(trace_memory_records(m), (uint64_t)n);
	for (int pass = 0; pass < 2; pass++) {
		struct trace_reader *mr = trace_open_memory(m, "mem", err, sizeof(err));
		CHECK(mr != NULL);
		if (!mr)
			break;
		CHECK(strcmp(trace_reader_header(mr)->name, "unit sample") == 0);
		CHECK(trace_reader_encoding(mr) == TRACE_ENC_TEXT && !trace_reader_compressed(mr));
		struct trace_rec q;
		for (int i = 0; i < n; i++) {
			CHECK(trace_next(mr, &q) == 1);
			CHECK(memcmp(&q, &r[i], sizeof(q)) == 0);
		}
		CHECK(trace_next(mr, &q) == 0);
		CHECK_EQ_U64(trace_reader_hash(mr), h);
		trace_close(mr);
	}
	trace_memory_free(m);
	/* One record fewer than the trace holds: too big, and said so. */
	tr = trace_open(in, err, sizeof(err));
	m = tr ? trace_memory_load(tr, (uint64_t)n - 1, &big, err, sizeof(err)) : NULL;
	CHECK(m == NULL && big);
	CHECK_STR_CONTAINS(err, "more than");
	trace_close(tr);
	/* A reader that fails: its error. */
	const char *bad = tmp("mem-bad.txt");
	write_file(bad, "0 RPCIT 0x1000 0x1000\n1 BOGUS 1\n", 32);
	tr = trace_open(bad, err, sizeof(err));
	m = tr ? trace_memory_load(tr, 16, &big, err, sizeof(err)) : NULL;
	CHECK(m == NULL && !big);
	CHECK_STR_CONTAINS(err, "line 2 (record 2): unknown record kind 'BOGUS'");
	trace_close(tr);
}

static void test_format(void)
{
	struct trace_rec r = {.time_cycles = 7, .kind = TRACE_DMA, .flags = TRACE_DMA_READ, .dev = 3,
			      .a = 0x10, .c = 0x20};
	char buf[128];
	trace_rec_format(&r, 1, buf, sizeof(buf));
	CHECK(strcmp(buf, "7 DMA 3 0x10 0x20 r") == 0);
}

static void test_empty(void)
{
	uint64_t n = 99;
	CHECK(read_all_text("# nothing\n\n", &n) == NULL);
	CHECK_EQ_U64(n, 0);
}

static void setup(void)
{
	CHECK(mkdtemp(tmpdir) != NULL);
}

static void teardown(void)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	CHECK(system(cmd) == 0);
}

/* Format v2: MAP, UNMAP and RPCIT name their function; text and binary round-trip; v1 refuses a
 * function other than 0 on both reading and writing. */
static void test_v2(void)
{
	char err[512];
	static const char v2[] = "%iowalk-trace 2\n%name two functions\n0 MEMSLOT 0 0x0 0x10000 0x20000000000\n"
				 "0 IOAT 0 0x1000000 3\n0 IOAT 7 0x1100000 3\n10 MAP 7 0x100000000 0x5000 0x1000 r\n"
				 "11 RPCIT 7 0x100000000 0x1000\n12 DMA 7 0x100000000 0x10 r\n13 UNMAP 0 0x100000000 0x1000\n";
	const char *in = tmp("v2.txt"), *bin = tmp("v2.bin"), *txt = tmp("v2-out.txt");
	write_file(in, v2, strlen(v2));
	struct trace_reader *tr = trace_open(in, err, sizeof(err));
	CHECK(tr != NULL);
	if (!tr)
		return;
	CHECK_EQ_U64(trace_reader_header(tr)->version, 2);
	struct trace_writer *tb = trace_writer_open(bin, TRACE_ENC_BINARY, false, trace_reader_header(tr), err, sizeof(err));
	struct trace_writer *tt = trace_writer_open(txt, TRACE_ENC_TEXT, false, trace_reader_header(tr), err, sizeof(err));
	struct trace_rec r[8];
	int n = 0;
	while (n < 8 && trace_next(tr, &r[n]) == 1) {
		CHECK(trace_write(tb, &r[n]) == 0 && trace_write(tt, &r[n]) == 0);
		n++;
	}
	CHECK_EQ_U64(n, 7);
	CHECK(r[3].kind == TRACE_MAP && r[3].dev == 7 && r[3].a == 0x100000000ull && r[3].flags == TRACE_PROT_READ);
	CHECK(r[4].kind == TRACE_RPCIT && r[4].dev == 7 && r[6].kind == TRACE_UNMAP && r[6].dev == 0);
	uint64_t h = trace_reader_hash(tr);
	trace_close(tr);
	CHECK(trace_writer_commit(tb, err, sizeof(err)) == 0 && trace_writer_commit(tt, err, sizeof(err)) == 0);
	/* The canonical text is the input without comments; the binary holds the same records. */
	FILE *f = fopen(txt, "r");
	char got[1024] = "";
	size_t gl = f ? fread(got, 1, sizeof(got) - 1, f) : 0;
	got[gl] = '\0';
	if (f)
		fclose(f);
	CHECK_STR_CONTAINS(got, "%iowalk-trace 2\n");
	CHECK(strcmp(got, v2) == 0);
	tr = trace_open(bin, err, sizeof(err));
	CHECK(tr != NULL);
	if (!tr)
		return;
	CHECK_EQ_U64(trace_reader_header(tr)->version, 2);
	struct trace_rec q;
	for (int i = 0; i < n; i++)
		CHECK(trace_next(tr, &q) == 1 && memcmp(&q, &r[i], sizeof(q)) == 0);
	CHECK(trace_next(tr, &q) == 0);
	CHECK_EQ_U64(trace_reader_hash(tr), h);
	trace_close(tr);
	/* A v1 writer cannot hold a function other than 0; a v1 binary with one is rejected. */
	struct trace_header h1 = {.version = 1, .page_size = 4096, .record_count = TRACE_COUNT_UNKNOWN};
	struct trace_writer *tw = trace_writer_open(tmp("v1.bin"), TRACE_ENC_BINARY, false, &h1, err, sizeof(err));
	CHECK(tw != NULL);
	CHECK(trace_write(tw, &r[0]) == 0 && trace_write(tw, &r[1]) == 0);
	CHECK(trace_write(tw, &r[3]) < 0);
	trace_writer_abort(tw);
	CHECK(trace_rec_version_check(&r[3], 1) != NULL && trace_rec_version_check(&r[3], 2) == NULL);
	unsigned char buf[512];
	size_t bn = make_bin(buf, 1, 3, 3);
	buf[32 + 40 + 10] = 5; /* record 2: an RPCIT of function 5 */
	CHECK_STR_CONTAINS(bin_error(buf, bn), "format v1 has one function");
}

/* Version 3 names its table format: written and read back in both encodings (and zstd), records and
 * hash as version 2's; versions 1 and 2 read as s390-ioat. */
static void test_v3(void)
{
	char err[256];
	enum { N = 7 };
	struct trace_rec r[N] = {trace_rec_memslot(0, 0, 0, 0x100, 0x20000000000ull), trace_rec_ioat(1, 3, 0x4000, 3),
				 trace_rec_fn(trace_rec_map(2, 0x1000, 0x8000, 0x1000, false), 3),
				 trace_rec_fn(trace_rec_rpcit(3, 0x1000, 0x1000), 3), trace_rec_fn(trace_rec_rpcit(4, 0, 0x1000), 3),
				 trace_rec_fn(trace_rec_rpcit(5, 0x2000, 0x1000), 3), trace_rec_fn(trace_rec_rpcit(6, 0x3000, 0x2000), 3)};
	r[4].flags = TRACE_INVAL_DOMAIN;
	r[5].flags = TRACE_INVAL_GLOBAL | TRACE_INVAL_LEAF;
	r[6].flags = TRACE_INVAL_LEAF;
	for (int enc = 0; enc < 3; enc++) {
		struct trace_header h = {.version = 3, .page_size = 4096, .record_count = TRACE_COUNT_UNKNOWN, .format = "toy-x86"};
		const char *path = tmp(enc == 0 ? "v3.txt" : enc == 1 ? "v3.bin" : "v3.bin.zst");
		struct trace_writer *tw = trace_writer_open(path, enc ? TRACE_ENC_BINARY : TRACE_ENC_TEXT, enc == 2, &h, err, sizeof(err));
		CHECK(tw != NULL);
		if (!tw)
			return;
		for (int i = 0; i < N; i++)
			CHECK(trace_write(tw, &r[i]) == 0);
		CHECK(trace_writer_commit(tw, err, sizeof(err)) == 0);
		struct trace_reader *tr = trace_open(path, err, sizeof(err));
		CHECK(tr != NULL);
		if (!tr)
			return;
		CHECK_EQ_U64(trace_reader_header(tr)->version, 3);
		CHECK_STR_CONTAINS(trace_reader_header(tr)->format, "toy-x86");
		CHECK(strlen(trace_reader_header(tr)->format) == 7);
		struct trace_rec q;
		for (int i = 0; i < N; i++)
			CHECK(trace_next(tr, &q) == 1 && memcmp(&q, &r[i], sizeof(q)) == 0);
		CHECK(trace_next(tr, &q) == 0);
		trace_close(tr);
	}
	/* The scope word as text: none for a plain page range, page,leaf for a hinted one. */
	char line[128];
	CHECK(trace_rec_format(&r[3], 3, line, sizeof(line)) > 0 && strcmp(line, "3 RPCIT 3 0x1000 0x1000") == 0);
	CHECK(trace_rec_format(&r[4], 3, line, sizeof(line)) > 0 && strcmp(line, "4 RPCIT 3 0x0 0x1000 domain") == 0);
	CHECK(trace_rec_format(&r[5], 3, line, sizeof(line)) > 0 && strcmp(line, "5 RPCIT 3 0x2000 0x1000 global,leaf") == 0);
	CHECK(trace_rec_format(&r[6], 3, line, sizeof(line)) > 0 && strcmp(line, "6 RPCIT 3 0x3000 0x2000 page,leaf") == 0);
	/* Before version 3 an RPCIT has no scope: a writer refuses one, as a reader of binary does. */
	CHECK(trace_rec_version_check(&r[4], 2) != NULL);
	CHECK(trace_rec_version_check(&r[4], 3) == NULL);
	struct trace_rec odd = r[4];
	odd.flags = TRACE_INVAL_SCOPE;
	CHECK(trace_rec_check(&odd) != NULL);
	odd.flags = 8;
	CHECK(trace_rec_check(&odd) != NULL);
	/* A writer refuses a name that is not a table format's. */
	struct trace_header bad = {.version = 3, .page_size = 4096, .record_count = TRACE_COUNT_UNKNOWN, .format = "Toy"};
	CHECK(trace_writer_open(tmp("bad.txt"), TRACE_ENC_TEXT, false, &bad, err, sizeof(err)) == NULL);
	CHECK_STR_CONTAINS(err, "table format 'Toy'");
	/* Versions 1 and 2 are s390's. */
	struct trace_header h1 = {.version = 1, .page_size = 4096, .record_count = TRACE_COUNT_UNKNOWN};
	struct trace_writer *tw = trace_writer_open(tmp("v1.txt"), TRACE_ENC_TEXT, false, &h1, err, sizeof(err));
	CHECK(tw != NULL && trace_write(tw, &r[0]) == 0 && trace_writer_commit(tw, err, sizeof(err)) == 0);
	struct trace_reader *tr = trace_open(tmp("v1.txt"), err, sizeof(err));
	CHECK(tr != NULL);
	if (tr) {
		CHECK(strcmp(trace_reader_header(tr)->format, TRACE_TABLE_FORMAT_S390) == 0);
		trace_close(tr);
	}
}

CHECK_MAIN(CASE(setup), CASE(test_v2), CASE(test_v3), CASE(test_parse_sample), CASE(test_fields), CASE(test_text_rejections),
	   CASE(test_roundtrip_binary), CASE(test_roundtrip_zstd), CASE(test_zstd_frames), CASE(test_read_errors), CASE(test_binary_rejections), CASE(test_memory),
	   CASE(test_format), CASE(test_empty), CASE(teardown))
