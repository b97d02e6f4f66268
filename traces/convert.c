/* convert: ftrace/trace-cmd/perf text captures to iowalk traces (see convert.h). */
#include "convert_impl.h"

#include "alloc.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

__attribute__((format(printf, 2, 3))) int conv_cfail(struct conv *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* An error at a line of the capture: "CAPTURE: line N: ...". */
__attribute__((format(printf, 3, 4))) static int cfail_at(struct conv *c, uint64_t line, const char *fmt, ...)
{
	int n = snprintf(c->err, c->errlen, "%s: line %" PRIu64 ": ", c->in, line);
	va_list ap;
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < c->errlen)
		vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

void convert_defaults(struct convert_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->clock_mhz = 5200;
	o->rpcit = CONVERT_RPCIT_AUTO;
	o->lazy_batch = 256;
	o->dma_accesses = 1;
	o->guest_ram_bytes = 1ull << 30;
	o->memslot_hva = 0x3ff00000000ull;
	o->ioat_origin = 0x3e000000ull;
}

/* Finds "key=" in s and parses the number after it (0x-hex, bare hex when hex is set, or decimal). */
static bool field(const char *s, const char *key, bool hex, uint64_t *out)
{
	size_t kl = strlen(key);
	for (const char *p = strstr(s, key); p; p = strstr(p + 1, key)) {
		if (p != s && p[-1] != ' ' && p[-1] != '\t')
			continue;
		p += kl;
		int base = hex ? 16 : 10;
		if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
			base = 16;
			p += 2;
		}
		errno = 0;
		char *end;
		if (*p == '-' || *p == '+' || *p == ' ' || *p == '\t')
			return false; /* strtoull would take a sign or blanks: "size=-4096" is not a size */
		unsigned long long v = strtoull(p, &end, base);
		if (end == p || errno)
			return false;
		*out = v;
		return true;
	}
	return false;
}

static int parse_dir(const char *s)
{
	const char *d = strstr(s, "dir=");
	if (!d)
		return DIR_NONE;
	d += 4;
	if (strncmp(d, "TO_DEVICE", 9) == 0)
		return DIR_TO_DEVICE;
	if (strncmp(d, "FROM_DEVICE", 11) == 0)
		return DIR_FROM_DEVICE;
	if (strncmp(d, "BIDIRECTIONAL", 13) == 0)
		return DIR_BIDI;
	return DIR_NONE;
}

/* Splits "TASK-PID [CPU] FLAGS SEC.FRAC: EVENT: rest". Returns 1 with the fields, 0 when the line is
 * not an event line, -1 when its timestamp does not fit in 64-bit nanoseconds. */
static int split_line(char *line, uint64_t *ns, char **event, char **rest)
{
	for (char *p = strchr(line, '.'); p; p = strchr(p + 1, '.')) {
		char *s = p;
		while (s > line && s[-1] >= '0' && s[-1] <= '9')
			s--;
		if (s == p || (s > line && s[-1] != ' ' && s[-1] != '\t'))
			continue;
		char *f = p + 1;
		uint64_t frac = 0;
		int nd = 0;
		while (*f >= '0' && *f <= '9') {
			if (nd < 9) {
				frac = frac * 10 + (uint64_t)(*f - '0');
				nd++;
			}
			f++;
		}
		if (nd == 0 || f[0] != ':' || (f[1] != ' ' && f[1] != '\t'))
			continue;
		while (nd < 9) {
			frac *= 10;
			nd++;
		}
		errno = 0;
		uint64_t sec = strtoull(s, NULL, 10);
		if (errno || sec > (UINT64_MAX - frac) / 1000000000ull)
			return -1;
		*ns = sec * 1000000000ull + frac;
		char *e = f + 1;
		while (*e == ' ' || *e == '\t')
			e++;
		char *colon = strstr(e, ": ");
		if (colon) {
			*colon = '\0';
			*rest = colon + 2;
		} else {
			*rest = e + strlen(e);
		}
		/* perf prints "subsystem:event"; keep the event. */
		char *sub = strrchr(e, ':');
		*event = sub ? sub + 1 : e;
		return 1;
	}
	return 0;
}

static const char *const known_ignored[] = {"dma_unmap_sg", "dma_free", "dma_sync_single_for_cpu",
					    "dma_sync_single_for_device", "dma_sync_sg_for_cpu",
					    "dma_sync_sg_for_device", "dma_unmap_resource", "dma_free_pages",
					    "dma_alloc_pages", "cache_tag_flush_range", "cache_tag_flush_range_np",
					    "cache_tag_flush_all", "cache_tag_assign", "cache_tag_unassign", NULL};

/* A VT-d invalidation descriptor as Linux submits it (intel_iommu:qi_submit, "TYPE DMAR: QW0 QW1 QW2 QW3",
 * drivers/iommu/intel/trace.h): the IOTLB invalidations (type 2; the PASID-based type 6 of scalable mode)
 * become RPCITs with their granularity (qw0 bits 5:4: 1 global, 2 domain, 3 page-selective), domain id
 * (qw0 bits 31:16) and, page-selective, the range addr (qw1 63:12) of 2^AM pages (qw1 5:0) and the leaf
 * hint IH (qw1 bit 6). Other descriptors (context and PASID cache, device-TLB, interrupt entry cache,
 * wait) are counted as ignored. 1: an RPCIT; 0: ignored; -1: unparsed. */
/* Decodes a qi_submit's "TYPE DMAR: QW0 QW1 QW2 QW3" into inv (and *leaf: the IH bit). 1: an IOTLB
 * descriptor; 0: another descriptor; -1: not a descriptor this converter knows. */
int conv_qi_decode(const char *rest, struct host_inv *inv, bool *leaf)
{
	const char *p = strstr(rest, ": ");
	unsigned long long qw[4];
	if (!p || sscanf(p + 2, "%llx %llx %llx %llx", &qw[0], &qw[1], &qw[2], &qw[3]) != 4)
		return -1;
	unsigned type = (unsigned)(qw[0] & 0xf) | (unsigned)((qw[0] >> 9) & 0x7) << 4, gran = (qw[0] >> 4) & 3;
	if (type != 2 && type != 6)
		return 0;
	*inv = (struct host_inv){.did = (uint16_t)(qw[0] >> 16)};
	*leaf = false;
	if (gran == 3) {
		inv->gran = HOST_INV_PAGE;
		inv->am = (uint8_t)(qw[1] & 0x3f);
		if (inv->am > 52 - 12)
			return -1;
		inv->addr = qw[1] & ~0xfffull & ~((4096ull << inv->am) - 1);
		*leaf = (qw[1] >> 6) & 1;
		return 1;
	}
	/* Domain-selective (type 6: every page of a PASID, taken as the domain's), or global (type 2). */
	if (type == 2 && gran == 0)
		return -1;
	inv->gran = type == 2 && gran == 1 ? HOST_INV_GLOBAL : HOST_INV_DOMAIN;
	return 1;
}

