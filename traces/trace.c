/* trace: readers and writers of trace format v1 (see trace.h and docs/trace-format.md).
 * Notes:
 *  - Input goes through a byte source that is either the plain file or a zstd stream decoder; the
 *    encoding (binary magic or text) is decided on the first decoded bytes.
 *  - Memory is bounded: a fixed input buffer, and text lines longer than TEXT_LINE_MAX are an error.
 */
#include "trace.h"

#include "alloc.h"
#include "fnv.h"
#include "le.h"
#include "outfile.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zstd.h>

/* Compressed traces are written as independent zstd frames of TRACE_ZSTD_FRAME_BYTES each (the last
 * shorter), each with its size in its header. The reader keeps at least SRC_RAW_KEEP compressed bytes
 * in hand and room for a frame in its decoded buffer, so that zstd decodes a whole frame straight into
 * the buffer (its single-pass mode) rather than through its window and a copy. Any zstd stream is read
 * (one frame or many); others only take the copying path. */
#define TRACE_ZSTD_FRAME_BYTES (256u * 1024u)
#define SRC_BUF_BYTES (TRACE_ZSTD_FRAME_BYTES + 64u * 1024u)
#define SRC_RAW_BYTES (1024u * 1024u)
#define SRC_RAW_KEEP (SRC_RAW_BYTES / 2)
#define TEXT_LINE_MAX 4096u
#define ERR_MAX 512u

static const char *const kind_names[] = {
	[TRACE_IOAT] = "IOAT", [TRACE_MEMSLOT] = "MEMSLOT", [TRACE_MAP] = "MAP",
	[TRACE_UNMAP] = "UNMAP", [TRACE_RPCIT] = "RPCIT", [TRACE_DMA] = "DMA",
};

const char *trace_kind_name(unsigned kind)
{
	if (kind < 1 || kind > TRACE_KIND_MAX)
		return "?";
	return kind_names[kind];
}

static int range_overflows(uint64_t start, uint64_t len) { return len - 1 > UINT64_MAX - start; }

const char *trace_rec_check(const struct trace_rec *r)
{
	const uint64_t pmask = TRACE_PAGE_SIZE - 1;
	if (r->time_cycles > TRACE_MAX_TIME)
		return "time is above 2^62 cycles (the replay needs the headroom above it for stalls and latencies)";
	switch (r->kind) {
	case TRACE_IOAT:
		if (r->flags < 3 || r->flags > 5)
			return "IOAT levels must be 3, 4 or 5";
		if (r->a & 0x3fff)
			return "IOAT origin must be 16 KiB aligned";
		return NULL;
	case TRACE_MEMSLOT:
		if (r->b == 0)
			return "MEMSLOT npages is 0";
		if (r->b > (UINT64_MAX >> 12) || r->a > (UINT64_MAX >> 12) - r->b)
			return "MEMSLOT base_gfn + npages overflows the guest-physical address space";
		if (r->c & pmask)
			return "MEMSLOT hva must be 4 KiB aligned";
		if (r->b > (UINT64_MAX - r->c) >> 12)
			return "MEMSLOT hva + size overflows";
		return NULL;
	case TRACE_MAP:
	case TRACE_UNMAP:
	case TRACE_RPCIT:
	case TRACE_DMA:
		if (r->c == 0)
			return "len is 0";
		if (range_overflows(r->a, r->c))
			return "iova + len overflows 2^64";
		if (r->kind == TRACE_DMA) {
			if (r->flags != TRACE_DMA_READ && r->flags != TRACE_DMA_WRITE)
				return "DMA direction must be r or w";
			return NULL;
		}
		if ((r->a | r->c) & pmask)
			return "iova and len must be multiples of 4096";
		if (r->kind == TRACE_RPCIT && ((r->flags & ~(TRACE_INVAL_SCOPE | TRACE_INVAL_LEAF)) ||
					       (r->flags & TRACE_INVAL_SCOPE) == TRACE_INVAL_SCOPE))
			return "RPCIT scope must be page, domain or global (and leaf at most)";
		if (r->kind == TRACE_UNMAP && r->flags)
			return "UNMAP has no flags";
		if (r->kind == TRACE_MAP) {
			if ((r->b & pmask))
				return "MAP gpa must be 4 KiB aligned";
			if (range_overflows(r->b, r->c))
				return "gpa + len overflows 2^64";
			if (r->flags != TRACE_PROT_READ && r->flags != TRACE_PROT_RW)
				return "MAP prot must be r or rw";
		}
		return NULL;
	default:
		return "unknown record kind";
	}
}

/* ---------- byte source: plain or zstd ---------- */

struct src {
	FILE *fp;
	int own_fp;
	ZSTD_DCtx *z;
	ZSTD_inBuffer zin;
	unsigned char *raw; /* compressed input buffer (zstd only) */
	unsigned char *buf; /* decoded bytes */
	size_t pos, len;
	uint64_t consumed; /* decoded bytes consumed before buf[pos] */
	int eof;
	int raw_eof; /* zstd: the file's end was read into raw */
	int failed;  /* a read error or a zstd error: msg says which (the source then gives nothing more) */
	size_t zneed; /* last ZSTD_decompressStream() hint: 0 once a frame is complete */
	char msg[192];
	uint64_t file_total;            /* bytes read from the file */
	uint64_t zin_total, zout_total; /* compressed bytes read, bytes decompressed */
	uint64_t max_ratio;             /* decompression bomb guard (TRACE_ZSTD_MAX_RATIO) */
};

/* The source fails: no more bytes; msg (printf-style) says why. -1. */
static int src_fail(struct src *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int src_fail(struct src *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->msg, sizeof(s->msg), fmt, ap);
	va_end(ap);
	s->failed = 1;
	s->eof = 1;
	return -1;
}

/* n bytes read from the file into p (of want asked); a read error is the source's failure, not its end
 * (a trace cut by a failing disk must not read as a shorter trace). The bytes read, or -1. */
static int64_t src_read(struct src *s, unsigned char *p, size_t want)
{
	size_t n = fread(p, 1, want, s->fp);
	if (n < want && ferror(s->fp))
		return src_fail(s, "read error after %" PRIu64 " bytes of the file: %s", s->file_total + n, strerror(errno));
	s->file_total += n;
	return (int64_t)n;
}

