/* gen: synthetic workloads (see gen.h and docs/workloads.md).
 * Notes:
 *  - IOVAs come from a model of Linux's dma-iommu allocator: the window [4 GiB, 5 GiB) (what a 6.12
 *    s390 guest used in the committed capture), allocated top-down, sizes rounded to a power of two and
 *    aligned to it, freed ranges reused last-in first-out per size (the rcaches). With lazy flushing a
 *    freed range is reusable only after the flush queue is flushed: one RPCIT over the whole window when
 *    it holds lazy_batch entries or the window is exhausted.
 *  - Every new mapping is followed by an RPCIT of its range (the refresh bit a shadowing hypervisor sets).
 *  - VT-d guests (format "vtd") flush as Linux's VT-d driver does (gen.h, caching_mode): a new mapping only
 *    under caching mode; a strict unmap page-selectively with the leaf hint; a lazy batch domain-wide.
 *  - Zipf weights use only IEEE-exact operations (sqrt, multiply, divide), so sampling is identical on
 *    every IEEE-754 machine; the exponent is therefore a multiple of 0.25.
 */
#include "gen.h"

#include "alloc.h"
#include "decimal.h"
#include "rng.h"
#include "trace.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#define IOVA_BASE 0x100000000ull
#define IOVA_TOP 0x140000000ull
#define MAX_ORDER 20 /* up to 4 GiB ranges */
#define HVA_BASE 0x10000000000ull
#define S390_PAGE 4096ull
#define TABLE_RESERVE (16ull << 20) /* guest RAM kept for the guest's IO tables above the origin */

static const char *const kind_names[GEN_KIND_COUNT] = {"nic-ring", "nvme", "stream", "random", "churn", "vm"};

const char *gen_kind_name(enum gen_kind k) { return kind_names[k]; }

int gen_kind_parse(const char *s, enum gen_kind *k)
{
	for (int i = 0; i < GEN_KIND_COUNT; i++) {
		if (strcmp(s, kind_names[i]) == 0) {
			*k = (enum gen_kind)i;
			return 0;
		}
	}
	return -1;
}

static void gen_tick(const struct gen_opts *o, uint64_t i)
{
	if (o->progress && i && (i & 0xffff) == 0)
		o->progress(i, o->ops, o->progress_arg);
}

void gen_defaults(struct gen_opts *o, enum gen_kind k)
{
	memset(o, 0, sizeof(*o));
	o->kind = k;
	o->seed = 1;
	o->guest_ram_mib = 4096;
	o->memslots = 1;
	o->ioat_origin = 16ull << 20;
	o->levels = 3;
	o->lazy = false;
	o->caching_mode = -1;
	o->lazy_batch = 256;
	o->ops = 10000;
	o->ring = 256;
	o->buf_bytes = 1536; /* virtio-net's mergeable RX buffer: the size of the captured RX maps */
	o->rx_percent = 50;
	o->working_set_bytes = 64ull << 20;
	o->dma_bytes = 4096;
	o->zipf_s = 0;
	o->interval_cycles = 5200; /* 1 us at 5.2 GHz */
	o->devices = 1;
	if (k == GEN_NVME) {
		o->ring = 32;
		o->ops = 5000;
	}
	if (k == GEN_CHURN)
		o->buf_bytes = 4096;
	o->functions = 1;
	if (k == GEN_VM) {
		o->functions = 2;
		o->ops = 10000;
	}
}

/* Guest RAM kept for the guest's IO tables above the origin: 16 MiB per function (each function's IO
 * table at origin + k x 16 MiB), or one memslot if smaller. */
static uint64_t table_reserve(const struct gen_opts *o)
{
	uint64_t slot = (o->guest_ram_mib << 20) / (o->memslots ? o->memslots : 1);
	uint64_t want = TABLE_RESERVE * (o->functions ? o->functions : 1);
	return slot < want ? slot : want;
}

/* Whether the trace is a VT-d guest's, which flushes as Linux's VT-d driver does. */
static bool vtd_guest(const struct gen_opts *o) { return o->format && strcmp(o->format, "vtd") == 0; }

