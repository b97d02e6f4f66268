/* gen: seeded, deterministic synthetic workloads (docs/workloads.md): nic-ring, nvme, stream, random,
 * churn, and vm (several PCI functions: NICs and NVMe queues, a format-v2 trace). The same options and seed give the same bytes on every machine. */
#ifndef IOWALK_SIM_GEN_H
#define IOWALK_SIM_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum gen_kind { GEN_NIC_RING = 0, GEN_NVME, GEN_STREAM, GEN_RANDOM, GEN_CHURN, GEN_VM, GEN_KIND_COUNT };

#define GEN_MAX_FUNCTIONS 64

struct gen_opts {
	enum gen_kind kind;
	uint64_t seed;
	/* guest memory layout */
	uint64_t guest_ram_mib;    /* total guest RAM */
	uint64_t memslots;         /* RAM split into this many equal slots, each with its own hva range */
	uint64_t ioat_origin;      /* guest table root (the guest's table pool grows upward from it) */
	unsigned levels;           /* guest table levels 3..5 */
	/* flush policy: strict (RPCIT per unmap) or lazy (flush queue of lazy_batch entries) */
	bool lazy;
	uint64_t lazy_batch;
	/* workload size and shape */
	uint64_t ops;              /* packets (nic-ring), requests (nvme), DMAs (stream/random/churn) */
	uint64_t ring;             /* nic-ring: descriptors per ring; nvme: queue depth */
	bool ring_given;           /* set by gen_set("ring"): else a VT-d guest's nvme keeps 6 outstanding */
	uint64_t buf_bytes;        /* nic-ring buffer size; churn buffer size */
	uint64_t rx_percent;       /* nic-ring: share of RX (device writes) packets */
	uint64_t working_set_bytes; /* stream/random: mapped region (a multiple of 4 KiB) */
	uint64_t dma_bytes;        /* stream/random: bytes per DMA */
	double zipf_s;             /* random: 0 = uniform, else Zipf exponent over pages */
	uint64_t interval_cycles;  /* time between operations */
	uint64_t devices;          /* DMA streams (device ids 1..devices) */
	uint64_t functions;        /* vm: PCI functions, each its own IO address space (1..64) */
	const char *name;
	const char *format;        /* NULL: an s390 trace of version 1 or 2; else a version-3 trace naming it */
	/* VT-d guests (format "vtd"): invalidations as Linux's VT-d driver issues them. caching_mode: the
	 * vIOMMU reports CM=1, so the guest flushes each new mapping (page-selective) and Linux forces strict
	 * unmaps; 0: a guest as on hardware, no flush after a map. Strict unmaps flush page-selectively with
	 * the leaf hint (IH, as 6.12 does); lazy ones are flushed by a domain-wide invalidation per batch.
	 * -1 (the default): on, unless the flush is lazy (then off). */
	int caching_mode;
	/* Optional: called after every 65536th operation with the operations done and ops (the front end's
	 * progress lines). It does not change what is generated. */
	void (*progress)(uint64_t done, uint64_t total, void *arg);
	void *progress_arg;
};

struct gen_stats {
	uint64_t records, maps, unmaps, rpcits, dmas;
	uint64_t bytes_mapped, bytes_dma;
};

const char *gen_kind_name(enum gen_kind k);
int gen_kind_parse(const char *s, enum gen_kind *k); /* 0 or -1 */
void gen_defaults(struct gen_opts *o, enum gen_kind k);
/* Sets one option by its command-line name without dashes ("ops", "rpcit", ...). NULL or the reason. */
const char *gen_set(struct gen_opts *o, const char *key, const char *value, char *err, size_t errlen);
/* NULL or the reason the options are inconsistent. */
const char *gen_check(const struct gen_opts *o);
/* Writes the trace to out (text, or binary when binary is set; zstd when zstd). 0 or -1 with err. */
int gen_write(const struct gen_opts *o, const char *out, bool binary, bool zstd, struct gen_stats *st, char *err,
	      size_t errlen);

/* A size given on the command line or in a spec: a number with an optional binary suffix K, M, G or T
 * (KiB..TiB; "KiB", "MB" and the like read the same), or a bare number of 2^unit_shift bytes (the
 * option's own unit: MiB for --guest-ram and --working-set, bytes for --buf-size and --dma-size). 0, or
 * -1 (not a size, or past 2^64). */
int gen_parse_size(const char *t, unsigned unit_shift, uint64_t *bytes);

#endif