static int parse_qi_submit(struct conv *c, const char *rest, struct cev *ev)
{
	struct host_inv inv;
	bool leaf;
	int rc = conv_qi_decode(rest, &inv, &leaf);
	if (rc == 0)
		c->st->qi_other++;
	if (rc <= 0)
		return rc;
	ev->kind = CK_RPCIT;
	ev->vtd = true;
	ev->fh = (uint64_t)inv.did + 1;
	if (inv.gran == HOST_INV_PAGE) {
		ev->len = 4096ull << inv.am;
		ev->iova = inv.addr;
		ev->scope = leaf ? TRACE_INVAL_LEAF : 0;
	} else {
		ev->scope = inv.gran == HOST_INV_GLOBAL ? TRACE_INVAL_GLOBAL : TRACE_INVAL_DOMAIN;
		ev->iova = 0;
		ev->len = 4096;
	}
	return 1;
}

/* A dma_map_sg's mapped segments: "dma_addrs={A,B,...} sizes={X,Y,...}" (Linux 6.12's dma:dma_map_sg),
 * each pair a range the device will use; the first is ev's iova and len, the rest its seg_*. -1 when
 * the lists are missing, differ in length or hold more than CONVERT_SG_MAX + 1 segments. */
static int parse_sg(const char *rest, struct cev *ev)
{
	const char *a = strstr(rest, "dma_addrs={"), *z = strstr(rest, "sizes={");
	if (!a || !z)
		return -1;
	a += strlen("dma_addrs={");
	z += strlen("sizes={");
	unsigned n = 0;
	for (;; n++) {
		char *ea, *ez;
		errno = 0;
		unsigned long long va = strtoull(a, &ea, 16), vz = strtoull(z, &ez, 16);
		if (ea == a || ez == z || errno || *a == '-' || *z == '-' || n > CONVERT_SG_MAX)
			return -1;
		if (n == 0) {
			ev->iova = va;
			ev->len = vz;
		} else {
			ev->seg_iova[n - 1] = va;
			ev->seg_len[n - 1] = vz;
		}
		if (*ea == '}' && *ez == '}')
			break;
		if (*ea != ',' || *ez != ',')
			return -1;
		a = ea + 1;
		z = ez + 1;
	}
	ev->nseg = n + 1;
	return 0;
}

/* Whether the n bytes at d are a device's name as the dma:* events give it (a PCI address like
 * 0001:00:00.0, or a driver's name): 1 to 31 of [A-Za-z0-9:._-] (an event with none starts "dir=..."). */
static bool dev_name_ok(const char *d, size_t n)
{
	if (n == 0 || n > 31)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)d[i]) && !strchr(":._-", d[i]))
			return false;
	return true;
}

/* Parses one line into ev. 1: an event to keep; 0: nothing (comment, ignored event); -1: unparsed. */
static int parse_event(struct conv *c, char *line, uint64_t lineno, struct cev *ev)
{
	while (*line == ' ' || *line == '\t')
		line++;
	if (*line == '#' || *line == '\0' || *line == '\n')
		return 0;
	uint64_t ns;
	char *event, *rest;
	int sl = split_line(line, &ns, &event, &rest);
	if (sl < 0)
		return cfail_at(c, lineno, "timestamp too large for 64-bit nanoseconds"), -2;
	if (sl == 0)
		return -1;
	memset(ev, 0, sizeof(*ev));
	ev->line = lineno;
	/* The CPU: "TASK-PID [CPU] FLAGS TIME:" (ftrace, trace-cmd); none in perf's lines. */
	ev->cpu = -1;
	const char *br = strchr(line, '[');
	if (br && br < event && br[1] >= '0' && br[1] <= '9') {
		char *end;
		unsigned long cpu = strtoul(br + 1, &end, 10);
		if (*end == ']' && cpu < 65536)
			ev->cpu = (int)cpu;
	}
	if (!c->have_t0) {
		c->t0_ns = ns;
		c->have_t0 = true;
	}
	uint64_t rel = ns >= c->t0_ns ? ns - c->t0_ns : 0;
	if (rel / 1000 > (TRACE_MAX_TIME - 1000 * c->o->clock_mhz) / c->o->clock_mhz)
		return cfail_at(c, lineno, "%" PRIu64 " ns after the first event is beyond the simulated time range (2^62 cycles at %" PRIu64 " MHz)",
				rel, c->o->clock_mhz), -2;
	ev->time_cycles = rel / 1000 * c->o->clock_mhz + rel % 1000 * c->o->clock_mhz / 1000;
	uint64_t a, b, sz;
	if (strstr(rest, "(__dma_purge_tlb"))
		return 0; /* the RPCIT decision point; the RPCIT itself is the zpci_refresh_trans line */
	if (strstr(rest, "(zpci_refresh_trans")) {
		if (!field(rest, "addr=", true, &a) || !field(rest, "range=", true, &sz))
			return -1;
		field(rest, "fh=", true, &ev->fh);
		ev->kind = CK_RPCIT;
		ev->iova = a;
		ev->len = sz;
		return 1;
	}
	if (strstr(rest, "(__dma_update_trans") || (strstr(rest, "dma_addr=") && strstr(rest, "flags=") && strstr(rest, "pa="))) {
		uint64_t flags;
		if (!field(rest, "dma_addr=", true, &a) || !field(rest, "size=", true, &sz) || !field(rest, "flags=", true, &flags))
			return -1;
		b = 0;
		field(rest, "pa=", true, &b);
		ev->iova = a & ~0xfffull;
		ev->len = (sz + (a & 0xfff) + 0xfff) & ~0xfffull;
		ev->paddr = b & ~0xfffull; /* dma_update_trans() uses pa & PAGE_MASK */
		ev->kind = (flags & 0x400) ? CK_UNMAP : CK_MAP;
		ev->ro = (flags & 0x200) != 0;
		ev->dir = ev->ro ? DIR_TO_DEVICE : DIR_FROM_DEVICE;
		ev->kprobe = true;
		/* No dma:* events name the device here: the zdev pointer identifies the function. */
		uint64_t zdev;
		if (field(rest, "zdev=", true, &zdev))
			snprintf(ev->dev, sizeof(ev->dev), "zdev:%" PRIx64, zdev);
		return 1;
	}
	if (strcmp(event, "map") == 0 && strstr(rest, "iova=")) {
		if (!field(rest, "iova=", true, &a) || !field(rest, "paddr=", true, &b) || !field(rest, "size=", false, &sz))
			return -1;
		ev->kind = CK_MAP;
		ev->iova = a;
		ev->paddr = b;
		ev->len = sz;
		return 1;
	}
	if (strcmp(event, "unmap") == 0 && strstr(rest, "iova=")) {
		if (!field(rest, "iova=", true, &a) || !field(rest, "unmapped_size=", false, &sz))
			return -1;
		ev->kind = CK_UNMAP;
		ev->iova = a;
		ev->len = sz;
		return sz ? 1 : 0;
	}
	if (strcmp(event, "qi_submit") == 0)
		return parse_qi_submit(c, rest, ev);
	bool is_sg = strcmp(event, "dma_map_sg") == 0;
	bool is_map = strcmp(event, "dma_map_page") == 0 || strcmp(event, "dma_alloc") == 0 ||
		      strcmp(event, "dma_map_resource") == 0 || strcmp(event, "dma_map_phys") == 0 || is_sg;
	bool is_unmap = strcmp(event, "dma_unmap_page") == 0 || strcmp(event, "dma_unmap_phys") == 0;
	if (is_map || is_unmap) {
		if (is_sg ? parse_sg(rest, ev) < 0 : !field(rest, "dma_addr=", true, &a) || !field(rest, "size=", false, &sz))
			return -1;
		if (is_sg) {
			a = ev->iova;
			sz = ev->len;
		}
		ev->kind = is_map ? CK_DMA_MAP : CK_DMA_UNMAP;
		ev->iova = a;
		ev->len = sz;
		ev->dir = parse_dir(rest);
		const char *d = rest;
		while (*d == ' ')
			d++;
		size_t dl = strcspn(d, " \t\n");
		/* The device (a PCI address like 0001:00:00.0, or a driver's name): printable, no '=' (an event
		 * without one starts with dir=...), at most 31 bytes; anything else is not a line this
		 * converter knows (and reaches no message raw). */
		if (!dev_name_ok(d, dl))
			return -1;
		memcpy(ev->dev, d, dl);
		ev->dev[dl] = '\0';
		return 1;
	}
	for (const char *const *k = known_ignored; *k; k++)
		if (strcmp(event, *k) == 0)
			return 0;
	c->st->ignored++;
	return 0;
}

