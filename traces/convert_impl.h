/* convert_impl: what the converter's files share (convert.c reads the capture and writes the trace;
 * convert_merge.c places the translations of QEMU's VT-d log among the guest's events). Private to
 * traces/. */
#ifndef IOWALK_TRACES_CONVERT_IMPL_H
#define IOWALK_TRACES_CONVERT_IMPL_H

#include "convert.h"
#include "convert_host.h"
#include "trace.h"
#include "u64map.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define WINDOW 64
#define LINE_MAX_BYTES 8192

enum ck { CK_MAP = 1, CK_UNMAP, CK_RPCIT, CK_DMA_MAP, CK_DMA_UNMAP };
enum cdir { DIR_NONE = 0, DIR_TO_DEVICE, DIR_FROM_DEVICE, DIR_BIDI };

struct cev {
	uint64_t line, time_cycles;
	int kind;
	uint64_t iova, len, paddr, fh;
	bool ro;
	bool kprobe; /* a __dma_update_trans line: its device accesses follow its RPCIT */
	bool vtd;    /* an RPCIT from a VT-d invalidation descriptor (qi_submit): fh is its domain id + 1 */
	uint8_t scope; /* TRACE_INVAL_* of a VT-d RPCIT: 0 (page range), domain or global, and leaf */
	int dir;
	int cpu;     /* the CPU the event was traced on ("[NNN]"), or -1 */
	char dev[32];
	/* A dma_map_sg's IOVA segments after the first (iova, len): nseg in all. */
	unsigned nseg;
	uint64_t seg_iova[CONVERT_SG_MAX], seg_len[CONVERT_SG_MAX];
};

struct pending_dma {
	uint64_t iova, len;
	int dir;
	uint16_t fn;
};

/* The capture's integrity checks over the records written (per page of each function): what was mapped,
 * and the unmapped pages no captured RPCIT has flushed yet, each with its UNMAP record. */
#define IC_MAX_PAGES (1ull << 22)  /* pages tracked at most (beyond: integrity_partial) */
#define IC_AT_ONCE 256             /* an UNMAP flushed within this many records counts as flushed at once */
struct ic_unmap {
	uint64_t rec, left; /* its record number, and its pages not yet flushed */
};
struct integrity {
	struct u64map mapped;   /* (fn << 52 | pfn) -> 1: mapped now (or unmapped) */
	struct u64map pend_idx; /* (fn << 52 | pfn) -> index into pend: unmapped, not flushed */
	struct ic_page {
		uint64_t key, unmap; /* an unmapped, unflushed page, and its UNMAP (index into unmaps) */
	} *pend;
	uint64_t npend, pend_cap;
	struct ic_unmap *unmaps;
	uint64_t nunmaps, unmaps_cap, rec;
	bool on;
};

struct conv {
	const struct convert_opts *o;
	struct integrity ic;
	struct convert_stats *st;
	struct trace_writer *tw;
	struct cev win[WINDOW];
	unsigned head, n;
	uint64_t t0_ns;
	bool have_t0;
	uint64_t last_time;
	char sticky_dev[32];
	uint64_t fh_known[16];
	char fh_dev[16][32];
	unsigned nfh;
	uint64_t lazy_count[CONVERT_MAX_FUNCTIONS], lazy_lo[CONVERT_MAX_FUNCTIONS], lazy_hi[CONVERT_MAX_FUNCTIONS];
	bool multi;        /* every function kept: format v2, records name their function */
	bool v3;           /* a version-3 trace: records name their function (0 when one is kept) */
	uint16_t fn;       /* the function of the event being written (multi) */
	struct pending_dma pend[WINDOW]; /* kprobe maps' device accesses, waiting for their RPCIT */
	unsigned npend;
	bool setup_done;
	char *err;
	size_t errlen;
	const char *in;    /* the capture's name, for messages */
	bool tracepoint_only; /* no event names a device (iommu:map/unmap only) */
	unsigned levels;   /* the guest table's levels */
	uint64_t cur_line; /* the capture line of the event being written */
	/* With QEMU's VT-d log (o->host_log): its translations become the DMA records, each placed where
	 * the guest's mapping of its page is the gpa QEMU translated it to (struct host_merge). */
	struct host_merge *hm;
};

/* The merge of a host log into the guest's events: the log (hl), the offset of the guest's first
 * invalidation in it (k), the guest's IOTLB invalidations resolved so far (gi: the current interval is
 * the one after gi of them), the next translation to load (next), the interval's translations waiting
 * for the guest to map their page (pend, chained per page through chain[] from head: key -> index + 1),
 * and the guest's mappings now (cur: fn << 52 | pfn -> (gpa pfn << 1 | writable) + 1). */
struct host_merge {
	struct host_log hl;
	uint64_t k, gi, next;
	bool loaded;
	uint64_t *pend, npend, pend_cap;
	uint64_t *chain;
	bool *done, *carried;
	struct u64map head, cur;
};

/* convert.c */
__attribute__((format(printf, 2, 3))) int conv_cfail(struct conv *c, const char *fmt, ...);
/* Writes r (built by a trace_rec_*() constructor) after checking it. 0 or -1. */
int conv_emit(struct conv *c, struct trace_rec r);
/* The function number of a device name (several functions kept), or -1. */
int conv_fn_index(const struct conv *c, const char *dev);
/* Ties function handle (VT-d: domain id + 1) fh to device dev, unless it is tied already. */
void conv_learn_fh(struct conv *c, uint64_t fh, const char *dev);
/* The capture (or log) as a seekable plain-text stream (zstd decompressed, stdin copied). NULL + err. */
FILE *conv_open_capture(const char *in, char *err, size_t errlen);
/* A qi_submit's descriptor: 1 an IOTLB one (into inv, *leaf), 0 another, -1 unparsed. */
int conv_qi_decode(const char *rest, struct host_inv *inv, bool *leaf);

/* convert_merge.c: QEMU's VT-d log (convert_opts.host_log) as the trace's DMA records. */
/* Reads the log and finds the guest's invalidations in it (f: the capture). 0, or -1 with the reason. */
int merge_open(struct conv *c, FILE *f, const char *path);
/* Loads the current interval's translations (after c->hm->gi of the guest's invalidations). 0 or -1. */
int merge_load(struct conv *c);
/* Closes the current interval (before the guest's next invalidation). 0 or -1. */
int merge_close(struct conv *c);
/* After a MAP or UNMAP record r: the guest's mappings now, and the translations a MAP places. 0 or -1. */
int merge_mapped(struct conv *c, const struct trace_rec *r);
/* After the capture's last event: what never matched, and what came after. */
void merge_finish(struct conv *c);
void merge_free(struct conv *c);

#endif