const char *gen_check(const struct gen_opts *o)
{
	uint64_t ram = o->guest_ram_mib << 20;
	if (o->guest_ram_mib == 0 || o->guest_ram_mib > (1ull << 22))
		return "--guest-ram must be 1 MiB .. 4 TiB";
	if (o->memslots == 0 || o->memslots > 1000000 || o->guest_ram_mib % o->memslots != 0)
		return "--memslots must divide the guest RAM in MiB (1 .. 10^6 slots)";
	if (o->levels < 3 || o->levels > 5)
		return "--levels must be 3, 4 or 5";
	if (o->format && o->kind != GEN_VM && o->devices > 1)
		return "--devices N (DMA streams sharing one address space) needs a version-1 trace: a version-3 trace's "
		       "(--format) DMAs are its functions' (trace gen vm --functions N)";
	if (o->ioat_origin & 0x3fff)
		return "--ioat-origin must be 16 KiB aligned";
	uint64_t slot = ram / o->memslots;
	uint64_t reserve = table_reserve(o);
	if (o->ioat_origin / slot != (o->ioat_origin + reserve - 1) / slot || o->ioat_origin + reserve > ram)
		return "the table pool above --ioat-origin (16 MiB, or the memslot size if smaller) must lie inside one memslot";
	if (ram < reserve + (4ull << 20))
		return "--guest-ram is too small (needs 16 MiB for tables plus room for buffers)";
	if (o->caching_mode >= 0 && !vtd_guest(o))
		return "--caching-mode is a VT-d guest's (--format vtd)";
	if (o->caching_mode > 0 && o->lazy)
		return "--caching-mode on makes Linux flush strictly (\"IOMMU batching disallowed due to virtualization\"): "
		       "use --rpcit strict with it, or --caching-mode off for a lazy guest";
	if (o->lazy && o->lazy_batch == 0)
		return "--rpcit lazy:N needs N >= 1";
	if (o->ops == 0)
		return "--ops must be at least 1";
	if (o->ring == 0 || o->ring > 65536)
		return "--ring must be 1 .. 65536";
	if (o->buf_bytes == 0 || o->buf_bytes > (2ull << 20))
		return "--buf-size must be 1 B .. 2 MiB";
	if (o->rx_percent > 100)
		return "--rx-percent must be 0 .. 100";
	if (o->working_set_bytes == 0 || o->working_set_bytes % 4096)
		return "--working-set must be a multiple of 4 KiB";
	if (o->working_set_bytes > ram - reserve || o->working_set_bytes > IOVA_TOP - IOVA_BASE)
		return "--working-set must fit in guest RAM and in the 1 GiB IOVA window";
	if (o->dma_bytes == 0 || o->dma_bytes > o->working_set_bytes)
		return "--dma-size must be 1 B .. the working set";
	if (o->zipf_s < 0 || o->zipf_s > 8 || o->zipf_s * 4 != floor(o->zipf_s * 4))
		return "--zipf must be a multiple of 0.25 in [0, 8]";
	if (o->devices == 0 || o->devices > 65535)
		return "--devices must be 1 .. 65535";
	if (o->functions == 0 || o->functions > GEN_MAX_FUNCTIONS)
		return "--functions must be 1 .. 64";
	if (o->functions > 1 && table_reserve(o) < TABLE_RESERVE * o->functions)
		return "--functions: each function's IO tables need 16 MiB inside the memslot holding --ioat-origin";
	if (o->interval_cycles > (1ull << 40))
		return "--interval is too large";
	return NULL;
}

static int parse_u64(const char *t, uint64_t *v)
{
	if (!*t || *t == '-')
		return -1;
	char *end;
	errno = 0;
	unsigned long long x = strtoull(t, &end, 0);
	if (errno || *end)
		return -1;
	*v = x;
	return 0;
}

int gen_parse_size(const char *t, unsigned unit_shift, uint64_t *bytes)
{
	if (!*t || *t == '-' || *t == '+')
		return -1;
	char *end;
	errno = 0;
	unsigned long long x = strtoull(t, &end, 0); /* decimal, or 0x hexadecimal */
	if (errno || end == t)
		return -1;
	unsigned shift = unit_shift;
	if (*end) {
		const char *sfx = "KMGT", *p = strchr(sfx, toupper((unsigned char)*end));
		if (!p || !*p)
			return -1;
		shift = 10 * (unsigned)(p - sfx + 1);
		end++;
		if (strcmp(end, "iB") != 0 && strcmp(end, "B") != 0 && *end)
			return -1;
	}
	if (shift && x > (UINT64_MAX >> shift))
		return -1;
	*bytes = (uint64_t)x << shift;
	return 0;
}