static void copy_dev(char *dst, const char *src)
{
	size_t n = strnlen(src, 31);
	memmove(dst, src, n);
	dst[n] = '\0';
}

static bool overlaps(const struct cev *x, const struct cev *y)
{
	uint64_t xl = x->len ? x->len : 1, yl = y->len ? y->len : 1;
	return x->iova < y->iova + yl && y->iova < x->iova + xl;
}

static const char *fh_dev(struct conv *c, uint64_t fh)
{
	for (unsigned i = 0; i < c->nfh; i++)
		if (c->fh_known[i] == fh)
			return c->fh_dev[i];
	return NULL;
}

void conv_learn_fh(struct conv *c, uint64_t fh, const char *dev)
{
	if (!fh || fh_dev(c, fh) || c->nfh == 16)
		return;
	c->fh_known[c->nfh] = fh;
	copy_dev(c->fh_dev[c->nfh++], dev);
}

/* Integrity: stops tracking (too many pages: the counts so far stay, marked partial). */
static void ic_stop(struct conv *c)
{
	c->ic.on = false;
	c->st->integrity_partial = true;
}

/* Integrity: page key of function fn's IOVA page pfn is flushed (a captured RPCIT covered it): by a
 * range flush (ranged), which counts toward its UNMAP being flushed at once, or by a domain or global one
 * (a flush queue's batch, as a lazy guest's are: VT-d's cache_tag_flush_all). */
static void ic_flushed(struct conv *c, uint64_t i, bool ranged)
{
	struct integrity *ic = &c->ic;
	struct ic_unmap *u = &ic->unmaps[ic->pend[i].unmap];
	if (--u->left == 0 && ranged && ic->rec - u->rec <= IC_AT_ONCE)
		c->st->unmaps_flushed_at_once++;
	u64map_del(&ic->pend_idx, ic->pend[i].key);
	uint64_t last = --ic->npend;
	if (i != last) {
		ic->pend[i] = ic->pend[last];
		if (u64map_put(&ic->pend_idx, ic->pend[i].key, i) < 0)
			ic_stop(c);
	}
}

