/* cli_trace: `iowalk trace cat|pack|stat|validate`. */
#include "alloc.h"
#include "cli.h"
#include "convert.h"
#include "gen.h"
#include "models.h"
#include "outfile.h"
#include "trace.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The generator options, written once for the overview and `trace gen --help`. */
#define GEN_OPTIONS                                                                                        \
	"  every kind: --seed N  --ops N  --guest-ram MIB  --memslots N  --ioat-origin GPA  --levels 3|4|5\n"  \
	"              --rpcit strict|lazy:N  --interval CYCLES  --name TEXT  --binary  --zstd  --progress\n"    \
	"              --format NAME (a format-v3 trace of that table format; 'iowalk run --list-formats')\n" \
	"  --format vtd: --caching-mode on|off (a vIOMMU with caching mode: the guest flushes each new mapping\n" \
	"              and Linux forces strict; default on when strict, off when lazy)\n" \
	"  some kinds only (elsewhere refused): --ring N and --rx-percent P (nic-ring, nvme, vm);\n"           \
	"              --buf-size BYTES (nic-ring, churn, vm); --working-set MIB and --dma-size BYTES\n"        \
	"              (stream, random); --zipf S (random); --devices N (all but vm);\n"                       \
	"              --functions N (vm: PCI functions, each its own IO address space; a format-v2 trace)\n"  \
	"  sizes (--guest-ram, --buf-size, --working-set, --dma-size): a bare number in the unit shown, or\n"   \
	"              with a suffix K, M, G, T: --working-set 512K\n"

/* The options of `trace convert`, in the overview and in its own help. */
#define CONVERT_OPTIONS \
	"  --clock-ghz F             cycles per second of the simulated CPU, for timestamps (default 5.2)\n" \
	"  --rpcit auto|captured|strict|lazy:N\n" \
	"                            RPCITs from zpci_refresh_trans lines when present (auto, the default),\n" \
	"                            else one per map and per unmap (strict) or per N unmaps (lazy:N)\n" \
	"  --dma-accesses N          device accesses per mapped buffer (default 1; 0: none)\n" \
	"  --guest-ram SIZE          guest RAM in MiB, one memslot from gpa 0 (default 1024)\n" \
	"  --ioat-origin GPA         where the guest's IO table root lives (default 0x3e000000)\n" \
	"  --function BDF            keep only this PCI function's events, as a format-v1 trace (default: every\n" \
	"                            function; several make a format-v2 trace, one IO address space each)\n" \
	"  --name TEXT               the trace's name (default: source, policy and clock)\n" \
	"  --strict                  lines that do not parse are fatal (default: counted and reported)\n" \
	"  --levels 3|4|5            the guest table's levels (default: the fewest that hold every IOVA)\n" \
	"  --format NAME             a format-v3 trace of that table format (default: s390-ioat, version 1 or 2;\n" \
	"                            its guest tables then have the model's own depth unless --levels says)\n" \
	"  --accept-lost-events      convert a capture whose trace buffer dropped events (refused by default;\n" \
	"                            the trace's name then begins with LOST N EVENTS)\n" \
	"  --accept-policy-mismatch  convert a capture whose captured RPCITs do not flush as the header's\n" \
	"                            'flush strict|lazy' label says (refused by default)\n" \
	"  --host-log FILE           QEMU's VT-d trace of the same run (iowalk-capture --host-log): its\n" \
	"                            translations become the DMA records, each checked against the guest's\n" \
	"                            mapping at its place\n" \
	"  --host-repeats one|keep   a host translation that repeats the one before it (same device, page,\n" \
	"                            gpa; QEMU translates some accesses twice): one translation (default) or kept\n"

static const char trace_usage[] =
	"usage: iowalk trace <subcommand> [options]\n"
	"\n"
	"subcommands:\n"
	"  cat FILE                  print a trace (text or binary, zstd or not) in canonical text form\n"
	"  pack IN OUT [--zstd] [--name NAME]\n"
	"                            convert a trace to the binary encoding (zstd-compressed with --zstd)\n"
	"  stat FILE [--json]        record counts by kind, IOVA and time ranges, bytes mapped\n"
	"  validate FILE             read the whole trace and report the first error, if any\n"
	"  gen KIND -o OUT [options]  a seeded synthetic workload: nic-ring, nvme, stream, random, churn, vm\n"
	"  convert --from ftrace|kprobe IN -o OUT [options]\n"
	"                            convert a Linux ftrace/trace-cmd/perf text capture (docs/capture.md)\n"
	"\n"
	"convert options:\n"
	CONVERT_OPTIONS
	"\n"
	"\n"
	"gen options (docs/workloads.md has each model and its defaults):\n"
	GEN_OPTIONS
	"\n"
	"FILE may be '-' for standard input. The format is specified in docs/trace-format.md.\n";