static int src_fill(struct src *s)
{
	if (s->eof)
		return 0;
	if (s->pos < s->len) {
		memmove(s->buf, s->buf + s->pos, s->len - s->pos);
	}
	s->len -= s->pos;
	s->pos = 0;
	if (!s->z) {
		int64_t n = src_read(s, s->buf + s->len, SRC_BUF_BYTES - s->len);
		if (n < 0)
			return -1;
		if (n == 0)
			s->eof = 1;
		s->len += (size_t)n;
		return (int)n;
	}
	for (;;) {
		if (s->zin.size - s->zin.pos < SRC_RAW_KEEP && !s->raw_eof) {
			/* Keep at least SRC_RAW_KEEP compressed bytes in hand (a whole frame), the rest moved first. */
			size_t left = s->zin.size - s->zin.pos;
			memmove(s->raw, s->raw + s->zin.pos, left);
			int64_t n = src_read(s, s->raw + left, SRC_RAW_BYTES - left);
			if (n < 0)
				return -1;
			if ((size_t)n < SRC_RAW_BYTES - left)
				s->raw_eof = 1; /* the end of the file */
			s->zin.src = s->raw;
			s->zin.size = left + (size_t)n;
			s->zin.pos = 0;
			s->zin_total += (uint64_t)n;
		}
		bool no_input = s->zin.pos == s->zin.size; /* and none to come */
		if (no_input && s->zneed == 0) { /* every frame decoded and given out */
			s->eof = 1;
			return 0;
		}
		ZSTD_outBuffer out = {s->buf + s->len, SRC_BUF_BYTES - s->len, 0};
		size_t rc = ZSTD_decompressStream(s->z, &out, &s->zin);
		if (ZSTD_isError(rc))
			return src_fail(s, "zstd: %s", ZSTD_getErrorName(rc));
		s->zneed = rc;
		s->len += out.pos;
		s->zout_total += out.pos;
		/* A small file that expands without bound (all blank lines, say) would take hours to read. */
		if (s->zout_total > (64ull << 20) && s->zout_total / s->max_ratio > s->zin_total)
			return src_fail(s, "zstd: decompressed more than " TRACE_ZSTD_MAX_RATIO_TEXT
				     " times the compressed size (a decompression bomb?); set IOWALK_ZSTD_MAX_RATIO to raise the limit");
		if (out.pos > 0)
			return (int)out.pos;
		if (no_input) /* nothing more decoded from what is left: the last frame is cut short */
			return src_fail(s, "zstd: truncated compressed stream (frame incomplete)");
	}
}

/* Ensures at least n bytes are buffered (n <= SRC_BUF_BYTES); returns the number available. */
static size_t src_want(struct src *s, size_t n)
{
	while (s->len - s->pos < n && !s->eof) {
		if (src_fill(s) < 0)
			break;
	}
	return s->len - s->pos;
}

static void src_take(struct src *s, size_t n)
{
	s->pos += n;
	s->consumed += n;
}

/* ---------- reader ---------- */

struct trace_reader {
	struct src s;
	char *path;
	enum trace_encoding enc;
	int compressed;
	struct trace_header hdr;
	uint64_t records;
	uint64_t line;       /* text: current line number */
	uint64_t last_time;
	uint64_t hash;
	int failed;
	char *line_buf;      /* text only */
	unsigned directives; /* text: the header directives given (each once), bits of directive_names[] */
	struct trace_rec pending; /* text: first record read while parsing the header */
	int has_pending;
	const struct trace_memory *mem; /* a trace in memory (trace_open_memory()): its records, nothing read */
	char err[ERR_MAX];
};

static void rec_encode(const struct trace_rec *r, unsigned char *p)
{
	iw_put_le(p, r->time_cycles, 8);
	p[8] = r->kind;
	p[9] = r->flags;
	iw_put_le(p + 10, r->dev, 2);
	iw_put_le(p + 12, r->id, 4);
	iw_put_le(p + 16, r->a, 8);
	iw_put_le(p + 24, r->b, 8);
	iw_put_le(p + 32, r->c, 8);
}

static void rec_decode(const unsigned char *p, struct trace_rec *r)
{
	r->time_cycles = iw_get_le(p, 8);
	r->kind = p[8];
	r->flags = p[9];
	r->dev = (uint16_t)iw_get_le(p + 10, 2);
	r->id = (uint32_t)iw_get_le(p + 12, 4);
	r->a = iw_get_le(p + 16, 8);
	r->b = iw_get_le(p + 24, 8);
	r->c = iw_get_le(p + 32, 8);
}

/* The trace hash: FNV-1a's xor-multiply step over the five 64-bit words of the binary record
 * (docs/trace-format.md), so it does not depend on the encoding. */
static uint64_t hash_rec(uint64_t h, const struct trace_rec *r)
{
	const uint64_t w[5] = {r->time_cycles,
			       (uint64_t)r->kind | (uint64_t)r->flags << 8 | (uint64_t)r->dev << 16 | (uint64_t)r->id << 32,
			       r->a, r->b, r->c};
	for (int i = 0; i < 5; i++) {
		h ^= w[i];
		h *= FNV1A_PRIME;
	}
	return h;
}

__attribute__((format(printf, 2, 3))) static int fail(struct trace_reader *tr, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(tr->err, sizeof(tr->err), "%s: ", tr->path);
	va_start(ap, fmt);
	vsnprintf(tr->err + n, sizeof(tr->err) - (size_t)n, fmt, ap);
	va_end(ap);
	tr->failed = 1;
	return -1;
}

static int parse_u64(const char *t, uint64_t *out)
{
	uint64_t v = 0;
	int base = 10;
	if (t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
		base = 16;
		t += 2;
	}
	if (*t == '\0')
		return -1;
	for (; *t; t++) {
		unsigned d;
		if (*t >= '0' && *t <= '9')
			d = (unsigned)(*t - '0');
		else if (base == 16 && *t >= 'a' && *t <= 'f')
			d = (unsigned)(*t - 'a' + 10);
		else if (base == 16 && *t >= 'A' && *t <= 'F')
			d = (unsigned)(*t - 'A' + 10);
		else
			return -1;
		if (v > (UINT64_MAX - d) / (uint64_t)base)
			return -2;
		v = v * (uint64_t)base + d;
	}
	*out = v;
	return 0;
}

/* Reads one line (without the newline) into tr->line_buf. 1: line; 0: EOF; -1: error. */
const char *trace_table_format_check(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > TRACE_TABLE_FORMAT_MAX)
		return "a table format's name has 1 to " "31" " bytes";
	for (size_t i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') || name[i] == '-'))
			return "a table format's name has only a-z, 0-9 and '-'";
	return NULL;
}

const char *trace_name_check(const char *name, size_t len)
{
	if (len > TRACE_NAME_MAX)
		return "more than 255 bytes";
	const unsigned char *p = (const unsigned char *)name, *end = p + len;
	while (p < end) {
		unsigned c = *p;
		if (c < 0x20 || c == 0x7f)
			return "a control byte (names are printed to terminals and written to JSON)";
		if (c == '#')
			return "'#' (it would start a comment in the text form)";
		unsigned n = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : 9;
		if (n == 9 || (n == 1 && c < 0xc2) || (size_t)(end - p) <= n)
			return "invalid UTF-8";
		for (unsigned k = 1; k <= n; k++)
			if ((p[k] & 0xc0) != 0x80)
				return "invalid UTF-8";
		if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] >= 0xa0) || (c == 0xf0 && p[1] < 0x90) ||
		    (c == 0xf4 && p[1] >= 0x90) || c > 0xf4)
			return "invalid UTF-8";
		p += n + 1;
	}
	return NULL;
}

void trace_name_sanitize(char *name)
{
	for (unsigned char *p = (unsigned char *)name; *p; p++)
		if (*p < 0x20 || *p >= 0x7f || *p == '#')
			*p = '?';
}