/* The options only some kinds use: an option a kind ignores is refused, not silently dropped. */
static const char *kind_misuse(enum gen_kind k, const char *key)
{
	static const struct {
		const char *key;
		unsigned kinds; /* bit per enum gen_kind */
		const char *which;
	} own[] = {
		{"ring", 1u << GEN_NIC_RING | 1u << GEN_NVME | 1u << GEN_VM, "nic-ring, nvme and vm"},
		{"buf-size", 1u << GEN_NIC_RING | 1u << GEN_CHURN | 1u << GEN_VM, "nic-ring, churn and vm"},
		{"rx-percent", 1u << GEN_NIC_RING | 1u << GEN_NVME | 1u << GEN_VM, "nic-ring, nvme and vm"},
		{"working-set", 1u << GEN_STREAM | 1u << GEN_RANDOM, "stream and random"},
		{"dma-size", 1u << GEN_STREAM | 1u << GEN_RANDOM, "stream and random"},
		{"zipf", 1u << GEN_RANDOM, "random"},
		{"functions", 1u << GEN_VM, "vm"},
		{"devices", (1u << GEN_VM) - 1, "nic-ring, nvme, stream, random and churn (vm has one device per function)"},
	};
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (strcmp(key, own[i].key) == 0 && !(own[i].kinds & (1u << k)))
			return own[i].which;
	return NULL;
}

const char *gen_set(struct gen_opts *o, const char *key, const char *value, char *err, size_t errlen)
{
	const char *which = kind_misuse(o->kind, key);
	if (which) {
		snprintf(err, errlen, "--%s applies to %s only, not to %s", key, which, gen_kind_name(o->kind));
		return err;
	}
	if (strcmp(key, "format") == 0) {
		const char *why = trace_table_format_check(value);
		if (why) {
			snprintf(err, errlen, "--format '%s': %s", value, why);
			return err;
		}
		o->format = value; /* the caller keeps value (a sweep spec's string) */
		return NULL;
	}
	static const struct {
		const char *name;
		size_t off;
	} nums[] = {
		{"seed", offsetof(struct gen_opts, seed)},         {"ops", offsetof(struct gen_opts, ops)},
		{"memslots", offsetof(struct gen_opts, memslots)},
		{"ioat-origin", offsetof(struct gen_opts, ioat_origin)}, {"ring", offsetof(struct gen_opts, ring)},
		{"rx-percent", offsetof(struct gen_opts, rx_percent)},
		{"interval", offsetof(struct gen_opts, interval_cycles)}, {"devices", offsetof(struct gen_opts, devices)},
		{"functions", offsetof(struct gen_opts, functions)},
	};
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		if (strcmp(key, nums[i].name) != 0)
			continue;
		if (parse_u64(value, (uint64_t *)((char *)o + nums[i].off)) < 0) {
			snprintf(err, errlen, "--%s '%s': expected a non-negative integer", key, value);
			return err;
		}
		o->ring_given |= strcmp(key, "ring") == 0;
		return NULL;
	}
	/* Sizes: a bare number in the option's unit, or with a binary suffix (512K, 1.5 GiB is 1536M). */
	static const struct {
		const char *name;
		size_t off;
		unsigned unit; /* the bare number's unit: 2^unit bytes */
		unsigned store; /* kept in 2^store bytes (the size must be a multiple) */
	} sizes[] = {
		{"guest-ram", offsetof(struct gen_opts, guest_ram_mib), 20, 20},
		{"working-set", offsetof(struct gen_opts, working_set_bytes), 20, 0},
		{"buf-size", offsetof(struct gen_opts, buf_bytes), 0, 0},
		{"dma-size", offsetof(struct gen_opts, dma_bytes), 0, 0},
	};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if (strcmp(key, sizes[i].name) != 0)
			continue;
		uint64_t b;
		if (gen_parse_size(value, sizes[i].unit, &b) < 0) {
			snprintf(err, errlen, "--%s '%s': expected a size (%s, or with a suffix K, M, G or T)", key, value,
				 sizes[i].unit ? "MiB" : "bytes");
			return err;
		}
		if (b & ((1ull << sizes[i].store) - 1)) {
			snprintf(err, errlen, "--%s '%s': expected a whole number of MiB", key, value);
			return err;
		}
		*(uint64_t *)((char *)o + sizes[i].off) = b >> sizes[i].store;
		return NULL;
	}
	uint64_t v;
	if (strcmp(key, "levels") == 0) {
		if (parse_u64(value, &v) < 0 || v < 3 || v > 5) {
			snprintf(err, errlen, "--levels '%s': expected 3, 4 or 5", value);
			return err;
		}
		o->levels = (unsigned)v;
		return NULL;
	}
	if (strcmp(key, "caching-mode") == 0) {
		if (strcmp(value, "on") != 0 && strcmp(value, "off") != 0) {
			snprintf(err, errlen, "--caching-mode '%s': expected on or off", value);
			return err;
		}
		o->caching_mode = strcmp(value, "on") == 0;
		return NULL;
	}
	if (strcmp(key, "rpcit") == 0) {
		if (strcmp(value, "strict") == 0) {
			o->lazy = false;
			return NULL;
		}
		if (strncmp(value, "lazy:", 5) == 0 && parse_u64(value + 5, &v) == 0 && v >= 1 && v <= 1000000) {
			o->lazy = true;
			o->lazy_batch = v;
			return NULL;
		}
		snprintf(err, errlen, "--rpcit '%s': expected strict or lazy:N (N 1..10^6)", value);
		return err;
	}
	if (strcmp(key, "zipf") == 0) {
		char *end;
		errno = 0;
		double d = iw_strtod_decimal(value, &end);
		if (errno || *end || end == value) {
			snprintf(err, errlen, "--zipf '%s': expected a decimal number", value);
			return err;
		}
		o->zipf_s = d;
		return NULL;
	}
	snprintf(err, errlen, "unknown generator option '%s'", key);
	return err;
}