/* Integrity: the record r about to be written (MAP, UNMAP, or a captured RPCIT). */
static void ic_record(struct conv *c, const struct trace_rec *r)
{
	struct integrity *ic = &c->ic;
	if (!ic->on)
		return;
	ic->rec++;
	uint64_t fn = c->multi ? c->fn : 0, first = r->a >> 12, n = ((r->a + (r->c - 1)) >> 12) - first + 1, v;
	if (r->kind == TRACE_RPCIT) {
		if (!c->st->rpcit_captured)
			return;
		if (r->flags & TRACE_INVAL_SCOPE) {
			/* A domain flush: every pending page of the function; a global one: of every function. */
			bool all = (r->flags & TRACE_INVAL_SCOPE) == TRACE_INVAL_GLOBAL;
			for (uint64_t i = 0; i < ic->npend;) {
				if (all || ic->pend[i].key >> 52 == fn)
					ic_flushed(c, i, false); /* the last moved into i */
				else
					i++;
			}
			return;
		}
		if (n < ic->npend) {
			for (uint64_t k = 0; k < n; k++)
				if (u64map_get(&ic->pend_idx, fn << 52 | (first + k), &v))
					ic_flushed(c, v, true);
		} else {
			for (uint64_t i = 0; i < ic->npend;) {
				uint64_t key = ic->pend[i].key, pfn = key & ((1ull << 52) - 1);
				if (key >> 52 == fn && pfn >= first && pfn - first < n)
					ic_flushed(c, i, true); /* the last moved into i */
				else
					i++;
			}
		}
		return;
	}
	if (r->kind != TRACE_MAP && r->kind != TRACE_UNMAP)
		return;
	if (n > IC_MAX_PAGES || ic->mapped.len + n > IC_MAX_PAGES) {
		ic_stop(c);
		return;
	}
	if (r->kind == TRACE_MAP) {
		for (uint64_t k = 0; k < n; k++) {
			uint64_t key = fn << 52 | (first + k);
			if (u64map_get(&ic->pend_idx, key, &v))
				c->st->reuse_before_flush++;
			if (u64map_put(&ic->mapped, key, 1) < 0)
				return ic_stop(c);
		}
		return;
	}
	if (iw_grow(&ic->unmaps, &ic->unmaps_cap, ic->nunmaps, sizeof(*ic->unmaps), 1024) < 0)
		return ic_stop(c);
	struct ic_unmap *u = &ic->unmaps[ic->nunmaps];
	*u = (struct ic_unmap){.rec = ic->rec, .left = 0};
	bool never = false;
	for (uint64_t k = 0; k < n; k++) {
		uint64_t key = fn << 52 | (first + k);
		never |= !u64map_get(&ic->mapped, key, &v);
		if (u64map_get(&ic->pend_idx, key, &v))
			continue; /* unmapped twice before a flush: the first UNMAP waits for it */
		if (iw_grow(&ic->pend, &ic->pend_cap, ic->npend, sizeof(*ic->pend), 1024) < 0 ||
		    u64map_put(&ic->pend_idx, key, ic->npend) < 0)
			return ic_stop(c);
		ic->pend[ic->npend++] = (struct ic_page){.key = key, .unmap = ic->nunmaps};
		u->left++;
	}
	c->st->unmaps_never_mapped += never;
	if (u->left == 0)
		c->st->unmaps_flushed_at_once++; /* nothing of it to flush */
	ic->nunmaps++;
}

/* Writes r (built by a trace_rec_*() constructor) after checking it. */
int conv_emit(struct conv *c, struct trace_rec r)
{
	if ((c->multi || c->v3) && r.kind != TRACE_MEMSLOT && r.kind != TRACE_IOAT)
		r.dev = c->fn; /* v2, v3: MAP, UNMAP, RPCIT and DMA name the function */
	const char *why = trace_rec_check(&r);
	if (why)
		return cfail_at(c, c->cur_line, "%s record at %" PRIu64 " cycles: %s", trace_kind_name(r.kind), r.time_cycles,
				why);
	ic_record(c, &r);
	if (trace_write(c->tw, &r) < 0) {
		char werr[512];
		return conv_cfail(c, "%s", trace_writer_error(c->tw, werr, sizeof(werr)));
	}
	return c->hm && (r.kind == TRACE_MAP || r.kind == TRACE_UNMAP) ? merge_mapped(c, &r) : 0;
}

static int emit_accesses(struct conv *c, uint64_t t, uint64_t iova, uint64_t len, int dir)
{
	for (uint64_t i = 0; i < c->o->dma_accesses && len; i++) {
		/* A bidirectional buffer is written and read in turn. */
		bool write = dir == DIR_FROM_DEVICE || (dir != DIR_TO_DEVICE && i % 2);
		c->st->dmas++;
		if (conv_emit(c, trace_rec_dma(t, 1, iova, len, write)) < 0)
			return -1;
	}
	return 0;
}

/* Emits the pending accesses of kprobe maps inside [lo, hi) (all of them when hi == 0). */
static int flush_pending(struct conv *c, uint64_t t, uint64_t lo, uint64_t hi)
{
	unsigned keep = 0;
	uint16_t fn = c->fn;
	for (unsigned i = 0; i < c->npend; i++) {
		struct pending_dma *p = &c->pend[i];
		if (hi == 0 || (p->fn == fn && p->iova >= lo && p->iova < hi)) {
			c->fn = p->fn;
			int rc = emit_accesses(c, t, p->iova, p->len, p->dir);
			c->fn = fn;
			if (rc < 0)
				return -1;
		} else {
			c->pend[keep++] = *p;
		}
	}
	c->npend = keep;
	return 0;
}

/* The synthesized lazy RPCIT of the current function. */
static int flush_lazy(struct conv *c, uint64_t t)
{
	unsigned f = c->fn;
	if (!c->lazy_count[f])
		return 0;
	c->lazy_count[f] = 0;
	c->st->rpcits++;
	return conv_emit(c, trace_rec_rpcit(t, c->lazy_lo[f], c->lazy_hi[f] - c->lazy_lo[f]));
}

/* The function number of a device name (multi), or -1 when the capture scan did not see it. */
int conv_fn_index(const struct conv *c, const char *dev)
{
	for (unsigned i = 0; i < c->st->nfunctions; i++)
		if (strcmp(c->st->functions[i], dev) == 0)
			return (int)i;
	return -1;
}


static int resolve(struct conv *c, struct cev *e);

/* The oldest event of the window, resolved; with a host log, a guest IOTLB invalidation closes the
 * interval of host translations before it and opens the next. */
static int resolve_oldest(struct conv *c)
{
	struct cev *e = &c->win[c->head];
	c->head = (c->head + 1) % WINDOW;
	c->n--;
	bool qi = c->hm && e->kind == CK_RPCIT && e->vtd;
	if (qi && c->hm->loaded && merge_close(c) < 0)
		return -1;
	int rc = resolve(c, e);
	if (rc < 0 || !qi)
		return rc;
	c->hm->gi++;
	return merge_load(c);
}