/* Cuts a header directive's value at its comment and trailing blanks. */
static void directive_value(char *v)
{
	char *hash = strchr(v, '#');
	if (hash)
		*hash = '\0';
	size_t n = strlen(v);
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		v[--n] = '\0';
}

static int read_line(struct trace_reader *tr)
{
	size_t n = 0;
	for (;;) {
		if (tr->s.pos == tr->s.len) {
			if (src_fill(&tr->s) < 0)
				return fail(tr, "%s", tr->s.msg);
			if (tr->s.pos == tr->s.len) {
				if (n == 0)
					return 0;
				break;
			}
		}
		char c = (char)tr->s.buf[tr->s.pos];
		src_take(&tr->s, 1);
		if (c == '\n')
			break;
		if (c == '\0')
			return fail(tr, "line %" PRIu64 ": NUL byte in a text trace", tr->line + 1);
		/* The buffer holds TEXT_LINE_MAX - 1 bytes of text plus a '\r' of a CRLF line end. */
		if (n >= TEXT_LINE_MAX)
			return fail(tr, "line %" PRIu64 ": line longer than %u bytes", tr->line + 1, TEXT_LINE_MAX - 1);
		tr->line_buf[n++] = c;
	}
	if (n > 0 && tr->line_buf[n - 1] == '\r')
		n--;
	if (n >= TEXT_LINE_MAX)
		return fail(tr, "line %" PRIu64 ": line longer than %u bytes", tr->line + 1, TEXT_LINE_MAX - 1);
	tr->line_buf[n] = '\0';
	tr->line++;
	return 1;
}

#define MAX_TOKENS 8

static int tokenize(char *line, char **tok)
{
	int n = 0;
	char *hash = strchr(line, '#');
	if (hash)
		*hash = '\0';
	char *p = line;
	while (*p) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		if (n == MAX_TOKENS)
			return MAX_TOKENS + 1;
		tok[n++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (*p)
			*p++ = '\0';
	}
	return n;
}

struct kind_syntax {
	const char *name;
	int nargs;
	const char *usage;
};

static const struct kind_syntax syntax[] = {
	[TRACE_IOAT] = {"IOAT", 3, "TIME IOAT FN ORIGIN LEVELS"},
	[TRACE_MEMSLOT] = {"MEMSLOT", 4, "TIME MEMSLOT ID BASE_GFN NPAGES HVA"},
	[TRACE_MAP] = {"MAP", 4, "TIME MAP IOVA GPA LEN r|rw"},
	[TRACE_UNMAP] = {"UNMAP", 2, "TIME UNMAP IOVA LEN"},
	[TRACE_RPCIT] = {"RPCIT", 2, "TIME RPCIT IOVA LEN"},
	[TRACE_DMA] = {"DMA", 4, "TIME DMA DEV IOVA LEN r|w"},
};

/* Version 2 names the function of MAP, UNMAP and RPCIT first. */
static const struct kind_syntax syntax_v2_fn[] = {
	[TRACE_MAP] = {"MAP", 5, "TIME MAP FN IOVA GPA LEN r|rw"},
	[TRACE_UNMAP] = {"UNMAP", 3, "TIME UNMAP FN IOVA LEN"},
	[TRACE_RPCIT] = {"RPCIT", 3, "TIME RPCIT FN IOVA LEN"},
};

/* A header directive (d: the line after its '%'), each at most once: a second value would silently
 * replace the first (or change the version the records are read in). 0, or -1 (fail()). */
static int parse_directive(struct trace_reader *tr, const char *d, uint64_t line)
{
	enum { D_VERSION, D_NAME, D_FORMAT, D_PAGE_SIZE, D_COUNT };
	static const char *const directive_names[D_COUNT] = {"iowalk-trace ", "name ", "format ", "page_size "};
	unsigned k = 0;
	while (k < D_COUNT && strncmp(d, directive_names[k], strlen(directive_names[k])) != 0)
		k++;
	if (k == D_COUNT)
		return fail(tr, "line %" PRIu64 ": unknown header directive '%%%s'", line, d);
	size_t kl = strlen(directive_names[k]);
	if (tr->directives & (1u << k))
		return fail(tr, "line %" PRIu64 ": %%%.*s given a second time", line, (int)(kl - 1), directive_names[k]);
	tr->directives |= 1u << k;
	const char *v = d + kl;
	uint64_t u;
	const char *why;
	switch (k) {
	case D_VERSION:
		if (parse_u64(v, &u) != 0 || u < TRACE_FORMAT_V1 || u > TRACE_FORMAT_VERSION)
			return fail(tr, "line %" PRIu64 ": unsupported format version '%s' (this reader knows 1 to %u)", line, v,
				    TRACE_FORMAT_VERSION);
		tr->hdr.version = (uint32_t)u;
		return 0;
	case D_NAME:
		if ((why = trace_name_check(v, strlen(v))))
			return fail(tr, "line %" PRIu64 ": the name has %s", line, why);
		memcpy(tr->hdr.name, v, strlen(v) + 1);
		return 0;
	case D_FORMAT:
		why = trace_table_format_check(v);
		if (tr->hdr.version < TRACE_FORMAT_V3)
			return fail(tr, "line %" PRIu64 ": %%format needs version 3 ('%%iowalk-trace 3' before it)", line);
		if (why)
			return fail(tr, "line %" PRIu64 ": table format '%s': %s", line, v, why);
		memcpy(tr->hdr.format, v, strlen(v) + 1);
		return 0;
	default: /* D_PAGE_SIZE */
		if (parse_u64(v, &u) != 0 || u != TRACE_PAGE_SIZE)
			return fail(tr, "line %" PRIu64 ": page_size must be 4096", line);
		return 0;
	}
}