/* ---- the generator state ---- */

struct fq_entry {
	uint64_t iova;
	unsigned order;
};

/* One IO address space's IOVA allocator (a PCI function's; generators other than vm have one). */
struct space {
	uint64_t top;                   /* bump pointer, allocating downward */
	uint64_t *free_list[MAX_ORDER + 1];
	uint64_t free_len[MAX_ORDER + 1], free_cap[MAX_ORDER + 1];
	struct fq_entry *fq;            /* lazy: freed, not yet flushed */
	uint64_t fq_len;
};

struct g {
	const struct gen_opts *o;
	struct gen_stats *st;
	struct trace_writer *tw;
	struct rng r;
	uint64_t t;
	struct space sp[GEN_MAX_FUNCTIONS];
	struct space *cur;              /* the space of the function being generated */
	uint16_t fn;                    /* its number (vm: records name it; format v2) */
	bool multi;
	uint64_t ram_pages, buf_lo_page, res_lo_page, res_pages;
	char *err;
	size_t errlen;
	int failed;
};

__attribute__((format(printf, 2, 3))) static int gfail(struct g *g, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(g->err, g->errlen, fmt, ap);
	va_end(ap);
	g->failed = 1;
	return -1;
}

/* Writes r (built by a trace_rec_*() constructor at g->t) and counts it. */
static int emit(struct g *g, struct trace_rec r)
{
	if (g->failed)
		return -1;
	/* Several functions, or a version-3 trace (--format): each record names its function. */
	if ((g->multi || g->o->format) && r.kind != TRACE_MEMSLOT && r.kind != TRACE_IOAT)
		r.dev = g->fn;
	if (trace_write(g->tw, &r) < 0) {
		char why[512];
		return gfail(g, "%s", trace_writer_error(g->tw, why, sizeof(why)));
	}
	g->st->records++;
	switch (r.kind) {
	case TRACE_MAP: g->st->maps++; g->st->bytes_mapped += r.c; break;
	case TRACE_UNMAP: g->st->unmaps++; break;
	case TRACE_RPCIT: g->st->rpcits++; break;
	case TRACE_DMA: g->st->dmas++; g->st->bytes_dma += r.c; break;
	default: break;
	}
	g->t += 100; /* records of one operation are 100 cycles apart */
	return 0;
}

static unsigned order_of(uint64_t bytes)
{
	unsigned o = 0;
	while ((S390_PAGE << o) < bytes)
		o++;
	return o;
}

static int free_push(struct g *g, unsigned order, uint64_t iova)
{
	if (iw_grow(&g->cur->free_list[order], &g->cur->free_cap[order], g->cur->free_len[order],
		    sizeof(*g->cur->free_list[order]), 64) < 0)
		return gfail(g, "out of memory");
	g->cur->free_list[order][g->cur->free_len[order]++] = iova;
	return 0;
}

/* Whether a new mapping is flushed: always on s390 (the refresh bit), under caching mode on VT-d. */
static bool map_flush(const struct gen_opts *o)
{
	return !vtd_guest(o) || o->caching_mode > 0 || (o->caching_mode < 0 && !o->lazy);
}