static int resolve(struct conv *c, struct cev *e)
{
	c->cur_line = e->line;
	/* Attribute map/unmap events to a device by the nearest overlapping dma_* event ahead. */
	if ((e->kind == CK_MAP || e->kind == CK_UNMAP) && !e->dev[0]) {
		for (unsigned i = 0; i < c->n && !e->dev[0]; i++) {
			struct cev *f = &c->win[(c->head + i) % WINDOW];
			/* The dma_* event of a map or unmap comes from the same call, on the same CPU: another
			 * CPU's is another device's when two devices use the same IOVAs (each its own space). */
			if ((f->kind == CK_DMA_MAP || f->kind == CK_DMA_UNMAP) && overlaps(e, f) &&
			    (e->cpu < 0 || f->cpu < 0 || e->cpu == f->cpu)) {
				copy_dev(e->dev, f->dev);
				if (e->kind == CK_MAP && f->kind == CK_DMA_MAP && e->dir == DIR_NONE)
					e->dir = f->dir;
			}
		}
		for (unsigned i = 0; i < c->n && !e->dev[0]; i++) {
			struct cev *f = &c->win[(c->head + i) % WINDOW];
			if (f->kind == CK_RPCIT && fh_dev(c, f->fh) && e->iova >= f->iova && e->iova < f->iova + f->len)
				copy_dev(e->dev, fh_dev(c, f->fh));
		}
		if (!e->dev[0])
			copy_dev(e->dev, c->sticky_dev);
		if (!e->dev[0] && c->tracepoint_only)
			copy_dev(e->dev, "iommu"); /* nothing names a device: one function */
		/* The function handle of the RPCIT that flushes a map names its device (s390: an RPCIT follows
		 * each map). VT-d: the domain id of the page-selective flush that is the next event touching an
		 * unmap's (or, under caching mode, a map's) IOVA on its CPU: a flush follows its unmap on the
		 * same CPU, and another device's map or unmap of the same IOVA (each device has its own IOVA
		 * space) in between says the flush is not this one's. */
		if (e->dev[0] && (e->kind == CK_MAP || e->kind == CK_UNMAP)) {
			for (unsigned i = 0; i < c->n; i++) {
				struct cev *f = &c->win[(c->head + i) % WINDOW];
				bool covers = e->iova >= f->iova && e->iova < f->iova + f->len;
				if (f->kind == CK_RPCIT && !f->vtd && e->kind == CK_MAP && covers) {
					conv_learn_fh(c, f->fh, e->dev);
					break;
				}
				if (e->cpu < 0 || f->cpu != e->cpu || !covers ||
				    (f->kind != CK_MAP && f->kind != CK_UNMAP && (f->kind != CK_RPCIT || !f->vtd)))
					continue;
				if (f->kind == CK_RPCIT && !(f->scope & TRACE_INVAL_SCOPE))
					conv_learn_fh(c, f->fh, e->dev);
				break;
			}
		}
	}
	if (e->kind == CK_RPCIT) {
		const char *d = fh_dev(c, e->fh);
		copy_dev(e->dev, d ? d : c->sticky_dev);
		/* A VT-d flush of a domain no page-selective flush has tied to a device, among several functions:
		 * which one it is cannot be known, so it flushes every one (global). */
		if (e->vtd && !d && c->multi && (e->scope & TRACE_INVAL_SCOPE) != TRACE_INVAL_GLOBAL) {
			e->scope = (uint8_t)((e->scope & ~TRACE_INVAL_SCOPE) | TRACE_INVAL_GLOBAL);
			c->st->rpcits_unknown_domain++;
		}
	}
	if (e->kind == CK_DMA_UNMAP)
		return 0; /* used for attribution only */
	if (e->dev[0]) {
		copy_dev(c->sticky_dev, e->dev);
		if (!c->st->function[0] && !c->multi)
			snprintf(c->st->function, sizeof(c->st->function), "%s", c->o->function ? c->o->function : e->dev);
	}
	if (c->multi) {
		int k = e->dev[0] ? conv_fn_index(c, e->dev) : -1;
		if (k < 0) {
			c->st->other_function++; /* a device the scan did not name: nothing to attribute it to */
			return 0;
		}
		c->fn = (uint16_t)k;
	} else if (!e->dev[0] || strcmp(e->dev, c->st->function) != 0) {
		c->st->other_function++;
		return 0;
	}
	uint64_t t = e->time_cycles < c->last_time ? c->last_time : e->time_cycles;
	c->last_time = t;
	if (!c->setup_done) {
		c->setup_done = true;
		if (conv_emit(c, trace_rec_memslot(0, 0, 0, c->o->guest_ram_bytes >> 12, c->o->memslot_hva)) < 0)
			return -1;
		unsigned n = c->multi ? c->st->nfunctions : 1;
		for (unsigned k = 0; k < n; k++)
			if (conv_emit(c, trace_rec_ioat(0, (uint16_t)k, c->o->ioat_origin - k * CONVERT_FN_TABLE_STRIDE, c->levels)) < 0)
				return -1;
		if (c->hm && merge_load(c) < 0)
			return -1;
	}
	c->st->events++;
	switch (e->kind) {
	case CK_MAP:
		if (e->paddr + e->len > c->o->guest_ram_bytes || e->paddr + e->len < e->paddr)
			return cfail_at(c, e->line, "map of paddr 0x%" PRIx64 "+0x%" PRIx64 " is beyond guest RAM (raise --guest-ram)",
					e->paddr, e->len);
		c->st->maps++;
		if (conv_emit(c, trace_rec_map(t, e->iova, e->paddr, e->len, e->dir == DIR_TO_DEVICE)) < 0)
			return -1;
		if (!c->hm && (e->kprobe || c->tracepoint_only)) {
			/* No dma:* event will say when the device uses the buffer: after it is made visible. */
			if (c->npend == WINDOW && flush_pending(c, t, 0, 0) < 0)
				return -1;
			c->pend[c->npend++] = (struct pending_dma){e->iova, e->len, e->dir, c->fn};
		}
		if (!c->st->rpcit_captured) {
			c->st->rpcits++;
			if (conv_emit(c, trace_rec_rpcit(t, e->iova, e->len)) < 0)
				return -1;
			return !c->hm && (e->kprobe || c->tracepoint_only) ? flush_pending(c, t, e->iova, e->iova + e->len) : 0;
		}
		return 0;
	case CK_UNMAP:
		c->st->unmaps++;
		if (conv_emit(c, trace_rec_unmap(t, e->iova, e->len)) < 0)
			return -1;
		if (c->st->rpcit_captured)
			return 0;
		if (c->o->rpcit != CONVERT_RPCIT_LAZY) {
			c->st->rpcits++;
			return conv_emit(c, trace_rec_rpcit(t, e->iova, e->len));
		}
		if (!c->lazy_count[c->fn] || e->iova < c->lazy_lo[c->fn])
			c->lazy_lo[c->fn] = e->iova;
		if (!c->lazy_count[c->fn] || e->iova + e->len > c->lazy_hi[c->fn])
			c->lazy_hi[c->fn] = e->iova + e->len;
		if (++c->lazy_count[c->fn] >= c->o->lazy_batch)
			return flush_lazy(c, t);
		return 0;
	case CK_RPCIT: {
		if (!c->st->rpcit_captured || e->len == 0)
			return 0;
		c->st->rpcits++;
		uint64_t lo = e->iova & ~0xfffull, len = ((e->iova & 0xfff) + e->len + 0xfff) & ~0xfffull;
		struct trace_rec r = trace_rec_rpcit(t, lo, len);
		r.flags = e->scope;
		if (e->scope & TRACE_INVAL_SCOPE) {
			c->st->rpcits_wide++;
			lo = 0;
			len = 0; /* flush_pending: every pending access */
		}
		if (conv_emit(c, r) < 0)
			return -1;
		return flush_pending(c, t, lo, lo + len);
	}
	case CK_DMA_MAP:
		if (c->hm)
			return 0; /* the device's accesses are the host log's */
		if (emit_accesses(c, t, e->iova, e->len, e->dir) < 0)
			return -1;
		for (unsigned k = 1; k < e->nseg; k++)
			if (emit_accesses(c, t, e->seg_iova[k - 1], e->seg_len[k - 1], e->dir) < 0)
				return -1;
		return 0;
	default:
		return 0;
	}
}