/* Parses a record line. 1: record; 0: not a record (blank/comment/directive handled); -1: error. */
static int parse_text_line(struct trace_reader *tr, struct trace_rec *r, int allow_directives)
{
	char *tok[MAX_TOKENS];
	uint64_t line = tr->line;
	if (tr->line_buf[0] == '%') {
		if (!allow_directives)
			return fail(tr, "line %" PRIu64 ": header directive after the first record", line);
		char *d = tr->line_buf + 1;
		directive_value(d); /* "%iowalk-trace 1   # the version" */
		return parse_directive(tr, d, line);
	}
	int n = tokenize(tr->line_buf, tok);
	if (n == 0)
		return 0;
	uint64_t recno = tr->records + 1;
	if (n < 2)
		return fail(tr, "line %" PRIu64 " (record %" PRIu64 "): expected 'TIME KIND ...'", line, recno);
	memset(r, 0, sizeof(*r));
	int pr = parse_u64(tok[0], &r->time_cycles);
	if (pr != 0 && recno == 1 && tok[1][0] == '[' && strchr(tok[0], '-'))
		return fail(tr, "line %" PRIu64 ": an ftrace event line ('%s %s ...'), not a trace record: this is a capture; "
				"convert it first (iowalk trace convert --from ftrace|kprobe FILE -o TRACE, docs/capture.md)",
			    line, tok[0], tok[1]);
	if (pr != 0 && recno == 1 && strchr(tok[0], '@') && strstr(tok[0], ":vtd_"))
		return fail(tr, "line %" PRIu64 ": a QEMU trace log line, not a trace record: it is the --host-log of "
				"iowalk trace convert (docs/capture.md)", line);
	if (pr != 0)
		return fail(tr, "line %" PRIu64 " (record %" PRIu64 "): bad time '%s': %s", line, recno, tok[0],
			    pr == -2 ? "does not fit in 64 bits" : "expected a decimal or 0x-hex number");
	unsigned k;
	for (k = 1; k <= TRACE_KIND_MAX; k++)
		if (strcmp(tok[1], syntax[k].name) == 0)
			break;
	if (k > TRACE_KIND_MAX)
		return fail(tr, "line %" PRIu64 " (record %" PRIu64 "): unknown record kind '%s'", line, recno,
			    tok[1]);
	r->kind = (uint8_t)k;
	bool fn_first = tr->hdr.version >= 2 && (k == TRACE_MAP || k == TRACE_UNMAP || k == TRACE_RPCIT);
	const struct kind_syntax *sx = fn_first ? &syntax_v2_fn[k] : &syntax[k];
	/* Version 3: an RPCIT may end with its scope and hint (page|domain|global[,leaf]). */
	const char *inval = NULL;
	if (k == TRACE_RPCIT && tr->hdr.version >= TRACE_FORMAT_V3 && n - 2 == sx->nargs + 1)
		inval = tok[--n];
	if (n - 2 != sx->nargs)
		return fail(tr, "line %" PRIu64 " (record %" PRIu64 "): %s takes %d fields in format v%u, got %s%d (expected '%s')",
			    line, recno, sx->name, sx->nargs, tr->hdr.version, n > MAX_TOKENS ? "more than " : "",
			    (n > MAX_TOKENS ? MAX_TOKENS : n) - 2, sx->usage);
	if (fn_first) {
		uint64_t fn;
		pr = parse_u64(tok[2], &fn);
		if (pr != 0 || fn > UINT16_MAX)
			return fail(tr, "line %" PRIu64 " (record %" PRIu64 "): function '%s' of %s: expected a number 0..65535",
				    line, recno, tok[2], sx->name);
		r->dev = (uint16_t)fn;
		for (int i = 2; i + 1 < n; i++)
			tok[i] = tok[i + 1];
		n--;
	}
	uint64_t v[4] = {0, 0, 0, 0};
	int nnum = syntax[k].nargs;
	if (k == TRACE_MAP || k == TRACE_DMA)
		nnum--; /* last field is a word */
	for (int i = 0; i < nnum; i++) {
		pr = parse_u64(tok[2 + i], &v[i]);
		if (pr != 0)
			return fail(tr, "line %" PRIu64 " (record %" PRIu64 "): field %d '%s' of %s: %s", line, recno,
				    i + 1, tok[2 + i], syntax[k].name,
				    pr == -2 ? "does not fit in 64 bits" : "expected a decimal or 0x-hex number");
	}
	const char *word = tok[2 + nnum];
	switch (k) {
	case TRACE_IOAT:
		if (v[0] > UINT16_MAX || v[2] > 255)
			return fail(tr, "line %" PRIu64 " (record %" PRIu64 "): IOAT function or levels out of range", line,
				    recno);
		r->dev = (uint16_t)v[0];
		r->a = v[1];
		r->flags = (uint8_t)v[2];
		break;
	case TRACE_MEMSLOT:
		if (v[0] > UINT32_MAX)
			return fail(tr, "line %" PRIu64 " (record %" PRIu64 "): MEMSLOT id does not fit 32 bits", line,
				    recno);
		r->id = (uint32_t)v[0];
		r->a = v[1];
		r->b = v[2];
		r->c = v[3];
		break;
	case TRACE_MAP:
		r->a = v[0];
		r->b = v[1];
		r->c = v[2];
		if (strcmp(word, "rw") == 0)
			r->flags = TRACE_PROT_RW;
		else if (strcmp(word, "r") == 0)
			r->flags = TRACE_PROT_READ;
		else
			return fail(tr, "line %" PRIu64 " (record %" PRIu64 "): MAP prot '%s': expected r or rw", line,
				    recno, word);
		break;
	case TRACE_UNMAP:
	case TRACE_RPCIT:
		r->a = v[0];
		r->c = v[1];
		if (inval) {
			char *leaf = strchr(inval, ',');
			if (leaf) {
				*leaf++ = '\0';
				if (strcmp(leaf, "leaf") != 0)
					return fail(tr, "line %" PRIu64 " (record %" PRIu64 "): RPCIT hint '%s': expected leaf", line,
						    recno, leaf);
				r->flags |= TRACE_INVAL_LEAF;
			}
			if (strcmp(inval, "domain") == 0)
				r->flags |= TRACE_INVAL_DOMAIN;
			else if (strcmp(inval, "global") == 0)
				r->flags |= TRACE_INVAL_GLOBAL;
			else if (strcmp(inval, "page") != 0)
				return fail(tr, "line %" PRIu64 " (record %" PRIu64 "): RPCIT scope '%s': expected page, domain or global",
					    line, recno, inval);
		}
		break;
	case TRACE_DMA:
		if (v[0] > UINT16_MAX)
			return fail(tr, "line %" PRIu64 " (record %" PRIu64 "): DMA dev does not fit 16 bits", line,
				    recno);
		r->dev = (uint16_t)v[0];
		r->a = v[1];
		r->c = v[2];
		if (strcmp(word, "r") == 0)
			r->flags = TRACE_DMA_READ;
		else if (strcmp(word, "w") == 0)
			r->flags = TRACE_DMA_WRITE;
		else
			return fail(tr, "line %" PRIu64 " (record %" PRIu64 "): DMA direction '%s': expected r or w",
				    line, recno, word);
		break;
	default:
		break;
	}
	return 1;
}

/* Validates r and folds it into the hash. where_fmt/where name the position, formatted only on error. */
static int accept_rec(struct trace_reader *tr, struct trace_rec *r, const char *where_fmt, uint64_t where)
{
	const char *why = trace_rec_check(r);
	if (!why)
		why = trace_rec_version_check(r, tr->hdr.version);
	if (__builtin_expect(why != NULL || (tr->records > 0 && r->time_cycles < tr->last_time), 0)) {
		char where_buf[64];
		snprintf(where_buf, sizeof(where_buf), where_fmt, where);
		if (why)
			return fail(tr, "%s (record %" PRIu64 ", %s): %s", where_buf, tr->records + 1,
				    trace_kind_name(r->kind), why);
		return fail(tr, "%s (record %" PRIu64 "): time %" PRIu64 " is before the previous record's %" PRIu64
			    " (times must not decrease)", where_buf, tr->records + 1, r->time_cycles, tr->last_time);
	}
	tr->last_time = r->time_cycles;
	tr->records++;
	tr->hash = hash_rec(tr->hash, r);
	return 1;
}

static int next_text(struct trace_reader *tr, struct trace_rec *r, int allow_directives)
{
	for (;;) {
		int rc = read_line(tr);
		if (rc <= 0)
			return rc;
		rc = parse_text_line(tr, r, allow_directives);
		if (rc < 0)
			return rc;
		if (rc == 1)
			return accept_rec(tr, r, "line %" PRIu64, tr->line);
	}
}