static int flush_queue(struct g *g)
{
	if (g->cur->fq_len == 0)
		return 0;
	/* One global refresh over the window makes every queued range reusable (VT-d: a domain-wide IOTLB
	 * invalidation, cache_tag_flush_all()). */
	struct trace_rec r = trace_rec_rpcit(g->t, IOVA_BASE, IOVA_TOP - IOVA_BASE);
	if (vtd_guest(g->o))
		r.flags = TRACE_INVAL_DOMAIN;
	if (emit(g, r) < 0)
		return -1;
	for (uint64_t i = 0; i < g->cur->fq_len; i++)
		if (free_push(g, g->cur->fq[i].order, g->cur->fq[i].iova) < 0)
			return -1;
	g->cur->fq_len = 0;
	return 0;
}

static uint64_t iova_alloc(struct g *g, uint64_t bytes)
{
	unsigned order = order_of(bytes);
	if (order > MAX_ORDER) {
		gfail(g, "a mapping of %" PRIu64 " bytes is larger than the allocator handles", bytes);
		return 0;
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		if (g->cur->free_len[order])
			return g->cur->free_list[order][--g->cur->free_len[order]];
		uint64_t size = S390_PAGE << order;
		uint64_t a = (g->cur->top - size) & ~(size - 1);
		if (g->cur->top >= size && a >= IOVA_BASE) {
			g->cur->top = a;
			return a;
		}
		if (attempt == 0 && g->o->lazy && flush_queue(g) < 0)
			return 0;
	}
	gfail(g, "the 1 GiB IOVA window is exhausted (too many mappings outstanding)");
	return 0;
}

static int iova_free(struct g *g, uint64_t iova, uint64_t bytes)
{
	unsigned order = order_of(bytes);
	if (!g->o->lazy) {
		struct trace_rec r = trace_rec_rpcit(g->t, iova, S390_PAGE << order);
		if (vtd_guest(g->o))
			r.flags = TRACE_INVAL_LEAF; /* 6.12 sets IH on an unmap's flush: only leaves changed */
		if (emit(g, r) < 0)
			return -1;
		return free_push(g, order, iova);
	}
	g->cur->fq[g->cur->fq_len++] = (struct fq_entry){iova, order};
	if (g->cur->fq_len >= g->o->lazy_batch)
		return flush_queue(g);
	return 0;
}

/* A random run of `pages` guest pages outside the table pool. */
static uint64_t gpa_alloc(struct g *g, uint64_t pages)
{
	uint64_t span = g->ram_pages - g->res_pages - pages + 1;
	uint64_t p = rng_below(&g->r, span);
	if (p >= g->res_lo_page)
		p += g->res_pages;
	return p << 12;
}

static uint64_t page_bytes_up(uint64_t bytes) { return (bytes + S390_PAGE - 1) & ~(S390_PAGE - 1); }

/* Maps a buffer: MAP (one or several physically scattered segments) + RPCIT of the range. */
static int map_buffer(struct g *g, uint64_t iova, uint64_t bytes, bool ro, bool scatter)
{
	uint64_t len = page_bytes_up(bytes);
	uint64_t off = 0;
	/* An x86 (VT-d) guest maps each physically contiguous run of the request's pages (iommu_map_sg()),
	 * as the NVMe capture traces/real/linux-6.12-x86-nvme-strict-dd shows: of its 2119 requests of
	 * 128 KiB, 1242 were one contiguous map, the others runs of one page (23031 of its 25208 maps),
	 * sometimes two (438); in thousandths: a request whole 586, else runs of 1 page 980, of 2 pages 20. */
	bool x86 = scatter && vtd_guest(g->o), whole = x86 && rng_below(&g->r, 1000) < 586;
	while (off < len) {
		uint64_t seg = len - off;
		if (x86 && !whole) {
			uint64_t pages = rng_below(&g->r, 1000) < 980 ? 1 : 2;
			if (seg > pages * S390_PAGE)
				seg = pages * S390_PAGE;
		} else if (scatter && !x86) {
			uint64_t max = 1 + rng_below(&g->r, 4); /* segments of 1..4 pages */
			if (seg > max * S390_PAGE)
				seg = max * S390_PAGE;
		}
		if (emit(g, trace_rec_map(g->t, iova + off, gpa_alloc(g, seg >> 12), seg, ro)) < 0)
			return -1;
		off += seg;
	}
	return map_flush(g->o) ? emit(g, trace_rec_rpcit(g->t, iova, S390_PAGE << order_of(len))) : 0;
}

static int unmap_buffer(struct g *g, uint64_t iova, uint64_t bytes)
{
	if (emit(g, trace_rec_unmap(g->t, iova, page_bytes_up(bytes))) < 0)
		return -1;
	return iova_free(g, iova, page_bytes_up(bytes));
}