/* Whether any line of f mentions needle (f is rewound before and after). */
static bool file_mentions(FILE *f, const char *needle)
{
	char buf[LINE_MAX_BYTES];
	bool found = false;
	rewind(f);
	while (!found && fgets(buf, sizeof(buf), f))
		found = strstr(buf, needle) != NULL;
	rewind(f);
	return found;
}

/* What the capture says of itself (f rewound after): events its trace buffer dropped (ftrace's
 * "# entries-in-buffer/entries-written: A/B" header, per buffer, and "[LOST N EVENTS]" lines), and the
 * flush policy its header labels it with (iowalk-capture's "# workload: ...; flush strict|lazy"). */
static void scan_integrity(FILE *f, struct convert_stats *st)
{
	char buf[LINE_MAX_BYTES];
	rewind(f);
	while (fgets(buf, sizeof(buf), f)) {
		const char *p;
		unsigned long long a, b;
		if (buf[0] == '#' && (p = strstr(buf, "entries-in-buffer/entries-written:")) &&
		    sscanf(p + strlen("entries-in-buffer/entries-written:"), " %llu/%llu", &a, &b) == 2 && b > a)
			st->lost_events += b - a;
		else if ((p = strstr(buf, "[LOST ")) && sscanf(p, "[LOST %llu EVENTS]", &a) == 1)
			st->lost_events += a;
		else if (strncmp(buf, "# workload:", 11) == 0 && (p = strstr(buf, "; flush ")))
			snprintf(st->label, sizeof(st->label), "%s", strncmp(p + 8, "strict", 6) == 0 ? "strict"
								    : strncmp(p + 8, "lazy", 4) == 0   ? "lazy"
													: "");
	}
	rewind(f);
}

/* Whether the capture flushes as its header's label says (captured RPCITs; after the last record): a
 * strict guest flushes each unmap at once (iotlb_sync in iommu_unmap), a lazy one through its flush
 * queue. NULL, or why not (into buf). */
static const char *policy_mismatch(struct conv *c, char *buf, size_t len)
{
	const struct integrity *ic = &c->ic;
	struct convert_stats *st = c->st;
	if (!st->label[0] || !st->rpcit_captured || st->integrity_partial)
		return NULL;
	uint64_t recent = 0; /* unmaps of the last records whose flush may not have come yet */
	for (uint64_t i = 0; i < ic->nunmaps; i++)
		recent += ic->unmaps[i].left > 0 && ic->rec - ic->unmaps[i].rec <= IC_AT_ONCE;
	uint64_t late = ic->nunmaps - st->unmaps_flushed_at_once - recent;
	if (strcmp(st->label, "strict") == 0 && late > 0) {
		snprintf(buf, len,
			 "labelled strict, but %" PRIu64 " of its %" PRIu64 " unmaps were not flushed by an RPCIT within %d records"
			 " (a strict guest flushes each at once; a 6.1 s390 guest needs s390_iommu=strict, it ignores iommu.strict=1)",
			 late, ic->nunmaps, IC_AT_ONCE);
		return buf;
	}
	if (strcmp(st->label, "lazy") == 0 && ic->nunmaps >= 16 && late == 0) {
		snprintf(buf, len, "labelled lazy, but every one of its %" PRIu64 " unmaps was flushed by an RPCIT at once, as a strict guest's are",
			 ic->nunmaps);
		return buf;
	}
	return NULL;
}

/* The PCI functions the capture names, in order of first appearance: the device of the dma:* mapping
 * events and the zdev of __dma_update_trans kprobes (f rewound after). -1 when there are more than
 * CONVERT_MAX_FUNCTIONS. */
static int scan_functions(FILE *f, struct convert_stats *st)
{
	static const char *const ev[] = {"dma_map_page: ", "dma_alloc: ", "dma_map_resource: ", "dma_unmap_page: ",
					 "dma_map_sg: ", "dma_map_phys: ", "dma_unmap_phys: ", NULL};
	char buf[LINE_MAX_BYTES];
	int rc = 0;
	rewind(f);
	while (rc == 0 && fgets(buf, sizeof(buf), f)) {
		char name[32] = "";
		uint64_t zdev;
		for (const char *const *e = ev; *e && !name[0]; e++) {
			const char *p = strstr(buf, *e);
			if (p) {
				p += strlen(*e);
				while (*p == ' ')
					p++;
				size_t n = strcspn(p, " \t\n");
				if (dev_name_ok(p, n))
					snprintf(name, sizeof(name), "%.*s", (int)n, p);
			}
		}
		if (!name[0] && strstr(buf, "(__dma_update_trans") && field(strstr(buf, "(__dma_update_trans"), "zdev=", true, &zdev))
			snprintf(name, sizeof(name), "zdev:%" PRIx64, zdev);
		if (!name[0])
			continue;
		bool seen = false;
		for (unsigned i = 0; i < st->nfunctions && !seen; i++)
			seen = strcmp(st->functions[i], name) == 0;
		if (seen)
			continue;
		if (st->nfunctions == CONVERT_MAX_FUNCTIONS)
			rc = -1;
		else
			memcpy(st->functions[st->nfunctions++], name, sizeof(name));
	}
	rewind(f);
	return rc;
}

