/* convert: Linux trace captures (ftrace/trace-cmd/perf text) of a guest's IOMMU activity into iowalk
 * traces. Recognized events (docs/capture.md): iommu:map, iommu:unmap, the dma:* events
 * (dma_map_page, dma_map_sg, dma_alloc: direction and device), kprobes on zpci_refresh_trans
 * (fh/addr/range: exact RPCITs) and on __dma_update_trans (6.1-style pa/dma_addr/size/flags).
 * Notes:
 *  - map/unmap events do not name their device; each is attributed to the device of the nearest dma_*
 *    event (within a window of following lines) whose range overlaps it, else to the function handle
 *    of the RPCIT that covers it. Every PCI function's events are kept by default: each function has its
 *    own IO address space, so a capture naming several becomes a format-v2 trace with one IOAT per
 *    function (function k, in order of first appearance, gets number k and its IO table at
 *    --ioat-origin - k x 16 MiB); one that names one function, or --function BDF, a version-1 trace of
 *    that function alone.
 *  - A capture must be whole and flush as labelled: one whose header shows lost events (ftrace's
 *    entries-in-buffer/entries-written, or LOST lines) is refused unless accept_lost (the trace's name
 *    then says so); with captured RPCITs, one whose header labels it strict but whose unmaps are not
 *    each flushed at once, or lazy but whose unmaps all are, is refused unless accept_policy. UNMAPs of
 *    IOVAs the capture never mapped are counted (a capture that started mid-workload).
 *  - DMA streams are not visible to the kernel: each dma_* mapping event of the kept function adds
 *    --dma-accesses device accesses of its range (reads for TO_DEVICE, writes for FROM_DEVICE,
 *    alternating for BIDIRECTIONAL), at the event's time.
 */
#ifndef IOWALK_SIM_CONVERT_H
#define IOWALK_SIM_CONVERT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define CONVERT_MAX_FUNCTIONS 16
#define CONVERT_SG_MAX 63 /* a dma_map_sg's segments beyond its first, at most */
#define CONVERT_FN_TABLE_STRIDE 0x1000000ull /* 16 MiB between the functions' IO table origins */

enum convert_rpcit { CONVERT_RPCIT_AUTO = 0, CONVERT_RPCIT_CAPTURED, CONVERT_RPCIT_STRICT, CONVERT_RPCIT_LAZY };

struct convert_opts {
	uint64_t clock_mhz;          /* cycles per microsecond */
	enum convert_rpcit rpcit;
	uint64_t lazy_batch;         /* lazy: one RPCIT per this many unmaps */
	uint64_t dma_accesses;       /* device accesses per mapped buffer */
	uint64_t guest_ram_bytes;    /* one memslot from gpa 0 */
	uint64_t memslot_hva;
	uint64_t ioat_origin;
	const char *function;        /* "0001:00:00.0" or NULL: the first seen */
	bool strict;                 /* unparsed lines are fatal */
	const char *name;            /* trace name, or NULL for a generated one */
	unsigned levels;             /* the guest table's levels; 0: the fewest that hold every IOVA */
	bool accept_lost;            /* convert a capture whose header shows lost events (the name says so) */
	bool accept_policy;          /* convert a capture that does not flush as its header's label says */
	const char *format;          /* NULL: an s390 trace (version 1 or 2); else a version-3 trace naming it */
	/* The format (and, without levels, its levels) a capture of a VT-d guest (one with intel_iommu:qi_submit
	 * events) converts to when format is NULL; NULL: as s390. */
	const char *vtd_format;
	unsigned vtd_levels;
	/* QEMU's VT-d log of the same run (iowalk-capture --host-log), or NULL: its translations become the
	 * DMA records (the dma_* events then make none), each where the guest maps its page to its gpa. */
	const char *host_log;
	bool host_keep_repeats;      /* keep a host translation that repeats the one before it (default: one) */
};

struct convert_stats {
	uint64_t lines, events, maps, unmaps, rpcits, dmas, other_function, ignored, unparsed;
	uint64_t unparsed_lines[8]; /* first few unparsed line numbers */
	char function[32];           /* the function kept (one-function output) */
	unsigned nfunctions;         /* functions kept: more than one makes a format-v2 trace */
	char functions[CONVERT_MAX_FUNCTIONS][32];
	bool rpcit_captured;
	bool flushes_zpci, flushes_qi; /* the capture's flushes: s390's RPCITs (zpci_refresh_trans), VT-d's
					  invalidation descriptors (intel_iommu:qi_submit) */
	bool tracepoint_only;        /* no event named a device: one function, accesses from the maps */
	unsigned levels;
	/* The capture's integrity. */
	uint64_t lost_events;        /* events the trace buffer dropped (ftrace's header or LOST lines) */
	char label[16];              /* the flush policy the capture's header names ("strict", "lazy", or "") */
	uint64_t unmaps_never_mapped; /* UNMAP records of IOVA pages no MAP of the capture mapped */
	uint64_t unmaps_flushed_at_once; /* UNMAPs a captured RPCIT covered within the next records (strict) */
	uint64_t reuse_before_flush; /* MAPs of a page unmapped and not yet flushed (captured RPCITs) */
	bool integrity_partial;      /* too many pages to track: the checks above stopped */
	const char *format;          /* the trace's table format (version 3), or NULL (s390, version 1 or 2) */
	uint64_t rpcits_wide;        /* captured domain or global invalidations (VT-d) among rpcits */
	uint64_t qi_other;           /* VT-d invalidation descriptors other than the IOTLB's (ignored) */
	uint64_t rpcits_unknown_domain; /* VT-d domain flushes of a domain tied to no function (several kept): global */
	/* The host log: its translations (and repeats collapsed), those placed as DMA records, those whose
	 * gpa the guest never mapped their page to in their interval (disagree: first lines), those before
	 * the guest's first invalidation and after its last, of devices not kept; its faults, its IOTLB
	 * invalidations and where the guest's (guest_invals of them) begin among them. */
	uint64_t host_translations, host_collapsed, host_placed, host_disagree, host_before, host_after;
	uint64_t host_other_device, host_faults, host_invals, guest_invals, host_aligned_at;
	uint64_t host_late; /* of those placed, one invalidation later than QEMU logged them (see convert.c) */
	uint64_t host_disagree_lines[8];
};

void convert_defaults(struct convert_opts *o);
/* Converts in to the trace file out. 0, or -1 with the reason in err (nothing is left at out). */
int convert_ftrace(const char *in, const char *out, const struct convert_opts *o, struct convert_stats *st, char *err,
		   size_t errlen);

#endif