/* Each subcommand's own help (`iowalk trace SUB --help`). */
static const char cat_usage[] =
	"usage: iowalk trace cat FILE\n\nPrints a trace (text or binary, zstd or not; '-' for stdin) in canonical text form.\n";
static const char pack_usage[] =
	"usage: iowalk trace pack IN OUT [--zstd] [--name NAME]\n\n"
	"Converts a trace to the binary encoding (zstd-compressed with --zstd); --name replaces its name.\n";
static const char stat_usage[] =
	"usage: iowalk trace stat FILE [--json]\n\n"
	"Record counts by kind, IOVA and time ranges, bytes mapped, refreshed and transferred.\n";
static const char validate_usage[] =
	"usage: iowalk trace validate FILE\n\nReads the whole trace and reports the first error (file, record, line or offset).\n";
static const char gen_usage[] =
	"usage: iowalk trace gen KIND -o OUT [options]\n"
	"\n"
	"A seeded synthetic workload; KIND is nic-ring, nvme, stream, random, churn or vm (docs/workloads.md\n"
	"has each model, its options and their defaults).\n"
	GEN_OPTIONS
	"Progress is shown on a terminal; --progress prints it as lines also when stderr is not one (logs,\n"
	"CI): operations done, percentage and rate.\n";
static const char convert_usage[] =
	"usage: iowalk trace convert --from ftrace|kprobe IN -o OUT [options]\n"
	"\n"
	"Converts a Linux ftrace/trace-cmd/perf text capture (docs/capture.md). Options:\n"
	CONVERT_OPTIONS
	"\n"
	"IN may be zstd-compressed, or '-' for standard input. A capture with only the iommu:map/unmap\n"
	"tracepoints (no dma:* events, no kprobes: x86, Arm) is one function's, and each map gets the\n"
	"device accesses the dma:* events would have given.\n";

static int reader_fail(struct trace_reader *tr)
{
	cli_error("%s", trace_error(tr));
	trace_close(tr);
	return CLI_EXIT_FAIL;
}

static int cmd_cat(const char *path)
{
	char err[512];
	struct trace_reader *tr = trace_open(path, err, sizeof(err));
	if (!tr) {
		cli_error("%s", err);
		return CLI_EXIT_FAIL;
	}
	/* Text goes to stdout as it is read; on a read error the output so far stands, and the exit
	 * status says it is incomplete (stdout is a stream, not a result file). */
	struct trace_writer *tw = trace_writer_stdout(trace_reader_header(tr));
	if (!tw) {
		cli_error("out of memory");
		trace_close(tr);
		return CLI_EXIT_FAIL;
	}
	struct trace_rec r;
	int rc;
	while ((rc = trace_next(tr, &r)) == 1) {
		if (trace_write(tw, &r) < 0) {
			bool gone = cli_stdout_reader_gone(); /* the reader stopped reading: a quiet end */
			if (!gone)
				cli_error("%s", trace_writer_error(tw, err, sizeof(err)));
			trace_writer_abort(tw);
			trace_close(tr);
			return gone ? CLI_EXIT_OK : CLI_EXIT_FAIL;
		}
	}
	if (trace_writer_commit(tw, err, sizeof(err)) < 0) {
		bool gone = cli_stdout_reader_gone(); /* the reader stopped reading: a quiet end */
		if (!gone)
			cli_error("%s", err);
		trace_close(tr);
		return gone ? CLI_EXIT_OK : CLI_EXIT_FAIL;
	}
	if (rc < 0)
		return reader_fail(tr);
	trace_close(tr);
	return CLI_EXIT_OK;
}