/* The end of the highest IOVA range the capture's map and unmap events name (f rewound after). */
static uint64_t max_iova_end(FILE *f)
{
	char buf[LINE_MAX_BYTES];
	uint64_t top = 0, iova, size;
	rewind(f);
	while (fgets(buf, sizeof(buf), f)) {
		if (!field(buf, "iova=", true, &iova))
			continue;
		if (!field(buf, "size=", false, &size) && !field(buf, "unmapped_size=", false, &size))
			size = 4096;
		uint64_t end = iova + size < iova ? UINT64_MAX : iova + size;
		if (end > top)
			top = end;
	}
	rewind(f);
	return top;
}

/* The capture as a seekable plain-text stream: a regular file as it is; standard input copied to a
 * temporary file (so that the content can be looked at before converting); a zstd-compressed capture
 * decompressed into one. NULL with the reason in err. */
FILE *conv_open_capture(const char *in, char *err, size_t errlen)
{
	FILE *f = strcmp(in, "-") == 0 ? stdin : fopen(in, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: cannot open: %s", in, strerror(errno));
		return NULL;
	}
	unsigned char magic[4] = {0};
	size_t nm = f == stdin ? 0 : fread(magic, 1, 4, f);
	bool zst = nm == 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd;
	if (f != stdin && !zst) {
		rewind(f);
		return f;
	}
	FILE *t = tmpfile();
	if (!t) {
		snprintf(err, errlen, "%s: cannot create a temporary file: %s", in, strerror(errno));
		if (f != stdin)
			fclose(f);
		return NULL;
	}
	unsigned char inbuf[1 << 16], outbuf[1 << 16];
	int bad = 0;
	if (zst) {
		rewind(f);
		ZSTD_DCtx *z = ZSTD_createDCtx();
		size_t n, rc = 1;
		while (z && !bad && (n = fread(inbuf, 1, sizeof(inbuf), f)) > 0) {
			ZSTD_inBuffer zi = {inbuf, n, 0};
			while (zi.pos < zi.size && !bad) {
				ZSTD_outBuffer zo = {outbuf, sizeof(outbuf), 0};
				rc = ZSTD_decompressStream(z, &zo, &zi);
				bad = ZSTD_isError(rc) || fwrite(outbuf, 1, zo.pos, t) != zo.pos;
			}
		}
		if (!z || (!bad && rc != 0))
			bad = 1;
		ZSTD_freeDCtx(z);
		if (bad)
			snprintf(err, errlen, "%s: not a complete zstd stream", in);
	} else {
		size_t n;
		while (!bad && (n = fread(inbuf, 1, sizeof(inbuf), f)) > 0)
			bad = fwrite(inbuf, 1, n, t) != n;
		if (bad)
			snprintf(err, errlen, "%s: cannot copy standard input: %s", in, strerror(errno));
	}
	if (ferror(f) && !bad) {
		bad = 1;
		snprintf(err, errlen, "%s: read error", in);
	}
	if (f != stdin)
		fclose(f);
	if (bad) {
		fclose(t);
		return NULL;
	}
	rewind(t);
	return t;
}