static uint16_t dev_of(struct g *g, uint64_t i) { return (uint16_t)(1 + i % g->o->devices); }

/* An nvme request's size, from the map sizes of the multi-queue block capture
 * (traces/real/linux-6.12-virtio-blk-mq-lazy-dd: 16729 of 17198 maps 4 KiB, 165 8 KiB, the rest 16 KiB to
 * 1 MiB or odd sizes), in thousandths: 4 KiB 973, 8 KiB 21 (with the odd sizes), 16 KiB 2, 32 KiB 1,
 * 64 KiB 1, 128 KiB 2 (with the few larger ones). */
static uint64_t nvme_size(struct g *g)
{
	struct size_mix {
		uint64_t bytes, upto;
	};
	static const struct size_mix s390[] = {{4096, 973}, {8192, 994}, {16384, 996}, {32768, 997}, {65536, 998}, {131072, 1000}};
	/* An x86 guest's NVMe requests (VT-d): the unmaps of traces/real/linux-6.12-x86-nvme-strict-dd, one
	 * per request (2532: 4 KiB 278, 16 KiB 2, 32 KiB 3, 64 KiB 130, 128 KiB 2119: dd's larger blocks split
	 * at the emulated controller's 128 KiB transfer limit), in thousandths: 110, 1, 1, 51, 837. */
	static const struct size_mix x86[] = {{4096, 110}, {16384, 111}, {32768, 112}, {65536, 163}, {131072, 1000}};
	const struct size_mix *mix = vtd_guest(g->o) ? x86 : s390;
	uint64_t x = rng_below(&g->r, 1000);
	unsigned i = 0;
	while (x >= mix[i].upto)
		i++;
	return mix[i].bytes;
}

struct outstanding {
	uint64_t iova, bytes;
};

/* Rings of outstanding buffers: one (nic-ring, nvme) or one per PCI function (vm: NICs on even functions,
 * NVMe queues of depth 32 on odd ones). Operation i goes to function i mod the functions: if its ring is
 * full the oldest buffer completes (UNMAP), then a new buffer is mapped, refreshed and DMAed. */
static int gen_rings(struct g *g, bool vm, bool nvme)
{
	const struct gen_opts *o = g->o;
	uint64_t nf = vm ? o->functions : 1, cap = o->ring > 32 ? o->ring : 32;
	struct outstanding *q = iw_calloc(nf * cap, sizeof(*q));
	uint64_t *head = iw_calloc(nf, sizeof(*head)), *n = iw_calloc(nf, sizeof(*n));
	if (!q || !head || !n) {
		iw_free(q);
		iw_free(head);
		iw_free(n);
		return gfail(g, "out of memory");
	}
	for (uint64_t i = 0; i < o->ops && !g->failed; i++) {
		gen_tick(o, i);
		uint64_t f = i % nf;
		bool is_nvme = vm ? f % 2 == 1 : nvme;
		uint64_t depth = vm && is_nvme ? 32 : o->ring;
		g->fn = (uint16_t)f;
		g->cur = &g->sp[f];
		struct outstanding *fq = q + f * cap;
		if (n[f] == depth) {
			struct outstanding *c = &fq[head[f]];
			head[f] = (head[f] + 1) % depth;
			n[f]--;
			if (unmap_buffer(g, c->iova, c->bytes) < 0)
				break;
		}
		bool rx = rng_below(&g->r, 100) < o->rx_percent;
		uint64_t bytes = is_nvme ? nvme_size(g) : o->buf_bytes;
		uint64_t iova = iova_alloc(g, page_bytes_up(bytes));
		if (g->failed)
			break;
		/* RX / read requests: the device writes memory; TX / write requests: it reads (read-only map). */
		if (map_buffer(g, iova, bytes, !rx, is_nvme) < 0)
			break;
		g->t += o->interval_cycles / 4;
		/* vm: each function's DMAs are its own device; otherwise --devices streams in turn. */
		if (emit(g, trace_rec_dma(g->t, vm ? (uint16_t)f : dev_of(g, i), iova, bytes, rx)) < 0)
			break;
		fq[(head[f] + n[f]++) % depth] = (struct outstanding){iova, bytes};
		g->t += o->interval_cycles;
	}
	for (uint64_t f = 0; f < nf && !g->failed; f++) {
		uint64_t depth = vm && f % 2 ? 32 : o->ring;
		g->fn = (uint16_t)f;
		g->cur = &g->sp[f];
		while (n[f] && !g->failed) {
			struct outstanding *c = &q[f * cap + head[f]];
			head[f] = (head[f] + 1) % depth;
			n[f]--;
			unmap_buffer(g, c->iova, c->bytes);
		}
	}
	iw_free(q);
	iw_free(head);
	iw_free(n);
	return g->failed ? -1 : 0;
}

