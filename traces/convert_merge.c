/* convert_merge: the translations of QEMU's VT-d log placed among a guest capture's events as its DMA
 * records (docs/capture.md, "The device's own accesses"). */
#include "convert_impl.h"

#include "alloc.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* The function of a host device (bus << 8 | dev << 3 | fn): its number among those kept, or -1. */
static int host_fn_of(const struct conv *c, uint16_t bdf)
{
	char name[32];
	snprintf(name, sizeof(name), "0000:%02x:%02x.%x", bdf >> 8, (bdf >> 3) & 31, bdf & 7);
	if (c->multi)
		return conv_fn_index(c, name);
	if (c->tracepoint_only)
		return 0; /* no guest event names a device: every one is the one function's */
	return strcmp(name, c->st->function) == 0 ? 0 : -1;
}

/* Translation i as a DMA record when the guest maps its page to its gpa now: true when placed (or
 * dropped: another device's), false when it must wait. -1 on a write error. */
static int host_place(struct conv *c, uint64_t i, uint64_t t)
{
	struct host_merge *hm = c->hm;
	const struct host_xl *x = &hm->hl.xl[i];
	int fn = host_fn_of(c, x->bdf);
	if (fn < 0) {
		c->st->host_other_device++;
		return 1;
	}
	uint64_t v;
	if (!u64map_get(&hm->cur, (uint64_t)fn << 52 | x->page >> 12, &v) || (v - 1) >> 1 != x->gpa >> 12)
		return 0;
	uint16_t keep = c->fn;
	c->fn = (uint16_t)fn;
	/* The access: one page; the device writes through a writable mapping (its direction is not in the
	 * log), reads through a read-only one. */
	int rc = conv_emit(c, trace_rec_dma(t, 1, x->page, 4096, ((v - 1) & 1) != 0));
	c->fn = keep;
	if (rc < 0)
		return -1;
	c->st->host_placed++;
	c->st->dmas++;
	return 1;
}

static void host_disagree(struct conv *c, uint64_t i)
{
	struct convert_stats *st = c->st;
	if (st->host_disagree < 8)
		st->host_disagree_lines[st->host_disagree] = c->hm->hl.xl[i].line;
	st->host_disagree++;
}

/* Loads the translations of the current interval (after gi of the guest's invalidations): each placed at
 * once when the guest maps its page to its gpa now, else waiting for the map that does. */
int merge_load(struct conv *c)
{
	struct host_merge *hm = c->hm;
	if (!c->setup_done)
		return 0; /* loaded with the set-up records */
	hm->loaded = true;
	uint64_t iv = hm->k + hm->gi;
	for (; hm->next < hm->hl.nxl && hm->hl.xl[hm->next].interval <= iv; hm->next++) {
		uint64_t i = hm->next, xiv = hm->hl.xl[i].interval;
		if (xiv < hm->k) {
			c->st->host_before++;
			continue;
		}
		if (xiv < iv) {
			host_disagree(c, i); /* an interval that passed before the set-up */
			continue;
		}
		int rc = host_place(c, i, c->last_time);
		if (rc < 0)
			return -1;
		if (rc == 0) {
			if (iw_grow(&hm->pend, &hm->pend_cap, hm->npend, sizeof(*hm->pend), 1024) < 0)
				return conv_cfail(c, "out of memory (host translations)");
			hm->pend[hm->npend++] = i;
		}
	}
	/* Chained per page, in the log's order (built backwards, each at its chain's head); what waits from
	 * the interval before comes first. */
	for (uint64_t j = hm->npend; j-- > 0;) {
		uint64_t i = hm->pend[j], h = 0;
		const struct host_xl *x = &hm->hl.xl[i];
		int fn = host_fn_of(c, x->bdf);
		uint64_t key = (uint64_t)fn << 52 | x->page >> 12;
		u64map_get(&hm->head, key, &h);
		hm->chain[i] = h;
		if (u64map_put(&hm->head, key, i + 1) < 0)
			return conv_cfail(c, "out of memory (host translations)");
	}
	return 0;
}

/* Closes the current interval. A translation the guest's mappings never matched in it waits one more:
 * Linux traces qi_submit before it writes the queue's tail register (qi_submit_sync(),
 * drivers/iommu/intel/dmar.c), so on another vCPU a map and the device's use of it can come between the
 * traced descriptor and the one QEMU executes. One that matches in neither disagrees. */
int merge_close(struct conv *c)
{
	struct host_merge *hm = c->hm;
	uint64_t keep = 0;
	for (uint64_t j = 0; j < hm->npend; j++) {
		uint64_t i = hm->pend[j];
		if (hm->done[i])
			continue;
		if (hm->carried[i]) {
			host_disagree(c, i);
			continue;
		}
		hm->carried[i] = true;
		hm->pend[keep++] = i;
	}
	hm->npend = keep;
	u64map_destroy(&hm->head); /* the chains are built again, with what waits on */
	return u64map_init(&hm->head, 1024) < 0 ? conv_cfail(c, "out of memory (host translations)") : 0;
}

