/* convert_host: QEMU's own trace of its emulated VT-d (qemu-system-x86_64 -trace vtd_dmar_translate,
 * vtd_iotlb_page_hit, vtd_iotlb_page_update, vtd_inv_desc_iotlb_* ... -D FILE, QEMU 7.2's
 * hw/i386/trace-events), read as the device side of a guest capture: every translation an emulated device
 * asked for (its requester id, page, gpa), every IOTLB invalidation descriptor the emulated IOMMU
 * executed, in the order QEMU logged them, and the domain id each device's translations carried.
 *
 * The guest's intel_iommu:qi_submit IOTLB descriptors and the host's executed ones are the same sequence
 * (the host's starts earlier, at boot, and may go on after the guest's trace stops): host_log_align()
 * finds where, which places every host translation between two of the guest's invalidations. */
#ifndef IOWALK_TRACES_CONVERT_HOST_H
#define IOWALK_TRACES_CONVERT_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum host_inv_gran { HOST_INV_GLOBAL = 1, HOST_INV_DOMAIN = 2, HOST_INV_PAGE = 3 }; /* VT-d's IOTLB granularities */

/* One IOTLB invalidation: global, a domain's, or 2^am pages from addr of a domain's. */
struct host_inv {
	uint16_t did;
	uint8_t gran, am;
	uint64_t addr;
};

/* One translation: device bdf (bus << 8 | dev << 3 | fn), the page and its gpa (page_bytes: QEMU's mask
 * + 1), after `interval` of the log's invalidations; line: its line in the log. */
struct host_xl {
	uint64_t interval, page, gpa, page_bytes, line;
	uint16_t bdf;
};

#define HOST_MAX_TIES 64
struct host_log {
	struct host_inv *inv;
	uint64_t ninv;
	struct host_xl *xl;
	uint64_t nxl;
	uint64_t translations; /* vtd_dmar_translate lines */
	uint64_t collapsed;    /* of them, repeats of the one before (same device, page, gpa and interval) */
	uint64_t faults;       /* vtd_dmar_fault lines */
	struct {
		uint16_t did, bdf;
	} ties[HOST_MAX_TIES]; /* domain id -> device, from the translations' sid and domain */
	unsigned nties;
	uint64_t tie_conflicts; /* a domain id seen with a second device */
};

/* Reads a QEMU VT-d log from f (named path in messages); a translation that repeats the one before it
 * (same device, page, gpa, between the same invalidations) is counted in collapsed and dropped unless
 * keep_repeats. 0, or -1 with "PATH: line N: why" in err (nothing kept). */
int host_log_read(FILE *f, const char *path, bool keep_repeats, struct host_log *h, char *err, size_t errlen);
void host_log_free(struct host_log *h);
/* The first k at which the log's invalidations k .. k+n-1 equal the guest's g[0 .. n-1]; -1 if none. */
int64_t host_log_align(const struct host_log *h, const struct host_inv *g, uint64_t n);

#endif