static int map_working_set(struct g *g, uint64_t *base)
{
	uint64_t ws = g->o->working_set_bytes;
	*base = iova_alloc(g, ws);
	if (g->failed)
		return -1;
	/* Long-lived mappings in 1 MiB chunks, each physically contiguous. */
	for (uint64_t off = 0; off < ws; off += 1ull << 20) {
		uint64_t chunk = ws - off < (1ull << 20) ? ws - off : 1ull << 20;
		if (emit(g, trace_rec_map(g->t, *base + off, gpa_alloc(g, chunk >> 12), chunk, false)) < 0 ||
		    (map_flush(g->o) && emit(g, trace_rec_rpcit(g->t, *base + off, chunk)) < 0))
			return -1;
	}
	return 0;
}

static int gen_stream_random(struct g *g, bool random)
{
	const struct gen_opts *o = g->o;
	uint64_t base;
	if (map_working_set(g, &base) < 0)
		return -1;
	uint64_t ws = o->working_set_bytes, pages = ws >> 12;
	double *cdf = NULL;
	if (random && o->zipf_s > 0) {
		cdf = iw_malloc(pages * sizeof(double));
		if (!cdf)
			return gfail(g, "out of memory");
		int q = (int)(o->zipf_s * 4);
		double sum = 0;
		for (uint64_t k = 1; k <= pages; k++) {
			double r4 = sqrt(sqrt((double)k)), w = 1;
			for (int j = 0; j < q; j++)
				w *= r4;
			sum += 1.0 / w;
			cdf[k - 1] = sum;
		}
	}
	uint64_t pos = 0;
	for (uint64_t i = 0; i < o->ops && !g->failed; i++) {
		gen_tick(o, i);
		uint64_t off;
		if (!random) {
			off = pos;
			pos = (pos + o->dma_bytes) % ws;
			if (pos + o->dma_bytes > ws)
				pos = 0;
		} else if (!cdf) {
			off = rng_below(&g->r, ws - o->dma_bytes + 1) & ~63ull;
		} else {
			double u = rng_unit(&g->r) * cdf[pages - 1];
			uint64_t lo = 0, hi = pages - 1;
			while (lo < hi) {
				uint64_t mid = lo + (hi - lo) / 2;
				if (cdf[mid] <= u)
					lo = mid + 1;
				else
					hi = mid;
			}
			/* Hot pages are spread over the working set, not packed at its start. */
			uint64_t page = (lo * 0x9e3779b97f4a7c15ull) % pages;
			off = page << 12;
			if (off + o->dma_bytes > ws)
				off = ws - o->dma_bytes;
		}
		bool w = rng_below(&g->r, 100) < o->rx_percent;
		if (emit(g, trace_rec_dma(g->t, dev_of(g, i), base + off, o->dma_bytes, w)) < 0)
			break;
		g->t += o->interval_cycles;
	}
	iw_free(cdf);
	if (g->failed)
		return -1;
	return unmap_buffer(g, base, ws);
}

static int gen_churn(struct g *g)
{
	const struct gen_opts *o = g->o;
	for (uint64_t i = 0; i < o->ops && !g->failed; i++) {
		gen_tick(o, i);
		uint64_t iova = iova_alloc(g, page_bytes_up(o->buf_bytes));
		if (g->failed)
			break;
		bool w = rng_below(&g->r, 100) < o->rx_percent;
		if (map_buffer(g, iova, o->buf_bytes, !w, false) < 0 ||
		    emit(g, trace_rec_dma(g->t, dev_of(g, i), iova, 64, w)) < 0 ||
		    unmap_buffer(g, iova, o->buf_bytes) < 0)
			break;
		g->t += o->interval_cycles;
	}
	return g->failed ? -1 : 0;
}