/* After a MAP or UNMAP record r: the guest's mappings now, and the waiting translations a MAP places. */
int merge_mapped(struct conv *c, const struct trace_rec *r)
{
	struct host_merge *hm = c->hm;
	uint64_t fn = c->multi || c->v3 ? r->dev : 0, n = r->c >> 12;
	if (n > IC_MAX_PAGES || hm->cur.len + n > IC_MAX_PAGES)
		return conv_cfail(c, "merging the host log: more than %llu pages mapped", (unsigned long long)IC_MAX_PAGES);
	for (uint64_t k = 0; k < n; k++) {
		uint64_t key = fn << 52 | ((r->a >> 12) + k), h;
		if (r->kind == TRACE_UNMAP) {
			u64map_del(&hm->cur, key);
			continue;
		}
		if (u64map_put(&hm->cur, key, (((r->b >> 12) + k) << 1 | (r->flags == TRACE_PROT_RW)) + 1) < 0)
			return conv_cfail(c, "out of memory (guest mappings)");
		for (bool got = u64map_get(&hm->head, key, &h); got && h; h = hm->chain[h - 1]) {
			uint64_t i = h - 1;
			if (hm->done[i])
				continue;
			int rc = host_place(c, i, r->time_cycles);
			if (rc < 0)
				return -1;
			hm->done[i] = rc > 0;
			c->st->host_late += rc > 0 && hm->carried[i];
		}
	}
	return 0;
}

/* The guest's IOTLB invalidations, in order (f rewound after). */
static int scan_guest_qi(FILE *f, struct host_inv **g, uint64_t *n)
{
	char buf[LINE_MAX_BYTES];
	uint64_t cap = 0;
	*g = NULL;
	*n = 0;
	rewind(f);
	int rc = 0;
	while (rc == 0 && fgets(buf, sizeof(buf), f)) {
		const char *p = strstr(buf, "qi_submit: ");
		struct host_inv inv;
		bool leaf;
		if (buf[strspn(buf, " \t")] == '#' || !p || conv_qi_decode(p + strlen("qi_submit: "), &inv, &leaf) != 1)
			continue;
		if (iw_grow(g, &cap, *n, sizeof(**g), 1024) < 0)
			rc = -1;
		else
			(*g)[(*n)++] = inv;
	}
	rewind(f);
	return rc;
}

/* Reads the host log (zstd-compressed or not) and finds the guest's invalidations in it. 0, or -1 with
 * the reason. */
int merge_open(struct conv *c, FILE *f, const char *path)
{
	struct host_merge *hm = iw_calloc(1, sizeof(*hm));
	if (!hm)
		return conv_cfail(c, "out of memory");
	c->hm = hm;
	if (u64map_init(&hm->head, 1024) < 0 || u64map_init(&hm->cur, 1024) < 0)
		return conv_cfail(c, "out of memory");
	FILE *hf = conv_open_capture(path, c->err, c->errlen);
	if (!hf)
		return -1;
	int rc = host_log_read(hf, path, c->o->host_keep_repeats, &hm->hl, c->err, c->errlen);
	fclose(hf);
	if (rc < 0)
		return -1;
	struct host_inv *g;
	uint64_t n;
	if (scan_guest_qi(f, &g, &n) < 0)
		return conv_cfail(c, "out of memory (the guest's invalidations)");
	int64_t k = host_log_align(&hm->hl, g, n);
	iw_free(g);
	struct convert_stats *st = c->st;
	st->host_translations = hm->hl.translations;
	st->host_collapsed = hm->hl.collapsed;
	st->host_faults = hm->hl.faults;
	st->host_invals = hm->hl.ninv;
	st->guest_invals = n;
	if (n == 0)
		return conv_cfail(c, "%s: the capture has no IOTLB invalidation (intel_iommu:qi_submit) to place the host's translations by", c->in);
	if (k < 0)
		return conv_cfail(c, "%s: its %" PRIu64 " IOTLB invalidations are not, in order, among the %" PRIu64 " the host log %s executed"
			    " (not the same run?)", c->in, n, hm->hl.ninv, path);
	hm->k = (uint64_t)k;
	st->host_aligned_at = hm->k;
	hm->chain = iw_calloc(hm->hl.nxl, sizeof(*hm->chain));
	hm->done = iw_calloc(hm->hl.nxl, sizeof(*hm->done));
	hm->carried = iw_calloc(hm->hl.nxl, sizeof(*hm->carried));
	if (!hm->chain || !hm->done || !hm->carried)
		return conv_cfail(c, "out of memory (host translations)");
	/* Each domain id is its device's, as the log's translations say (before any other tie). */
	for (unsigned i = 0; i < hm->hl.nties; i++) {
		uint16_t bdf = hm->hl.ties[i].bdf;
		char name[32];
		snprintf(name, sizeof(name), "0000:%02x:%02x.%x", bdf >> 8, (bdf >> 3) & 31, bdf & 7);
		conv_learn_fh(c, (uint64_t)hm->hl.ties[i].did + 1, name);
	}
	return 0;
}

/* After the capture's last event: the last interval's translations that never matched, and those the
 * log has after it (the guest's trace had stopped). */
void merge_finish(struct conv *c)
{
	struct host_merge *hm = c->hm;
	for (uint64_t j = 0; j < hm->npend; j++) {
		uint64_t i = hm->pend[j];
		if (hm->done[i])
			continue;
		if (hm->carried[i])
			host_disagree(c, i); /* its interval closed before the last one */
		else
			c->st->host_after++;
	}
	hm->npend = 0;
	c->st->host_after += hm->hl.nxl - hm->next;
}

void merge_free(struct conv *c)
{
	struct host_merge *hm = c->hm;
	if (!hm)
		return;
	host_log_free(&hm->hl);
	u64map_destroy(&hm->head);
	u64map_destroy(&hm->cur);
	iw_free(hm->pend);
	iw_free(hm->chain);
	iw_free(hm->done);
	iw_free(hm->carried);
	iw_free(hm);
	c->hm = NULL;
}