static int next_binary(struct trace_reader *tr, struct trace_rec *r)
{
	uint64_t off = tr->s.consumed;
	size_t have = src_want(&tr->s, TRACE_BIN_RECORD_BYTES);
	if (tr->s.failed)
		return fail(tr, "%s", tr->s.msg);
	if (have == 0) {
		if (tr->hdr.record_count != TRACE_COUNT_UNKNOWN && tr->records != tr->hdr.record_count)
			return fail(tr, "header says %" PRIu64 " records, file holds %" PRIu64 " (truncated?)",
				    tr->hdr.record_count, tr->records);
		return 0;
	}
	if (have < TRACE_BIN_RECORD_BYTES)
		return fail(tr, "byte offset %" PRIu64 " (record %" PRIu64 "): truncated record: %zu of %u bytes",
			    off, tr->records + 1, have, TRACE_BIN_RECORD_BYTES);
	rec_decode(tr->s.buf + tr->s.pos, r);
	src_take(&tr->s, TRACE_BIN_RECORD_BYTES);
	if (r->kind < 1 || r->kind > TRACE_KIND_MAX)
		return fail(tr, "byte offset %" PRIu64 " (record %" PRIu64 "): unknown record kind %u", off,
			    tr->records + 1, r->kind);
	if (tr->hdr.record_count != TRACE_COUNT_UNKNOWN && tr->records >= tr->hdr.record_count)
		return fail(tr, "byte offset %" PRIu64 ": more records than the header's count %" PRIu64, off,
			    tr->hdr.record_count);
	return accept_rec(tr, r, "byte offset %" PRIu64, off);
}

static int read_bin_header(struct trace_reader *tr)
{
	size_t have = src_want(&tr->s, TRACE_BIN_HEADER_FIXED_BYTES);
	if (tr->s.failed)
		return fail(tr, "%s", tr->s.msg);
	if (have < TRACE_BIN_HEADER_FIXED_BYTES)
		return fail(tr, "truncated binary header: %zu of %u bytes", have, TRACE_BIN_HEADER_FIXED_BYTES);
	const unsigned char *p = tr->s.buf + tr->s.pos;
	uint32_t version = (uint32_t)iw_get_le(p + 8, 4);
	uint32_t rec_bytes = (uint32_t)iw_get_le(p + 12, 4);
	uint32_t page = (uint32_t)iw_get_le(p + 16, 4);
	uint32_t name_len = (uint32_t)iw_get_le(p + 20, 4);
	uint64_t count = iw_get_le(p + 24, 8);
	if (version < TRACE_FORMAT_V1 || version > TRACE_FORMAT_VERSION)
		return fail(tr, "byte offset 8: unknown format version %u (this reader knows 1 to %u)", version,
			    TRACE_FORMAT_VERSION);
	if (rec_bytes != TRACE_BIN_RECORD_BYTES)
		return fail(tr, "byte offset 12: record size %u, expected %u", rec_bytes, TRACE_BIN_RECORD_BYTES);
	if (page != TRACE_PAGE_SIZE)
		return fail(tr, "byte offset 16: page size %u, expected 4096", page);
	if (name_len > TRACE_NAME_MAX)
		return fail(tr, "byte offset 20: name length %u exceeds %u", name_len, TRACE_NAME_MAX);
	src_take(&tr->s, TRACE_BIN_HEADER_FIXED_BYTES);
	have = src_want(&tr->s, name_len);
	if (tr->s.failed)
		return fail(tr, "%s", tr->s.msg);
	if (have < name_len)
		return fail(tr, "truncated binary header: name of %u bytes cut short", name_len);
	memcpy(tr->hdr.name, tr->s.buf + tr->s.pos, name_len);
	tr->hdr.name[name_len] = '\0';
	const char *why = trace_name_check(tr->hdr.name, name_len);
	if (why)
		return fail(tr, "byte offset 32: the name has %s", why);
	src_take(&tr->s, name_len);
	if (version >= TRACE_FORMAT_V3) {
		/* Version 3: the table format's name, its length first (4 bytes). */
		uint64_t off = TRACE_BIN_HEADER_FIXED_BYTES + name_len;
		have = src_want(&tr->s, 4);
		if (tr->s.failed)
			return fail(tr, "%s", tr->s.msg);
		if (have < 4)
			return fail(tr, "truncated binary header: no table format at byte offset %" PRIu64, off);
		uint32_t flen = (uint32_t)iw_get_le(tr->s.buf + tr->s.pos, 4);
		if (flen == 0 || flen > TRACE_TABLE_FORMAT_MAX)
			return fail(tr, "byte offset %" PRIu64 ": table format name of %u bytes (1 to %u)", off, flen,
				    TRACE_TABLE_FORMAT_MAX);
		src_take(&tr->s, 4);
		have = src_want(&tr->s, flen);
		if (tr->s.failed)
			return fail(tr, "%s", tr->s.msg);
		if (have < flen)
			return fail(tr, "truncated binary header: table format name of %u bytes cut short", flen);
		memcpy(tr->hdr.format, tr->s.buf + tr->s.pos, flen);
		tr->hdr.format[flen] = '\0';
		const char *fwhy = trace_table_format_check(tr->hdr.format);
		if (fwhy)
			return fail(tr, "byte offset %" PRIu64 ": table format '%s': %s", off + 4, tr->hdr.format, fwhy);
		src_take(&tr->s, flen);
	}
	if (version < TRACE_FORMAT_V3)
		snprintf(tr->hdr.format, sizeof(tr->hdr.format), "%s", TRACE_TABLE_FORMAT_S390); /* versions 1 and 2 */
	tr->hdr.version = version;
	tr->hdr.page_size = page;
	tr->hdr.record_count = count;
	return 0;
}

static struct trace_reader *open_common(FILE *fp, int own, const char *path, char *err, size_t errlen);

struct trace_reader *trace_open(const char *path, char *err, size_t errlen)
{
	if (strcmp(path, "-") == 0)
		return open_common(stdin, 0, path, err, errlen);
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	return open_common(fp, 1, path, err, errlen);
}

struct trace_reader *trace_open_stream(FILE *fp, const char *label, char *err, size_t errlen)
{
	return open_common(fp, 1, label, err, errlen);
}

