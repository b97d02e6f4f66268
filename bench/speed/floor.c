/* floor: the minimal replay of an iowalk trace, the reference bench/speed/run measures iowalk against.
 * It decodes every binary record of the real format (zstd-compressed or not), keeps the guest's IO
 * table as a 3-level radix (region-third -> segment -> page table, s390 geometry: 11 + 11 + 8 index bits
 * over 4 KiB pages), and for every DMA page probes one IOTLB per device (512 entries, 4-way, LRU, set =
 * page number mod 128, as iowalk's default) and walks the 3 levels on a miss; an RPCIT invalidates the
 * IOTLB entries of its range. Nothing else: no timing, no caches, no strategy. It prints its record,
 * translation, hit and miss counts, so the benchmark can check that it did the same work as iowalk.
 * usage: iowalk-floor TRACE.bin[.zst] [--entries N | --decode-only]   (format v1 traces)
 * --decode-only: decompress and decode every record, nothing else (the reference for iowalk's reader).
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "floor_decode.h"

#define WAYS 4u
#define MAX_DEVS 65536u

struct tlb {
	uint64_t sets;
	uint64_t *key, *stamp; /* key: page number + 1 (0 empty) */
	uint64_t clock;
};

static struct tlb *tlbs[MAX_DEVS];
static uint16_t devlist[MAX_DEVS];
static unsigned ndevs;
static uint64_t tlb_entries = 512;
static uint64_t **rt[2048]; /* region-third index (bits 31..41) -> segment table */
static uint64_t hits, misses, translations, records, walk_refs, checksum;
static bool decode_only;

static struct tlb *tlb_of(uint16_t dev)
{
	if (!tlbs[dev]) {
		struct tlb *t = calloc(1, sizeof(*t));
		if (!t)
			exit(2);
		t->sets = tlb_entries / WAYS;
		t->key = calloc(tlb_entries ? tlb_entries : 1, sizeof(uint64_t));
		t->stamp = calloc(tlb_entries ? tlb_entries : 1, sizeof(uint64_t));
		if (!t->key || !t->stamp)
			exit(2);
		tlbs[dev] = t;
		devlist[ndevs++] = dev;
	}
	return tlbs[dev];
}

/* The page table entry of iova (allocating levels when create), or NULL. */
static uint64_t *pte(uint64_t iova, bool create)
{
	uint64_t r = (iova >> 31) & 2047, s = (iova >> 20) & 2047, p = (iova >> 12) & 255;
	if (iova >> 42)
		return NULL; /* beyond a 3-level table's aperture */
	if (!rt[r]) {
		if (!create)
			return NULL;
		rt[r] = calloc(2048, sizeof(uint64_t *));
	}
	uint64_t *pt = rt[r][s];
	if (!pt) {
		if (!create)
			return NULL;
		pt = calloc(256, sizeof(uint64_t));
		rt[r][s] = pt;
	}
	return &pt[p];
}

static void translate(uint16_t dev, uint64_t pfn)
{
	struct tlb *t = tlb_of(dev);
	uint64_t victim = 0;
	translations++;
	if (t->sets) {
		uint64_t base = (pfn % t->sets) * WAYS;
		victim = base;
		for (unsigned w = 0; w < WAYS; w++) {
			if (t->key[base + w] == pfn + 1) {
				t->stamp[base + w] = ++t->clock;
				hits++;
				return;
			}
			if (t->stamp[base + w] < t->stamp[victim])
				victim = base + w;
		}
	}
	misses++;
	/* The walk: region-third, segment and page table entries (3 dependent loads). The entry read goes
	 * into the printed checksum, so the compiler cannot drop the walk when there is no IOTLB to fill. */
	uint64_t *e = pte(pfn << 12, false), v = e ? *e : 0;
	walk_refs += 3;
	checksum += v;
	if (t->sets && v) {
		t->key[victim] = pfn + 1;
		t->stamp[victim] = ++t->clock;
	}
}

static void invalidate(uint64_t first, uint64_t last)
{
	for (unsigned d = 0; d < ndevs; d++) {
		struct tlb *t = tlbs[devlist[d]];
		if (!t || !t->sets)
			continue;
		if (last - first < t->sets * WAYS) {
			for (uint64_t pfn = first;; pfn++) {
				uint64_t base = (pfn % t->sets) * WAYS;
				for (unsigned w = 0; w < WAYS; w++)
					if (t->key[base + w] == pfn + 1)
						t->key[base + w] = t->stamp[base + w] = 0;
				if (pfn == last)
					break;
			}
		} else {
			for (uint64_t i = 0; i < t->sets * WAYS; i++)
				if (t->key[i] && t->key[i] - 1 >= first && t->key[i] - 1 <= last)
					t->key[i] = t->stamp[i] = 0;
		}
	}
}

static void record(const unsigned char *p)
{
	unsigned kind = p[8];
	uint16_t dev = (uint16_t)iw_get_le(p + 10, 2);
	uint64_t a = iw_get_le(p + 16, 8), b = iw_get_le(p + 24, 8), c = iw_get_le(p + 32, 8);
	records++;
	if (decode_only) {
		checksum += iw_get_le(p, 8) ^ kind ^ dev ^ a ^ b ^ c; /* every field used */
		return;
	}
	switch (kind) {
	case 3: /* MAP */
		for (uint64_t off = 0; off < c; off += 4096) {
			uint64_t *e = pte(a + off, true);
			if (e)
				*e = ((b + off) >> 12) << 1 | 1;
		}
		break;
	case 4: /* UNMAP */
		for (uint64_t off = 0; off < c; off += 4096) {
			uint64_t *e = pte(a + off, false);
			if (e)
				*e = 0;
		}
		break;
	case 5: /* RPCIT */
		invalidate(a >> 12, (a + c - 1) >> 12);
		break;
	case 6: { /* DMA */
		uint64_t first = a >> 12, last = (a + c - 1) >> 12;
		for (uint64_t pfn = first; pfn <= last; pfn++)
			translate(dev, pfn);
		break;
	}
	default: break;
	}
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs("usage: iowalk-floor TRACE.bin[.zst] [--entries N]\n", stderr);
		return 2;
	}
	if (argc == 4 && strcmp(argv[2], "--entries") == 0)
		tlb_entries = strtoull(argv[3], NULL, 10);
	decode_only = argc == 3 && strcmp(argv[2], "--decode-only") == 0;
	unsigned version;
	if (floor_decode(argv[1], 1u << 1, NULL, &version, record))
		return 1;
	printf("floor: records=%" PRIu64 " translations=%" PRIu64 " iotlb_hits=%" PRIu64 " iotlb_misses=%" PRIu64
	       " walk_refs=%" PRIu64 " checksum=%" PRIx64 "\n",
	       records, translations, hits, misses, walk_refs, checksum);
	return 0;
}