int gen_write(const struct gen_opts *given, const char *out, bool binary, bool zstd, struct gen_stats *st, char *err,
	      size_t errlen)
{
	memset(st, 0, sizeof(*st));
	/* An x86 guest's NVMe (VT-d) keeps as few requests outstanding as dd did in the capture the sizes
	 * come from: 6 gives its IOVA reuse (maps between two maps of one IOVA: median 149 and p90 426
	 * here, 147 and 455 in traces/real/linux-6.12-x86-nvme-strict-dd), unless --ring says. */
	struct gen_opts eff = *given;
	if (given->kind == GEN_NVME && vtd_guest(given) && !given->ring_given)
		eff.ring = 6;
	const struct gen_opts *o = &eff;
	const char *why = gen_check(o);
	if (why) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	struct g *g = iw_calloc(1, sizeof(*g));
	if (!g) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	g->o = o;
	g->st = st;
	g->err = err;
	g->errlen = errlen;
	g->multi = o->kind == GEN_VM && o->functions > 1;
	for (uint64_t k = 0; k < o->functions; k++)
		g->sp[k].top = IOVA_TOP;
	g->cur = &g->sp[0];
	rng_seed(&g->r, o->seed);
	uint64_t ram = o->guest_ram_mib << 20;
	g->ram_pages = ram >> 12;
	g->res_lo_page = o->ioat_origin >> 12;
	g->res_pages = table_reserve(o) >> 12;
	int rc = -1;
	struct trace_header hdr = {.version = o->format ? TRACE_FORMAT_V3 : g->multi ? TRACE_FORMAT_V2 : TRACE_FORMAT_V1,
				   .page_size = TRACE_PAGE_SIZE, .record_count = TRACE_COUNT_UNKNOWN};
	if (o->format)
		snprintf(hdr.format, sizeof(hdr.format), "%s", o->format);
	if (o->name)
		snprintf(hdr.name, sizeof(hdr.name), "%s", o->name);
	else
		snprintf(hdr.name, sizeof(hdr.name),
			 "gen %s seed=%" PRIu64 " ops=%" PRIu64 " ram=%" PRIu64 "MiB memslots=%" PRIu64 " rpcit=%s%.0" PRIu64 "%s%s",
			 gen_kind_name(o->kind), o->seed, o->ops, o->guest_ram_mib, o->memslots, o->lazy ? "lazy:" : "strict",
			 o->lazy ? o->lazy_batch : 0, o->kind == GEN_VM ? (o->functions > 1 ? " (several functions)" : " (one function)") : "",
			 vtd_guest(o) ? (map_flush(o) ? " caching-mode=on" : " caching-mode=off") : "");
	bool fq_ok = true;
	for (uint64_t k = 0; k < o->functions; k++)
		fq_ok &= (g->sp[k].fq = iw_calloc(o->lazy_batch ? o->lazy_batch : 1, sizeof(*g->sp[k].fq))) != NULL;
	g->tw = fq_ok ? trace_writer_open(out, binary ? TRACE_ENC_BINARY : TRACE_ENC_TEXT, zstd, &hdr, err, errlen) : NULL;
	if (!g->tw) {
		if (!fq_ok)
			snprintf(err, errlen, "out of memory");
		goto out;
	}
	/* Set-up: memslots, each with its own hva range (2 MiB apart), then the IOAT. */
	uint64_t slot_pages = g->ram_pages / o->memslots, slot_bytes = slot_pages << 12;
	g->t = 0;
	for (uint64_t i = 0; i < o->memslots; i++)
		if (emit(g, trace_rec_memslot(g->t, (uint32_t)i, i * slot_pages, slot_pages,
					    HVA_BASE + i * (slot_bytes + (2ull << 20)))) < 0)
			break;
	for (uint64_t k = 0; k < o->functions && !g->failed; k++)
		emit(g, trace_rec_ioat(g->t, (uint16_t)k, o->ioat_origin + k * TABLE_RESERVE, o->levels));
	if (!g->failed) {
		switch (o->kind) {
		case GEN_NIC_RING: gen_rings(g, false, false); break;
		case GEN_NVME: gen_rings(g, false, true); break;
		case GEN_STREAM: gen_stream_random(g, false); break;
		case GEN_RANDOM: gen_stream_random(g, true); break;
		case GEN_CHURN: gen_churn(g); break;
		case GEN_VM: gen_rings(g, true, false); break;
		default: gfail(g, "unknown kind"); break;
		}
	}
	for (uint64_t k = 0; k < o->functions && !g->failed && o->lazy; k++) {
		g->fn = (uint16_t)k;
		g->cur = &g->sp[k];
		flush_queue(g);
	}
	if (g->failed) {
		trace_writer_abort(g->tw);
		goto out;
	}
	rc = trace_writer_commit(g->tw, err, errlen);
out:
	for (uint64_t k = 0; k < GEN_MAX_FUNCTIONS; k++) {
		for (int i = 0; i <= MAX_ORDER; i++)
			iw_free(g->sp[k].free_list[i]);
		iw_free(g->sp[k].fq);
	}
	iw_free(g);
	return rc;
}