static struct trace_reader *open_common(FILE *fp, int own, const char *path, char *err, size_t errlen)
{
	struct trace_reader *tr = iw_calloc(1, sizeof(*tr));
	if (!tr) {
		if (own)
			fclose(fp);
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	tr->s.fp = fp;
	tr->s.own_fp = own;
	tr->path = iw_strdup(path);
	tr->s.buf = iw_malloc(SRC_BUF_BYTES);
	if (!tr->path || !tr->s.buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail_free;
	}
	tr->hash = FNV1A_OFFSET;
	tr->hdr.version = TRACE_FORMAT_V1; /* a text trace without %iowalk-trace is version 1 */
	tr->hdr.page_size = TRACE_PAGE_SIZE;
	tr->hdr.record_count = TRACE_COUNT_UNKNOWN;
	/* Sniff 4 raw bytes for the zstd frame magic (0xFD2FB528, little-endian). */
	unsigned char magic[4];
	int64_t got = src_read(&tr->s, magic, 4);
	if (got < 0) {
		snprintf(err, errlen, "%s: %s", path, tr->s.msg);
		goto fail_free;
	}
	size_t n = (size_t)got;
	if (n == 4 && iw_get_le(magic, 4) == 0xFD2FB528u) {
		tr->compressed = 1;
		tr->s.z = ZSTD_createDCtx();
		const char *r = getenv("IOWALK_ZSTD_MAX_RATIO");
		tr->s.max_ratio = r && strtoull(r, NULL, 10) > 0 ? strtoull(r, NULL, 10) : TRACE_ZSTD_MAX_RATIO;
		tr->s.raw = iw_malloc(SRC_RAW_BYTES);
		if (!tr->s.z || !tr->s.raw) {
			snprintf(err, errlen, "%s: out of memory", path);
			goto fail_free;
		}
		memcpy(tr->s.raw, magic, 4);
		tr->s.zin.src = tr->s.raw;
		tr->s.zin.size = 4;
		tr->s.zin.pos = 0;
	} else {
		memcpy(tr->s.buf, magic, n);
		tr->s.len = n;
	}
	size_t have = src_want(&tr->s, 8);
	if (tr->s.failed) {
		snprintf(err, errlen, "%s: %s", path, tr->s.msg);
		goto fail_free;
	}
	if (have >= 8 && memcmp(tr->s.buf + tr->s.pos, TRACE_BIN_MAGIC, 8) == 0) {
		tr->enc = TRACE_ENC_BINARY;
		if (read_bin_header(tr) < 0) {
			snprintf(err, errlen, "%s", tr->err);
			goto fail_free;
		}
		return tr;
	}
	if (have >= 4 && memcmp(tr->s.buf + tr->s.pos, "IOWA", 4) == 0) {
		snprintf(err, errlen, "%s: byte offset 0: bad magic (starts like a binary trace, expected '%s')",
			 path, TRACE_BIN_MAGIC);
		goto fail_free;
	}
	/* Text: refuse obvious binary garbage early rather than reporting odd parse errors. */
	for (size_t i = 0; i < have && i < 8; i++) {
		unsigned char c = tr->s.buf[tr->s.pos + i];
		if (c < 0x09 || (c > 0x0d && c < 0x20) || c >= 0x7f) {
			snprintf(err, errlen,
				 "%s: byte offset %zu: bad magic: neither a binary trace ('%s'), zstd, nor text",
				 path, i, TRACE_BIN_MAGIC);
			goto fail_free;
		}
	}
	tr->enc = TRACE_ENC_TEXT;
	tr->line_buf = iw_malloc(TEXT_LINE_MAX + 1);
	if (!tr->line_buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail_free;
	}
	/* Parse the header directives up to the first record, which is kept for trace_next(). */
	int rc = next_text(tr, &tr->pending, 1);
	if (rc < 0) {
		snprintf(err, errlen, "%s", tr->err);
		goto fail_free;
	}
	if (tr->hdr.version < TRACE_FORMAT_V3)
		snprintf(tr->hdr.format, sizeof(tr->hdr.format), "%s", TRACE_TABLE_FORMAT_S390); /* versions 1 and 2 */
	else if (!tr->hdr.format[0]) {
		snprintf(err, errlen, "%s: a version-3 trace names its table format ('%%format NAME') before its first record", path);
		goto fail_free;
	}
	tr->has_pending = rc == 1;
	return tr;
fail_free:
	trace_close(tr);
	return NULL;
}

struct trace_memory {
	struct trace_header hdr;
	enum trace_encoding enc;
	bool compressed;
	uint64_t n;
	struct trace_rec *recs;
};

/* The next record of a trace in memory, and the hash folded as its reader folded it. */
static int next_memory(struct trace_reader *tr, struct trace_rec *out)
{
	if (tr->records == tr->mem->n)
		return 0;
	*out = tr->mem->recs[tr->records++];
	tr->hash = hash_rec(tr->hash, out);
	return 1;
}

struct trace_memory *trace_memory_load(struct trace_reader *tr, uint64_t max_records, bool *too_big, char *err,
				       size_t errlen)
{
	*too_big = false;
	struct trace_memory *m = iw_calloc(1, sizeof(*m));
	if (!m) {
		snprintf(err, errlen, "%s: out of memory", tr->path);
		return NULL;
	}
	m->hdr = tr->hdr;
	m->enc = tr->enc;
	m->compressed = tr->compressed;
	uint64_t cap = 0;
	struct trace_rec r;
	int rc;
	while ((rc = trace_next(tr, &r)) == 1) {
		if (m->n == max_records) {
			*too_big = true;
			snprintf(err, errlen, "%s: more than %" PRIu64 " records", tr->path, max_records);
			break;
		}
		if (m->n == cap && iw_grow(&m->recs, &cap, m->n, sizeof(*m->recs), 1024) < 0) {
			snprintf(err, errlen, "%s: out of memory (%" PRIu64 " records in memory)", tr->path, m->n);
			break;
		}
		m->recs[m->n++] = r;
	}
	if (rc < 0)
		snprintf(err, errlen, "%s", trace_error(tr));
	if (rc != 0) {
		trace_memory_free(m);
		return NULL;
	}
	return m;
}

struct trace_reader *trace_open_memory(const struct trace_memory *m, const char *label, char *err, size_t errlen)
{
	struct trace_reader *tr = iw_calloc(1, sizeof(*tr));
	if (!tr || !(tr->path = iw_strdup(label))) {
		iw_free(tr);
		snprintf(err, errlen, "%s: out of memory", label);
		return NULL;
	}
	tr->mem = m;
	tr->hdr = m->hdr;
	tr->enc = m->enc;
	tr->compressed = m->compressed;
	tr->hash = FNV1A_OFFSET;
	return tr;
}

uint64_t trace_memory_records(const struct trace_memory *m) { return m->n; }
const struct trace_header *trace_memory_header(const struct trace_memory *m) { return &m->hdr; }

void trace_memory_free(struct trace_memory *m)
{
	if (!m)
		return;
	iw_free(m->recs);
	iw_free(m);
}

/* A binary DMA record whose whole 40 bytes are in hand and that every check of next_binary() and
 * accept_rec() passes, taken without them (most records of a trace are such): the same record, count,
 * hash and time as the checked path. false: nothing taken, the checked path decides. */
static inline bool next_binary_dma(struct trace_reader *tr, struct trace_rec *r)
{
	struct src *s = &tr->s;
	if (s->len - s->pos < TRACE_BIN_RECORD_BYTES || tr->records >= tr->hdr.record_count)
		return false;
	const unsigned char *p = s->buf + s->pos;
	if (p[8] != TRACE_DMA)
		return false;
	rec_decode(p, r);
	if ((r->flags != TRACE_DMA_READ && r->flags != TRACE_DMA_WRITE) || r->c == 0 || range_overflows(r->a, r->c) ||
	    r->time_cycles > TRACE_MAX_TIME || r->time_cycles < tr->last_time)
		return false;
	src_take(s, TRACE_BIN_RECORD_BYTES);
	tr->last_time = r->time_cycles;
	tr->records++;
	tr->hash = hash_rec(tr->hash, r);
	return true;
}

int trace_next(struct trace_reader *tr, struct trace_rec *out)
{
	if (tr->failed)
		return -1;
	if (tr->mem)
		return next_memory(tr, out);
	if (tr->enc == TRACE_ENC_BINARY)
		return next_binary_dma(tr, out) ? 1 : next_binary(tr, out);
	if (tr->has_pending) {
		*out = tr->pending;
		tr->has_pending = 0;
		return 1;
	}
	if (tr->records == 0)
		return 0; /* header parse hit EOF */
	return next_text(tr, out, 0);
}

const char *trace_error(const struct trace_reader *tr) { return tr->err; }
const struct trace_header *trace_reader_header(const struct trace_reader *tr) { return &tr->hdr; }
enum trace_encoding trace_reader_encoding(const struct trace_reader *tr) { return tr->enc; }
bool trace_reader_compressed(const struct trace_reader *tr) { return tr->compressed; }
uint64_t trace_reader_hash(const struct trace_reader *tr) { return tr->hash; }

void trace_close(struct trace_reader *tr)
{
	if (!tr)
		return;
	if (tr->s.own_fp)
		fclose(tr->s.fp);
	ZSTD_freeDCtx(tr->s.z);
	iw_free(tr->s.raw);
	iw_free(tr->s.buf);
	iw_free(tr->line_buf);
	iw_free(tr->path);
	iw_free(tr);
}

/* ---------- writer ---------- */

struct trace_writer {
	struct outfile *of;
	FILE *fp;
	enum trace_encoding enc;
	ZSTD_CCtx *z;
	unsigned char *zout;
	size_t zout_size;
	unsigned char *frame; /* zstd: the frame being gathered (TRACE_ZSTD_FRAME_BYTES) */
	size_t frame_len;
	uint64_t records;
	unsigned version;
	char format[TRACE_TABLE_FORMAT_MAX + 1]; /* version 3: the table format it names */
	int failed;
	int failed_errno; /* errno of the write that failed (0: not known) */
	char failed_why[160]; /* or why a record could not be written */
	int to_stdout;
};

const char *trace_rec_version_check(const struct trace_rec *r, unsigned version)
{
	if (r->kind == TRACE_MEMSLOT && r->dev != 0)
		return "MEMSLOT names no function (its dev field must be 0)";
	if (version < 2 && r->dev != 0 && (r->kind == TRACE_MAP || r->kind == TRACE_UNMAP || r->kind == TRACE_RPCIT))
		return "format v1 has one function: MAP, UNMAP and RPCIT cannot name function (dev) other than 0 (use format v2)";
	if (version < 3 && r->kind == TRACE_RPCIT && r->flags)
		return "an RPCIT's scope or leaf hint needs format v3";
	return NULL;
}

int trace_rec_format(const struct trace_rec *r, unsigned version, char *buf, size_t len)
{
	const char *kn = trace_kind_name(r->kind);
	char fn[16] = "";
	if (version >= 2)
		snprintf(fn, sizeof(fn), " %u", r->dev);
	switch (r->kind) {
	case TRACE_IOAT:
		return snprintf(buf, len, "%" PRIu64 " %s %u 0x%" PRIx64 " %u", r->time_cycles, kn, r->dev, r->a,
				r->flags);
	case TRACE_MEMSLOT:
		return snprintf(buf, len, "%" PRIu64 " %s %u 0x%" PRIx64 " 0x%" PRIx64 " 0x%" PRIx64, r->time_cycles,
				kn, r->id, r->a, r->b, r->c);
	case TRACE_MAP:
		return snprintf(buf, len, "%" PRIu64 " %s%s 0x%" PRIx64 " 0x%" PRIx64 " 0x%" PRIx64 " %s",
				r->time_cycles, kn, fn, r->a, r->b, r->c, r->flags == TRACE_PROT_RW ? "rw" : "r");
	case TRACE_UNMAP:
	case TRACE_RPCIT: {
		/* Version 3: an RPCIT's scope and hint as one more word (none for a page range without it). */
		const char *scope = (r->flags & TRACE_INVAL_SCOPE) == TRACE_INVAL_DOMAIN   ? "domain"
				    : (r->flags & TRACE_INVAL_SCOPE) == TRACE_INVAL_GLOBAL ? "global"
											 : "page";
		char extra[24] = "";
		if (r->kind == TRACE_RPCIT && r->flags)
			snprintf(extra, sizeof(extra), " %s%s", scope, r->flags & TRACE_INVAL_LEAF ? ",leaf" : "");
		return snprintf(buf, len, "%" PRIu64 " %s%s 0x%" PRIx64 " 0x%" PRIx64 "%s", r->time_cycles, kn, fn, r->a,
				r->c, extra);
	}
	case TRACE_DMA:
		return snprintf(buf, len, "%" PRIu64 " %s %u 0x%" PRIx64 " 0x%" PRIx64 " %s", r->time_cycles, kn,
				r->dev, r->a, r->c, r->flags == TRACE_DMA_WRITE ? "w" : "r");
	default:
		return snprintf(buf, len, "%" PRIu64 " ?%u", r->time_cycles, r->kind);
	}
}

/* The writer and its compression state freed (its output committed or aborted before). */
static void tw_free(struct trace_writer *tw)
{
	ZSTD_freeCCtx(tw->z);
	iw_free(tw->zout);
	iw_free(tw->frame);
	iw_free(tw);
}

/* zstd: the frame gathered so far compressed (one frame, its size in its header) and written. */
static int tw_frame(struct trace_writer *tw)
{
	if (!tw->frame_len)
		return 0;
	size_t n = ZSTD_compress2(tw->z, tw->zout, tw->zout_size, tw->frame, tw->frame_len);
	if (ZSTD_isError(n) || fwrite(tw->zout, 1, n, tw->fp) != n)
		return -1;
	tw->frame_len = 0;
	return 0;
}

static int tw_emit(struct trace_writer *tw, const void *data, size_t n)
{
	if (!tw->z)
		return fwrite(data, 1, n, tw->fp) == n ? 0 : -1;
	const unsigned char *p = data;
	while (n) {
		size_t k = TRACE_ZSTD_FRAME_BYTES - tw->frame_len;
		if (k > n)
			k = n;
		memcpy(tw->frame + tw->frame_len, p, k);
		tw->frame_len += k;
		p += k;
		n -= k;
		if (tw->frame_len == TRACE_ZSTD_FRAME_BYTES && tw_frame(tw) < 0)
			return -1;
	}
	return 0;
}

static int tw_header(struct trace_writer *tw, const struct trace_header *hdr)
{
	size_t name_len = strnlen(hdr->name, TRACE_NAME_MAX);
	if (tw->enc == TRACE_ENC_TEXT) {
		char buf[TRACE_NAME_MAX + 64];
		int n = snprintf(buf, sizeof(buf), "%%iowalk-trace %u\n", tw->version);
		if (tw->version >= TRACE_FORMAT_V3)
			n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%%format %s\n", tw->format);
		if (name_len)
			n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%%name %.*s\n", (int)name_len, hdr->name);
		return tw_emit(tw, buf, (size_t)n);
	}
	unsigned char h[TRACE_BIN_HEADER_FIXED_BYTES];
	memcpy(h, TRACE_BIN_MAGIC, 8);
	iw_put_le(h + 8, tw->version, 4);
	iw_put_le(h + 12, TRACE_BIN_RECORD_BYTES, 4);
	iw_put_le(h + 16, TRACE_PAGE_SIZE, 4);
	iw_put_le(h + 20, name_len, 4);
	iw_put_le(h + 24, TRACE_COUNT_UNKNOWN, 8);
	if (tw_emit(tw, h, sizeof(h)) < 0 || (name_len && tw_emit(tw, hdr->name, name_len) < 0))
		return -1;
	if (tw->version < TRACE_FORMAT_V3)
		return 0;
	unsigned char fl[4];
	size_t flen = strlen(tw->format);
	iw_put_le(fl, flen, 4);
	return tw_emit(tw, fl, 4) < 0 || tw_emit(tw, tw->format, flen) < 0 ? -1 : 0;
}

struct trace_writer *trace_writer_open(const char *path, enum trace_encoding enc, bool zstd,
				       const struct trace_header *hdr, char *err, size_t errlen)
{
	const char *why = trace_name_check(hdr->name, strnlen(hdr->name, TRACE_NAME_MAX + 1));
	if (why) {
		snprintf(err, errlen, "%s: the trace name has %s", path, why);
		return NULL;
	}
	struct trace_writer *tw = iw_calloc(1, sizeof(*tw));
	if (!tw) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	tw->enc = enc;
	if (hdr->version < TRACE_FORMAT_V1 || hdr->version > TRACE_FORMAT_VERSION) {
		snprintf(err, errlen, "%s: cannot write format version %u", path, hdr->version);
		iw_free(tw);
		return NULL;
	}
	tw->version = hdr->version;
	snprintf(tw->format, sizeof(tw->format), "%s", hdr->format[0] ? hdr->format : TRACE_TABLE_FORMAT_S390);
	why = trace_table_format_check(tw->format);
	if (why) {
		snprintf(err, errlen, "%s: table format '%s': %s", path, tw->format, why);
		iw_free(tw);
		return NULL;
	}
	tw->of = outfile_open(path, err, errlen);
	if (!tw->of)
		goto fail_free;
	tw->fp = outfile_fp(tw->of);
	if (zstd) {
		tw->z = ZSTD_createCCtx();
		tw->zout_size = ZSTD_compressBound(TRACE_ZSTD_FRAME_BYTES);
		tw->zout = iw_malloc(tw->zout_size);
		tw->frame = iw_malloc(TRACE_ZSTD_FRAME_BYTES);
		if (!tw->z || !tw->zout || !tw->frame) {
			snprintf(err, errlen, "%s: out of memory", path);
			goto fail_abort;
		}
		ZSTD_CCtx_setParameter(tw->z, ZSTD_c_compressionLevel, 9);
		ZSTD_CCtx_setParameter(tw->z, ZSTD_c_checksumFlag, 1);
	}
	if (tw_header(tw, hdr) < 0) {
		snprintf(err, errlen, "%s: write error: %s", path, strerror(errno));
		goto fail_abort;
	}
	return tw;
fail_abort:
	trace_writer_abort(tw);
	return NULL;
fail_free:
	iw_free(tw);
	return NULL;
}

struct trace_writer *trace_writer_stdout(const struct trace_header *hdr)
{
	char err[64];
	struct trace_writer *tw = trace_writer_open("-", TRACE_ENC_TEXT, false, hdr, err, sizeof(err));
	if (tw)
		tw->to_stdout = 1;
	return tw;
}

int trace_write(struct trace_writer *tw, const struct trace_rec *r)
{
	int rc;
	const char *why = trace_rec_version_check(r, tw->version);
	if (why) {
		if (!tw->failed)
			snprintf(tw->failed_why, sizeof(tw->failed_why), "%s", why);
		tw->failed = 1;
		return -1;
	}
	if (tw->enc == TRACE_ENC_TEXT) {
		char line[256];
		int n = trace_rec_format(r, tw->version, line, sizeof(line) - 1);
		line[n++] = '\n';
		rc = tw_emit(tw, line, (size_t)n);
	} else {
		unsigned char p[TRACE_BIN_RECORD_BYTES];
		rec_encode(r, p);
		rc = tw_emit(tw, p, sizeof(p));
	}
	if (rc < 0) {
		if (!tw->failed)
			tw->failed_errno = errno;
		tw->failed = 1;
	} else
		tw->records++;
	return rc;
}

const char *trace_writer_error(const struct trace_writer *tw, char *err, size_t errlen)
{
	const char *path = tw->to_stdout ? "standard output" : outfile_path(tw->of);
	if (tw->failed_why[0])
		snprintf(err, errlen, "%s: %s", path, tw->failed_why);
	else
		snprintf(err, errlen, "%s: write error%s%s", path, tw->failed_errno ? ": " : "",
			 tw->failed_errno ? strerror(tw->failed_errno) : "");
	return err;
}

int trace_writer_commit(struct trace_writer *tw, char *err, size_t errlen)
{
	int rc = 0;
	if (tw->z) {
		if (!tw->failed && tw_frame(tw) < 0) {
			tw->failed_errno = errno;
			tw->failed = 1;
		}
	} else if (tw->enc == TRACE_ENC_BINARY && !tw->failed) {
		/* Plain binary output is seekable: patch the record count into the header. */
		unsigned char cnt[8];
		iw_put_le(cnt, tw->records, 8);
		if (fseek(tw->fp, 24, SEEK_SET) != 0 || fwrite(cnt, 1, 8, tw->fp) != 8) {
			tw->failed_errno = errno;
			tw->failed = 1;
		}
	}
	if (tw->failed) {
		trace_writer_error(tw, err, errlen);
		outfile_abort(tw->of);
		rc = -1;
	} else {
		rc = outfile_commit(tw->of, err, errlen);
	}
	tw_free(tw);
	return rc;
}

void trace_writer_abort(struct trace_writer *tw)
{
	if (!tw)
		return;
	outfile_abort(tw->of);
	tw_free(tw);
}

int trace_reader_position(const struct trace_reader *tr, uint64_t *done, uint64_t *total)
{
	struct stat st;
	FILE *fp = tr->s.fp;
	if (!fp || fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0)
		return 0;
	/* What the reader has used, not what it has read ahead: a zstd trace's compressed input is read a MiB
	 * at a time (a whole file under a MiB at once: it said 100 % after a third of its records). */
	const struct src *s = &tr->s;
	uint64_t ahead = s->z ? (uint64_t)(s->zin.size - s->zin.pos) : (uint64_t)(s->len - s->pos);
	*done = s->file_total > ahead ? s->file_total - ahead : 0;
	*total = (uint64_t)st.st_size;
	return 1;
}