int convert_ftrace(const char *in, const char *out, const struct convert_opts *o, struct convert_stats *st, char *err,
		   size_t errlen)
{
	memset(st, 0, sizeof(*st));
	struct conv *c = iw_calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	c->o = o;
	c->st = st;
	c->err = err;
	c->errlen = errlen;
	c->in = in;
	FILE *f = conv_open_capture(in, err, errlen);
	if (!f) {
		iw_free(c);
		return -1;
	}
	/* An iowalk trace given as the capture (it read as "no IOMMU map/unmap events found"). */
	char head[16] = "";
	size_t nh = fread(head, 1, sizeof(head) - 1, f);
	head[nh] = '\0';
	rewind(f);
	if (memcmp(head, TRACE_BIN_MAGIC, 8) == 0 || strncmp(head, "%iowalk-trace", 13) == 0) {
		snprintf(err, errlen, "%s: an iowalk trace already, not a capture (trace convert reads ftrace/kprobe text: "
				      "docs/capture.md; iowalk run replays a trace)", in);
		fclose(f);
		iw_free(c);
		return -1;
	}
	scan_integrity(f, st);
	if (st->lost_events && !o->accept_lost) {
		snprintf(err, errlen,
			 "%s: the capture lost %" PRIu64 " events (its trace buffer overflowed): a trace made from it would miss maps,"
			 " unmaps and flushes without a word; capture again with a larger buffer, or pass --accept-lost-events"
			 " (the trace's name then says so)", in, st->lost_events);
		fclose(f);
		iw_free(c);
		return -1;
	}
	st->flushes_zpci = file_mentions(f, "(zpci_refresh_trans");
	st->flushes_qi = file_mentions(f, "qi_submit: ");
	if (o->rpcit == CONVERT_RPCIT_CAPTURED)
		st->rpcit_captured = true;
	else if (o->rpcit == CONVERT_RPCIT_AUTO)
		st->rpcit_captured = st->flushes_zpci || st->flushes_qi;
	/* A VT-d guest's capture (its invalidation descriptors): a trace of the VT-d format, as asked. */
	const char *format = o->format;
	unsigned levels = o->levels;
	if (!format && o->vtd_format && st->flushes_qi) {
		format = o->vtd_format;
		if (!levels)
			levels = o->vtd_levels;
	}
	st->format = format;
	/* Only the standard iommu:map/unmap tracepoints (what x86 and Arm captures have): no event names a
	 * device, so every event is one function's, and the device accesses come from the maps. */
	c->tracepoint_only = !file_mentions(f, "dma_map_page") && !file_mentions(f, "dma_alloc") &&
			     !file_mentions(f, "dma_map_resource") && !file_mentions(f, "dma_map_sg") &&
			     !file_mentions(f, "dma_map_phys") && !file_mentions(f, "zdev=");
	st->tracepoint_only = c->tracepoint_only;
	/* The guest table's levels: as asked, or the fewest whose aperture holds every IOVA of the capture. */
	uint64_t top = max_iova_end(f);
	c->levels = levels ? levels : top <= (1ull << 42) ? 3 : top <= (1ull << 53) ? 4 : 5;
	st->levels = c->levels;
	if (levels && levels < 5 && top > (1ull << (levels == 3 ? 42 : 53))) {
		snprintf(err, errlen, "%s: IOVAs up to 0x%" PRIx64 " do not fit %u levels (try --levels %u)", in, top - 1,
			 levels, top <= (1ull << 53) ? 4 : 5);
		fclose(f);
		iw_free(c);
		return -1;
	}
	/* Every function the capture names is kept (a v2 trace) unless --function picks one or there is one. */
	if (!c->tracepoint_only && scan_functions(f, st) < 0) {
		snprintf(err, errlen, "%s: more than %u PCI functions; pick one with --function", in, CONVERT_MAX_FUNCTIONS);
		fclose(f);
		iw_free(c);
		return -1;
	}
	c->multi = !o->function && st->nfunctions > 1;
	unsigned named = st->nfunctions;
	if (!c->multi)
		st->nfunctions = 0; /* st->function names the one kept */
	if (c->multi && o->ioat_origin < (st->nfunctions - 1) * CONVERT_FN_TABLE_STRIDE) {
		snprintf(err, errlen, "%s: %u functions need their IO tables 16 MiB apart below --ioat-origin 0x%" PRIx64
			 " (raise it)", in, st->nfunctions, o->ioat_origin);
		fclose(f);
		iw_free(c);
		return -1;
	}
	struct trace_header hdr = {.version = format ? TRACE_FORMAT_V3 : c->multi ? TRACE_FORMAT_V2 : TRACE_FORMAT_V1,
				   .page_size = TRACE_PAGE_SIZE, .record_count = TRACE_COUNT_UNKNOWN};
	if (format)
		snprintf(hdr.format, sizeof(hdr.format), "%s", format);
	c->v3 = format != NULL;
	const char *pol = st->rpcit_captured ? "captured" : o->rpcit == CONVERT_RPCIT_LAZY ? "lazy" : "strict";
	/* What the trace carries of a choice to convert a capture the checks would refuse: the events lost,
	 * and a flush label taken without its check (the check needs the whole capture; the name is
	 * written first). */
	char lost[96] = "";
	int ln = 0;
	if (st->lost_events)
		ln = snprintf(lost, sizeof(lost), "LOST %" PRIu64 " EVENTS; ", st->lost_events);
	if (o->accept_policy && st->label[0] && st->rpcit_captured)
		snprintf(lost + ln, sizeof(lost) - (size_t)ln, "FLUSH LABEL %s NOT ENFORCED; ", st->label);
	if (o->name)
		snprintf(hdr.name, sizeof(hdr.name), "%s%s", lost, o->name);
	else
		snprintf(hdr.name, sizeof(hdr.name), "%sconverted from %s; rpcit=%s; dma-accesses=%" PRIu64 "; clock=%" PRIu64 " MHz",
			 lost, in, pol, o->dma_accesses, o->clock_mhz);
	trace_name_sanitize(hdr.name); /* the file name may hold any byte */
	if (o->host_log && merge_open(c, f, o->host_log) < 0) {
		fclose(f);
		merge_free(c);
		iw_free(c);
		return -1;
	}
	c->ic.on = u64map_init(&c->ic.mapped, 1024) == 0 && u64map_init(&c->ic.pend_idx, 1024) == 0;
	if (!c->ic.on)
		st->integrity_partial = true;
	c->tw = trace_writer_open(out, TRACE_ENC_TEXT, false, &hdr, err, errlen);
	int rc = -1;
	if (!c->tw)
		goto out_close;
	char line[LINE_MAX_BYTES];
	uint64_t lineno = 0;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		st->lines++;
		size_t l = strlen(line);
		if (l == sizeof(line) - 1 && line[l - 1] != '\n') {
			conv_cfail(c, "%s: line %" PRIu64 ": longer than %d bytes", in, lineno, LINE_MAX_BYTES - 2);
			goto out_abort;
		}
		struct cev ev;
		int pr = parse_event(c, line, lineno, &ev);
		if (pr == -2)
			goto out_abort;
		if (pr < 0) {
			if (st->unparsed < 8)
				st->unparsed_lines[st->unparsed] = lineno;
			st->unparsed++;
			if (o->strict) {
				conv_cfail(c, "%s: line %" PRIu64 ": not an ftrace event line this converter knows", in, lineno);
				goto out_abort;
			}
			continue;
		}
		if (pr == 0)
			continue;
		if (c->n == WINDOW && resolve_oldest(c) < 0)
			goto out_abort;
		c->win[(c->head + c->n++) % WINDOW] = ev;
	}
	if (ferror(f)) {
		conv_cfail(c, "%s: read error", in);
		goto out_abort;
	}
	while (c->n)
		if (resolve_oldest(c) < 0)
			goto out_abort;
	if (flush_pending(c, c->last_time, 0, 0) < 0)
		goto out_abort;
	if (c->hm)
		merge_finish(c);
	for (unsigned k = 0; o->rpcit == CONVERT_RPCIT_LAZY && k < CONVERT_MAX_FUNCTIONS; k++) {
		c->fn = (uint16_t)k;
		if (flush_lazy(c, c->last_time) < 0)
			goto out_abort;
	}
	if (!c->setup_done && o->function && st->other_function) {
		char names[CONVERT_MAX_FUNCTIONS * 34] = "";
		for (unsigned k = 0; k < named; k++)
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s", k ? ", " : "", st->functions[k]);
		conv_cfail(c, "%s: no events of function %s (the capture names %s)", in, o->function, names[0] ? names : "none");
		goto out_abort;
	}
	if (!c->setup_done) {
		conv_cfail(c, "%s: no IOMMU map/unmap events found (%" PRIu64 " lines)", in, lineno);
		goto out_abort;
	}
	char why[512];
	if (!o->accept_policy && policy_mismatch(c, why, sizeof(why))) {
		conv_cfail(c, "%s: %s; it does not behave as labelled: capture it again, or pass --accept-policy-mismatch", in, why);
		goto out_abort;
	}
	rc = trace_writer_commit(c->tw, err, errlen);
	goto out_close;
out_abort:
	trace_writer_abort(c->tw);
out_close:
	fclose(f);
	u64map_destroy(&c->ic.mapped);
	u64map_destroy(&c->ic.pend_idx);
	iw_free(c->ic.pend);
	iw_free(c->ic.unmaps);
	merge_free(c);
	iw_free(c);
	return rc;
}