static int cmd_pack(int argc, char **argv)
{
	static const struct option opts[] = {
		{"zstd", no_argument, NULL, 'z'}, {"name", required_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	int zstd = 0, c;
	const char *name = NULL;
	optind = 1;
	while ((c = cli_getopt(argc, argv, "zn:h", opts, NULL, "trace pack")) != -1) {
		switch (c) {
		case 'z': zstd = 1; break;
		case 'n': name = optarg; break;
		case 'h': fputs(pack_usage, stdout); return CLI_EXIT_OK;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (argc - optind != 2) {
		cli_error("trace pack: expected IN and OUT (see 'iowalk trace --help')");
		return CLI_EXIT_USAGE;
	}
	const char *in = argv[optind], *out = argv[optind + 1];
	if (name && strlen(name) > TRACE_NAME_MAX) {
		cli_error("trace pack: --name longer than %u bytes", TRACE_NAME_MAX);
		return CLI_EXIT_USAGE;
	}
	char err[512];
	struct trace_reader *tr = trace_open(in, err, sizeof(err));
	if (!tr) {
		cli_error("%s", err);
		return CLI_EXIT_FAIL;
	}
	struct trace_header hdr = *trace_reader_header(tr);
	if (name)
		snprintf(hdr.name, sizeof(hdr.name), "%s", name);
	struct trace_writer *tw = trace_writer_open(out, TRACE_ENC_BINARY, zstd, &hdr, err, sizeof(err));
	if (!tw) {
		cli_error("%s", err);
		trace_close(tr);
		return CLI_EXIT_FAIL;
	}
	struct trace_rec r;
	int rc;
	while ((rc = trace_next(tr, &r)) == 1) {
		if (trace_write(tw, &r) < 0)
			break;
	}
	if (rc == 1) { /* a write failed: the commit says why, and removes what was staged */
		trace_writer_commit(tw, err, sizeof(err));
		cli_error("%s", err);
		trace_close(tr);
		return CLI_EXIT_FAIL;
	}
	if (rc != 0) {
		cli_error("%s", trace_error(tr));
		trace_writer_abort(tw);
		trace_close(tr);
		return CLI_EXIT_FAIL;
	}
	trace_close(tr);
	if (trace_writer_commit(tw, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}

struct stat_acc {
	uint64_t count[TRACE_KIND_MAX + 1];
	uint64_t records;
	uint64_t t_min, t_max;
	uint64_t iova_min, iova_max; /* inclusive, over MAP/UNMAP/RPCIT/DMA */
	int have_iova;
	/* Sums of 64-bit lengths: 128 bits, so they never wrap (a trace has fewer than 2^64 records). */
	unsigned __int128 map_bytes, map_ro_bytes, unmap_bytes, rpcit_bytes, dma_bytes, dma_read_bytes;
	unsigned __int128 memslot_pages;
	uint16_t dev_max;
	int have_dev;
};

static void stat_add(struct stat_acc *s, const struct trace_rec *r)
{
	if (s->records == 0)
		s->t_min = r->time_cycles;
	s->t_max = r->time_cycles;
	s->records++;
	s->count[r->kind]++;
	if (r->kind >= TRACE_MAP) {
		uint64_t last = r->a + (r->c - 1);
		if (!s->have_iova || r->a < s->iova_min)
			s->iova_min = r->a;
		if (!s->have_iova || last > s->iova_max)
			s->iova_max = last;
		s->have_iova = 1;
	}
	switch (r->kind) {
	case TRACE_MAP:
		s->map_bytes += r->c;
		if (r->flags == TRACE_PROT_READ)
			s->map_ro_bytes += r->c;
		break;
	case TRACE_UNMAP: s->unmap_bytes += r->c; break;
	case TRACE_RPCIT: s->rpcit_bytes += r->c; break;
	case TRACE_MEMSLOT: s->memslot_pages += r->b; break;
	case TRACE_DMA:
		s->dma_bytes += r->c;
		if (r->flags == TRACE_DMA_READ)
			s->dma_read_bytes += r->c;
		if (!s->have_dev || r->dev > s->dev_max)
			s->dev_max = r->dev;
		s->have_dev = 1;
		break;
	default: break;
	}
}

/* The decimal digits of v (buf of 40 bytes). */
static const char *u128_text(unsigned __int128 v, char *buf)
{
	char tmp[40];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + (int)(v % 10));
		v /= 10;
	} while (v);
	for (int i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
	return buf;
}

/* A JSON integer when it fits in one (below 2^63), else its exact decimal digits as a string. */
static json_t *u128_json(unsigned __int128 v)
{
	char buf[40];
	return v <= (unsigned __int128)INT64_MAX ? json_integer((json_int_t)v) : json_string(u128_text(v, buf));
}

static int print_stat_json(const char *path, const struct trace_header *h, const struct stat_acc *s,
			   uint64_t hash, int compressed, enum trace_encoding enc)
{
	json_t *o = json_object();
	json_t *counts = json_object();
	char hex[32];
	for (unsigned k = 1; k <= TRACE_KIND_MAX; k++)
		json_object_set_new(counts, trace_kind_name(k), json_integer((json_int_t)s->count[k]));
	json_object_set_new(o, "file", json_string(path));
	json_object_set_new(o, "name", json_string(h->name));
	json_object_set_new(o, "version", json_integer(h->version));
	json_object_set_new(o, "format", json_string(h->format));
	json_object_set_new(o, "encoding", json_string(enc == TRACE_ENC_BINARY ? "binary" : "text"));
	json_object_set_new(o, "zstd", json_boolean(compressed));
	snprintf(hex, sizeof(hex), "%016" PRIx64, hash);
	json_object_set_new(o, "hash", json_string(hex));
	json_object_set_new(o, "records", json_integer((json_int_t)s->records));
	json_object_set_new(o, "counts", counts);
	if (s->records) {
		json_object_set_new(o, "time_first_cycles", json_integer((json_int_t)s->t_min));
		json_object_set_new(o, "time_last_cycles", json_integer((json_int_t)s->t_max));
	}
	if (s->have_iova) {
		snprintf(hex, sizeof(hex), "0x%" PRIx64, s->iova_min);
		json_object_set_new(o, "iova_min", json_string(hex));
		snprintf(hex, sizeof(hex), "0x%" PRIx64, s->iova_max);
		json_object_set_new(o, "iova_max", json_string(hex));
	}
	json_object_set_new(o, "bytes_mapped", u128_json(s->map_bytes));
	json_object_set_new(o, "bytes_mapped_readonly", u128_json(s->map_ro_bytes));
	json_object_set_new(o, "bytes_unmapped", u128_json(s->unmap_bytes));
	json_object_set_new(o, "bytes_refreshed", u128_json(s->rpcit_bytes));
	json_object_set_new(o, "bytes_dma", u128_json(s->dma_bytes));
	json_object_set_new(o, "bytes_dma_read", u128_json(s->dma_read_bytes));
	json_object_set_new(o, "memslot_pages", u128_json(s->memslot_pages));
	int rc = json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(o);
	return rc;
}

static void print_stat_table(const char *path, const struct trace_header *h, const struct stat_acc *s,
			     uint64_t hash, int compressed, enum trace_encoding enc)
{
	printf("trace      %s\n", path);
	printf("name       %s\n", h->name[0] ? h->name : "(none)");
	printf("format     %s (version %u)\n", h->format, h->version);
	printf("encoding   %s%s\n", enc == TRACE_ENC_BINARY ? "binary" : "text", compressed ? ", zstd" : "");
	printf("hash       %016" PRIx64 "\n", hash);
	printf("records    %" PRIu64 "\n", s->records);
	for (unsigned k = 1; k <= TRACE_KIND_MAX; k++)
		printf("  %-8s %" PRIu64 "\n", trace_kind_name(k), s->count[k]);
	if (s->records)
		printf("time       %" PRIu64 " .. %" PRIu64 " cycles\n", s->t_min, s->t_max);
	if (s->have_iova)
		printf("iova       0x%" PRIx64 " .. 0x%" PRIx64 "\n", s->iova_min, s->iova_max);
	char a[40], b[40];
	printf("mapped     %s bytes (%s read-only)\n", u128_text(s->map_bytes, a), u128_text(s->map_ro_bytes, b));
	printf("unmapped   %s bytes\n", u128_text(s->unmap_bytes, a));
	printf("refreshed  %s bytes\n", u128_text(s->rpcit_bytes, a));
	printf("dma        %s bytes (%s device reads)\n", u128_text(s->dma_bytes, a), u128_text(s->dma_read_bytes, b));
	printf("memslots   %s pages\n", u128_text(s->memslot_pages, a));
}

static int cmd_stat(int argc, char **argv, int validate_only)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	int json = 0, c;
	optind = 1;
	while ((c = cli_getopt(argc, argv, "jh", opts, NULL, validate_only ? "trace validate" : "trace stat")) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'h': fputs(validate_only ? validate_usage : stat_usage, stdout); return CLI_EXIT_OK;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		cli_error("trace %s: expected one FILE", validate_only ? "validate" : "stat");
		return CLI_EXIT_USAGE;
	}
	const char *path = argv[optind];
	char err[512];
	struct trace_reader *tr = trace_open(path, err, sizeof(err));
	if (!tr) {
		cli_error("%s", err);
		return CLI_EXIT_FAIL;
	}
	struct stat_acc s;
	memset(&s, 0, sizeof(s));
	struct trace_rec r;
	int rc;
	while ((rc = trace_next(tr, &r)) == 1)
		stat_add(&s, &r);
	if (rc < 0)
		return reader_fail(tr);
	if (validate_only) {
		printf("%s: valid, %" PRIu64 " records\n", path, s.records);
	} else if (json) {
		print_stat_json(path, trace_reader_header(tr), &s, trace_reader_hash(tr), trace_reader_compressed(tr),
				trace_reader_encoding(tr));
	} else {
		print_stat_table(path, trace_reader_header(tr), &s, trace_reader_hash(tr),
				 trace_reader_compressed(tr), trace_reader_encoding(tr));
	}
	trace_close(tr);
	return CLI_EXIT_OK;
}

static int parse_ghz(const char *t, uint64_t *mhz)
{
	/* Decimal GHz with up to 3 fractional digits, kept exact as MHz. */
	uint64_t ip = 0, fp = 0;
	int nd = 0;
	const char *p = t;
	if (!*p)
		return -1;
	for (; *p >= '0' && *p <= '9'; p++)
		ip = ip * 10 + (uint64_t)(*p - '0');
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9' && nd < 3; p++, nd++)
			fp = fp * 10 + (uint64_t)(*p - '0');
	if (*p || ip > 1000)
		return -1;
	while (nd++ < 3)
		fp *= 10;
	*mhz = ip * 1000 + fp;
	return *mhz ? 0 : -1;
}

static int parse_num(const char *t, uint64_t *v)
{
	char *end;
	errno = 0;
	if (!*t || *t == '-')
		return -1;
	unsigned long long x = strtoull(t, &end, 0);
	if (errno || *end)
		return -1;
	*v = x;
	return 0;
}

/* Progress of `trace gen` on stderr: a line rewritten in place on a terminal, one line per step with
 * --progress (logs, CI). Operations done, the percentage and the rate; the trace itself does not depend
 * on it. */
struct gen_progress {
	bool tty, lines, shown;
	struct timespec t0;
};

static void gen_progress_line(uint64_t done, uint64_t total, void *arg)
{
	struct gen_progress *p = arg;
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	double s = (double)(t.tv_sec - p->t0.tv_sec) + (double)(t.tv_nsec - p->t0.tv_nsec) * 1e-9;
	fprintf(stderr, "%sgen: %" PRIu64 "/%" PRIu64 " operations (%.0f %%), %.2f M operations/s%s",
		p->tty && !p->lines ? "\r\033[K" : "", done, total, 100.0 * (double)done / (double)total,
		s > 0 ? (double)done / s * 1e-6 : 0.0, p->tty && !p->lines ? "" : "\n");
	p->shown = true;
}

static int cmd_gen(int argc, char **argv)
{
	enum { G_BIN = 256, G_ZSTD, G_NAME, G_OPT, G_PROGRESS, G_FORMAT };
	/* Every option but these few is a generator option handled by gen_set(). */
	static const struct option opts[] = {
		{"seed", required_argument, NULL, G_OPT},        {"ops", required_argument, NULL, G_OPT},
		{"guest-ram", required_argument, NULL, G_OPT},   {"memslots", required_argument, NULL, G_OPT},
		{"ioat-origin", required_argument, NULL, G_OPT}, {"levels", required_argument, NULL, G_OPT},
		{"rpcit", required_argument, NULL, G_OPT},       {"ring", required_argument, NULL, G_OPT},
		{"buf-size", required_argument, NULL, G_OPT},    {"rx-percent", required_argument, NULL, G_OPT},
		{"working-set", required_argument, NULL, G_OPT}, {"dma-size", required_argument, NULL, G_OPT},
		{"zipf", required_argument, NULL, G_OPT},        {"interval", required_argument, NULL, G_OPT},
		{"devices", required_argument, NULL, G_OPT},     {"name", required_argument, NULL, G_NAME},
		{"functions", required_argument, NULL, G_OPT},   {"format", required_argument, NULL, G_FORMAT},
		{"binary", no_argument, NULL, G_BIN},            {"zstd", no_argument, NULL, G_ZSTD},
		{"progress", no_argument, NULL, G_PROGRESS},     {"caching-mode", required_argument, NULL, G_OPT},
		{"output", required_argument, NULL, 'o'},        {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	if (argc < 2 || argv[1][0] == '-') {
		if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
			fputs(gen_usage, stdout);
			return CLI_EXIT_OK;
		}
		cli_error("gen: expected KIND first: %s", cli_gen_kinds());
		return CLI_EXIT_USAGE;
	}
	enum gen_kind kind;
	if (gen_kind_parse(argv[1], &kind) < 0) {
		cli_error("gen: unknown kind '%s' (%s)", argv[1], cli_gen_kinds());
		return CLI_EXIT_USAGE;
	}
	struct gen_opts o;
	gen_defaults(&o, kind);
	bool levels_given = false;
	const char *out = NULL;
	bool binary = false, zstd = false, progress_lines = false;
	int c, idx;
	char err[512];
	argc--;
	argv++;
	optind = 1;
	while ((c = cli_getopt(argc, argv, "o:h", opts, &idx, "trace gen")) != -1) {
		switch (c) {
		case G_OPT:
			levels_given |= strcmp(opts[idx].name, "levels") == 0;
			if (gen_set(&o, opts[idx].name, optarg, err, sizeof(err))) {
				cli_error("gen: %s", err);
				return CLI_EXIT_USAGE;
			}
			break;
		case G_NAME: o.name = optarg; break;
		case G_FORMAT:
			if (!model_find(optarg)) {
				cli_error("gen: unknown table format '%s' (known: %s)", optarg, cli_format_names());
				return CLI_EXIT_USAGE;
			}
			o.format = optarg;
			break;
		case G_BIN: binary = true; break;
		case G_ZSTD: zstd = true; break;
		case G_PROGRESS: progress_lines = true; break;
		case 'o': out = optarg; break;
		case 'h': fputs(gen_usage, stdout); return CLI_EXIT_OK;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (!out || optind != argc) {
		cli_error("gen: expected -o OUT (and no other arguments)");
		return CLI_EXIT_USAGE;
	}
	/* A format's guest tables have the model's own default depth (VT-d's first stage: 4 levels). */
	if (o.format && !levels_given)
		o.levels = model_find(o.format)->default_levels;
	const char *why = gen_check(&o);
	if (why) {
		cli_error("gen %s: %s", gen_kind_name(kind), why);
		return CLI_EXIT_USAGE;
	}
	struct gen_stats st;
	struct gen_progress gp = {.tty = isatty(STDERR_FILENO), .lines = progress_lines};
	if (gp.tty || gp.lines) {
		o.progress = gen_progress_line;
		o.progress_arg = &gp;
		clock_gettime(CLOCK_MONOTONIC, &gp.t0);
	}
	int grc = gen_write(&o, out, binary, zstd, &st, err, sizeof(err));
	if (gp.tty && !gp.lines && gp.shown)
		fputs("\r\033[K", stderr);
	if (grc < 0) {
		cli_error("gen %s: %s", gen_kind_name(kind), err);
		return CLI_EXIT_FAIL;
	}
	fprintf(stderr, "generated %s: %" PRIu64 " records: %" PRIu64 " maps (%" PRIu64 " bytes), %" PRIu64 " unmaps, %" PRIu64
		" RPCITs, %" PRIu64 " DMAs (%" PRIu64 " bytes)\n",
		gen_kind_name(kind), st.records, st.maps, st.bytes_mapped, st.unmaps, st.rpcits, st.dmas, st.bytes_dma);
	return CLI_EXIT_OK;
}

static int cmd_convert(int argc, char **argv)
{
	enum { O_FROM = 256, O_CLOCK, O_RPCIT, O_DMA, O_RAM, O_ORIGIN, O_FUNC, O_NAME, O_STRICT, O_LEVELS, O_LOST, O_POLICY, O_FORMAT, O_HOST, O_REPEATS };
	static const struct option opts[] = {
		{"from", required_argument, NULL, O_FROM},       {"clock-ghz", required_argument, NULL, O_CLOCK},
		{"rpcit", required_argument, NULL, O_RPCIT},     {"dma-accesses", required_argument, NULL, O_DMA},
		{"guest-ram", required_argument, NULL, O_RAM},   {"ioat-origin", required_argument, NULL, O_ORIGIN},
		{"function", required_argument, NULL, O_FUNC},   {"name", required_argument, NULL, O_NAME},
		{"strict", no_argument, NULL, O_STRICT},         {"output", required_argument, NULL, 'o'},
		{"levels", required_argument, NULL, O_LEVELS},  {"format", required_argument, NULL, O_FORMAT},
		{"accept-lost-events", no_argument, NULL, O_LOST},
		{"accept-policy-mismatch", no_argument, NULL, O_POLICY},
		{"host-log", required_argument, NULL, O_HOST},
		{"host-repeats", required_argument, NULL, O_REPEATS},
		{"help", no_argument, NULL, 'h'},                {NULL, 0, NULL, 0}};
	struct convert_opts o;
	convert_defaults(&o);
	const char *from = NULL, *out = NULL;
	int c;
	uint64_t v;
	optind = 1;
	while ((c = cli_getopt(argc, argv, "o:h", opts, NULL, "trace convert")) != -1) {
		switch (c) {
		case O_FROM: from = optarg; break;
		case 'o': out = optarg; break;
		case O_CLOCK:
			if (parse_ghz(optarg, &o.clock_mhz) < 0) {
				cli_error("convert: --clock-ghz '%s': expected a positive decimal like 5.2", optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case O_RPCIT:
			if (strcmp(optarg, "auto") == 0)
				o.rpcit = CONVERT_RPCIT_AUTO;
			else if (strcmp(optarg, "captured") == 0)
				o.rpcit = CONVERT_RPCIT_CAPTURED;
			else if (strcmp(optarg, "strict") == 0)
				o.rpcit = CONVERT_RPCIT_STRICT;
			else if (strncmp(optarg, "lazy:", 5) == 0 && parse_num(optarg + 5, &o.lazy_batch) == 0 && o.lazy_batch)
				o.rpcit = CONVERT_RPCIT_LAZY;
			else {
				cli_error("convert: --rpcit '%s': expected auto, captured, strict or lazy:N", optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case O_DMA:
			if (parse_num(optarg, &o.dma_accesses) < 0 || o.dma_accesses > 1000) {
				cli_error("convert: --dma-accesses '%s': expected 0..1000", optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case O_RAM:
			if (gen_parse_size(optarg, 20, &v) < 0 || v < (1ull << 20) || v > (1ull << 50) || (v & ((1ull << 20) - 1))) {
				cli_error("convert: --guest-ram '%s': expected a whole number of MiB, 1 MiB..1 PiB (MiB, or with a suffix: 4G)",
					  optarg);
				return CLI_EXIT_USAGE;
			}
			o.guest_ram_bytes = v;
			break;
		case O_ORIGIN:
			if (parse_num(optarg, &o.ioat_origin) < 0 || (o.ioat_origin & 0x3fff)) {
				cli_error("convert: --ioat-origin '%s': expected a 16 KiB-aligned address", optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case O_FUNC: o.function = optarg; break;
		case O_NAME: o.name = optarg; break;
		case O_STRICT: o.strict = true; break;
		case O_FORMAT:
			if (!model_find(optarg)) {
				cli_error("convert: unknown table format '%s' (known: %s)", optarg, cli_format_names());
				return CLI_EXIT_USAGE;
			}
			o.format = optarg;
			break;
		case O_LEVELS:
			if (strcmp(optarg, "3") && strcmp(optarg, "4") && strcmp(optarg, "5")) {
				cli_error("convert: --levels '%s': expected 3, 4 or 5", optarg);
				return CLI_EXIT_USAGE;
			}
			o.levels = (unsigned)(optarg[0] - '0');
			break;
		case O_LOST: o.accept_lost = true; break;
		case O_POLICY: o.accept_policy = true; break;
		case O_HOST:
			if (!optarg[0]) {
				cli_error("convert: --host-log needs a file");
				return CLI_EXIT_USAGE;
			}
			o.host_log = optarg;
			break;
		case O_REPEATS:
			if (strcmp(optarg, "one") != 0 && strcmp(optarg, "keep") != 0) {
				cli_error("convert: --host-repeats '%s': expected one or keep", optarg);
				return CLI_EXIT_USAGE;
			}
			o.host_keep_repeats = strcmp(optarg, "keep") == 0;
			break;
		case 'h': fputs(convert_usage, stdout); return CLI_EXIT_OK;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (!from || (strcmp(from, "ftrace") != 0 && strcmp(from, "kprobe") != 0)) {
		cli_error("convert: --from ftrace or --from kprobe is required");
		return CLI_EXIT_USAGE;
	}
	if (!out || argc - optind != 1) {
		cli_error("convert: expected IN and -o OUT");
		return CLI_EXIT_USAGE;
	}
	if (o.ioat_origin + (1ull << 20) > o.guest_ram_bytes) {
		cli_error("convert: --ioat-origin must leave 1 MiB of guest RAM above it for the guest's tables");
		return CLI_EXIT_USAGE;
	}
	struct convert_stats st;
	char err[512];
	if (o.format && o.levels == 0)
		o.levels = model_find(o.format)->default_levels; /* the model's depth, not the s390 fewest-levels rule */
	/* A VT-d guest's capture (its qi_submit invalidations) becomes a VT-d trace unless --format says. */
	const struct iw_model *vtd = model_find("vtd");
	if (vtd) {
		o.vtd_format = vtd->name;
		o.vtd_levels = vtd->default_levels;
	}
	if (convert_ftrace(argv[optind], out, &o, &st, err, sizeof(err)) < 0) {
		cli_error("convert: %s", err);
		return CLI_EXIT_FAIL;
	}
	char fns[CONVERT_MAX_FUNCTIONS * 40 + 64] = "";
	if (st.nfunctions > 1) {
		int n = snprintf(fns, sizeof(fns), "%u functions (format v%d:", st.nfunctions, st.format ? 3 : 2);
		for (unsigned k = 0; k < st.nfunctions; k++)
			n += snprintf(fns + n, sizeof(fns) - (size_t)n, " %u = %s%s", k, st.functions[k], k + 1 < st.nfunctions ? "," : ")");
	} else {
		snprintf(fns, sizeof(fns), "function %s", st.function[0] ? st.function : "-");
	}
	/* Where the RPCITs came from: the capture's, or the policy --rpcit chose (one per map and per unmap
	 * when the capture has none and none was chosen). */
	char pol[256];
	bool is_vtd = st.format && strcmp(st.format, "vtd") == 0;
	if (st.rpcit_captured && is_vtd && st.flushes_qi)
		snprintf(pol, sizeof(pol), "captured: the guest's IOTLB invalidation descriptors, %" PRIu64 " of them domain or global%s%s",
			 st.rpcits_wide, st.rpcits_unknown_domain ? " (domains tied to no function made global)" : "",
			 st.qi_other ? "; its other descriptors ignored" : "");
	else if (st.rpcit_captured && is_vtd && st.flushes_zpci) /* another architecture's flushes: a what-if, said */
		snprintf(pol, sizeof(pol), "captured: an s390 guest's RPCITs (zpci_refresh_trans), each a page-range "
					   "invalidation of its function's domain");
	else if (st.rpcit_captured && !is_vtd && st.flushes_qi)
		snprintf(pol, sizeof(pol), "captured: a VT-d guest's IOTLB invalidation descriptors, each an RPCIT of "
					   "its range, its domain or every domain, as the descriptor's granularity says");
	else if (st.rpcit_captured)
		snprintf(pol, sizeof(pol), "captured");
	else if (o.rpcit == CONVERT_RPCIT_LAZY)
		snprintf(pol, sizeof(pol), "synthesized by --rpcit lazy:%" PRIu64, o.lazy_batch);
	else if (o.rpcit == CONVERT_RPCIT_STRICT)
		snprintf(pol, sizeof(pol), "synthesized by --rpcit strict");
	else
		snprintf(pol, sizeof(pol), "synthesized, strict: the capture has none; --rpcit sets the policy");
	fprintf(stderr,
		"converted %" PRIu64 " lines: %s%s, %s %u-level table, %" PRIu64 " maps, %" PRIu64 " unmaps, %" PRIu64
		" RPCITs (%s), %" PRIu64 " DMAs; %" PRIu64 " events of other functions dropped%s, %" PRIu64
		" other events ignored, %" PRIu64 " lines unparsed",
		st.lines, fns,
		st.tracepoint_only ? " (no event names a device: all are one function's, DMAs follow the maps)" : "",
		st.format ? st.format : "s390-ioat", st.levels, st.maps, st.unmaps, st.rpcits,
		pol, st.dmas,
		st.other_function, st.other_function ? (st.nfunctions > 1 ? " (no device named them)" : " (--function BDF kept one)") : "", st.ignored,
		st.unparsed);
	for (uint64_t i = 0; i < st.unparsed && i < 8; i++)
		fprintf(stderr, "%s%" PRIu64, i ? ", " : " (lines ", st.unparsed_lines[i]);
	fprintf(stderr, "%s\n", st.unparsed ? (st.unparsed > 8 ? ", ...)" : ")") : "");
	/* What the capture's integrity checks found. */
	if (st.lost_events)
		fprintf(stderr, "warning: the capture lost %" PRIu64 " events (accepted by --accept-lost-events; the trace's name says so)\n",
			st.lost_events);
	if (st.unmaps_never_mapped)
		fprintf(stderr, "warning: %" PRIu64 " unmaps of IOVAs the capture never mapped (it started mid-workload, or lost events)\n",
			st.unmaps_never_mapped);
	if (st.label[0] && st.rpcit_captured && !st.integrity_partial)
		fprintf(stderr, "flush policy: labelled %s; %" PRIu64 " of %" PRIu64 " unmaps flushed at once, %" PRIu64
			" IOVA pages mapped again before their unmap was flushed%s\n",
			st.label, st.unmaps_flushed_at_once, st.unmaps, st.reuse_before_flush,
			o.accept_policy ? " (--accept-policy-mismatch)" : "");
	if (st.integrity_partial)
		fprintf(stderr, "note: too many pages to track: the unmap and flush checks stopped part way\n");
	if (o.host_log) {
		fprintf(stderr,
			"host log: %" PRIu64 " translations (%" PRIu64 " repeats of the one before made one); the guest's %" PRIu64
			" IOTLB invalidations are the log's %" PRIu64 "..%" PRIu64 " of %" PRIu64 "; %" PRIu64
			" translations placed as DMAs, each agreeing with the guest's mapping at its place (%" PRIu64
			" one guest invalidation later than QEMU logged them); %" PRIu64 " disagree; %" PRIu64 " before the guest's first invalidation, %" PRIu64 " after its trace; %" PRIu64
			" of devices not kept; %" PRIu64 " faults\n",
			st.host_translations, st.host_collapsed, st.guest_invals, st.host_aligned_at + 1,
			st.host_aligned_at + st.guest_invals, st.host_invals, st.host_placed, st.host_late, st.host_disagree, st.host_before,
			st.host_after, st.host_other_device, st.host_faults);
		for (uint64_t i = 0; i < st.host_disagree && i < 8; i++)
			fprintf(stderr, "%s%" PRIu64, i ? ", " : "disagreeing translations at host log lines ", st.host_disagree_lines[i]);
		if (st.host_disagree)
			fprintf(stderr, "%s\n", st.host_disagree > 8 ? ", ..." : "");
	}
	return CLI_EXIT_OK;
}

int cli_trace(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(trace_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	const char *sub = argv[1];
	argc--;
	argv++;
	if (strcmp(sub, "cat") == 0) {
		if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
			fputs(cat_usage, stdout);
			return CLI_EXIT_OK;
		}
		if (argc != 2 || !argv[1][0]) {
			cli_error(argc != 2 ? "trace cat: expected one FILE" : "trace cat: an empty argument names no file");
			return CLI_EXIT_USAGE;
		}
		return cmd_cat(argv[1]);
	}
	if (strcmp(sub, "pack") == 0)
		return cmd_pack(argc, argv);
	if (strcmp(sub, "stat") == 0)
		return cmd_stat(argc, argv, 0);
	if (strcmp(sub, "validate") == 0)
		return cmd_stat(argc, argv, 1);
	if (strcmp(sub, "convert") == 0)
		return cmd_convert(argc, argv);
	if (strcmp(sub, "gen") == 0)
		return cmd_gen(argc, argv);
	cli_error("trace: unknown subcommand '%s' (try 'iowalk trace --help')", sub);
	return CLI_EXIT_USAGE;
}
