/* sim_xlate: one page's translation: the IOTLB, a walker slot, the strategy's walk, the check. */
#include "sim_impl.h"

#include "alloc.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* ---- DMA translations ---- */

static struct sim_iotlb *new_iotlb(const struct sim *s)
{
	struct sim_iotlb *t = iw_calloc(1, sizeof(*t));
	for (unsigned i = 0; t && i < s->nsizes; i++)
		if (cache_init(&t->size[i], s->size_entries[i], s->c.cfg->iotlb_ways) < 0) {
			iotlb_free(s, t);
			return NULL;
		}
	if (t && s->mrc_max && !(t->curve = mrc_curve_new(s->mrc_max, (unsigned)s->c.cfg->iotlb_ways, s->mrc_rate))) {
		iotlb_free(s, t);
		return NULL;
	}
	return t;
}

/* The IOTLB device dev looks up: its own, or the bridge's when caches are shared. */
struct sim_iotlb *iotlb_of(struct sim *s, uint16_t dev)
{
	struct sim_iotlb *c = s->iotlb[dev];
	if (c)
		return c;
	if (s->shared_caches)
		c = s->shared_iotlb ? s->shared_iotlb : (s->shared_iotlb = new_iotlb(s));
	else
		c = new_iotlb(s);
	if (!c)
		return NULL;
	s->iotlb[dev] = c;
	s->devs[s->ndevs++] = dev;
	return c;
}

/* The probes of an IOTLB's larger page sizes, after its 4 KiB structure missed (one each, in parallel
 * with it: no cycles of their own). A hit's payload in *v and its size's log2 in *shift. */
static bool iotlb_lookup_large(struct sim *s, const struct sim_fn *f, uint16_t dev, uint64_t addr, uint64_t *v, unsigned *shift)
{
	struct sim_iotlb *t = s->iotlb[dev];
	for (unsigned k = 1; k < s->nsizes; k++)
		if (sacache_lookup(&t->size[k], f->tag | addr >> s->size_shift[k], v)) {
			*shift = s->size_shift[k];
			return true;
		}
	return false;
}

/* Fills device dev's IOTLB with translation x of addr: in the structure of x's page size when the IOTLB
 * has one, else as the 4 KiB page of addr. */
static void iotlb_fill(struct sim *s, const struct sim_fn *f, uint16_t dev, uint64_t addr, const struct sim_xlate *x)
{
	struct sim_iotlb *t = s->iotlb[dev];
	for (unsigned k = s->nsizes; k-- > 1;)
		if (x->page_bytes == 1ull << s->size_shift[k]) {
			sacache_fill(&t->size[k], f->tag | addr >> s->size_shift[k], x->frame | (x->writable ? 1 : 0));
			return;
		}
	uint64_t page = (x->frame + (addr & (x->page_bytes - 1))) & ~0xfffull;
	sacache_fill(&t->size[0], f->tag | addr >> 12, page | (x->writable ? 1 : 0));
	if (t->curve)
		mrc_curve_fill(t->curve, f->tag | addr >> 12);
}

/* A design that learns of new mappings only from the guest's flushes (refresh on) faulted on a page the
 * guest mapped and never flushed: the trace's guest does not flush new mappings (s390 with the refresh bit
 * off; VT-d without caching mode), so this design cannot run it: it refuses the trace. */
static __attribute__((cold, noinline)) int refuse_unflushed(struct sim *s, uint64_t iova, uint64_t recno)
{
	sim_refuse(s);
	(void)recno; /* sim_fail() names the record */
	return sim_fail(s, "the device used IOVA 0x%" PRIx64 ", which the guest mapped but never flushed: "
			   "%s learns of a mapping only from the guest's flush, and this trace's guest does not flush new mappings "
			   "(a VT-d guest without caching mode, an s390 guest with the refresh bit off): it needs one that does "
			   "(trace gen --caching-mode on, a capture with caching-mode on)",
			iova, s->ops->name);
}

static ALWAYS_INLINE int finish_translation(struct sim *s, struct sim_fn *f, uint16_t dev, uint64_t iova, uint64_t addr,
					     bool write, bool unprot, const struct sim_xlate *x, uint64_t recno)
{
	count_translations(s, f, s->c.op_cycles, 1);
	if (x->fault != IW_FAULT_NONE) {
		s->c.st.faults[x->fault]++;
		f->st.faults++;
		if (s->refresh == IW_REFRESH_ALL && x->fault == s->fmt->fault_invalid && checker_mapped_unflushed(&f->ref, iova >> 12))
			return refuse_unflushed(s, iova, recno);
	}
	else if (unprot)
		s->c.st.ops[OP_UNPROTECTED_WRITES]++;
	if (s->check)
		return check_xlate(s, f, dev, iova, addr, write, unprot, x, recno);
	/* Asserting builds: nothing the device uses (IOTLB entry or walk) may disagree with the reference. */
	IW_INVARIANT(!IW_INVARIANTS_ON || !f->ref.full || xlate_allowed(s, f, iova, addr, write, unprot, x),
		     "%s: translation of iova 0x%" PRIx64 " (%s frame 0x%" PRIx64 ") not allowed by the reference map, record %" PRIu64,
		     s->ops->name, iova, iw_fault_name(s->fmt, x->fault), x->frame, recno);
	return 0;
}

/* The walk of translation p by function f's strategy in walker slot `slot`, its IOTLB lookup's cycles
 * (pre_cycles) charged already; was_queued: it waited for the slot. */
static ALWAYS_INLINE int walk_now(struct sim *s, struct sim_fn *f, const struct pending_walk *p, uint64_t pre_cycles,
				  bool was_queued, unsigned slot)
{
	s->c.op_cycles = pre_cycles;
	if (was_queued)
		s->queued_cycles -= pre_cycles;
	uint64_t waited = s->now - p->arrival; /* for a walker slot */
	sim_charge(s, COMP_QUEUE, waited);
	uint64_t before = s->c.op_cycles;
	struct sim_xlate x;
	s->ops->dma_walk(enter(s, f), p->addr, p->write, &x);
	if (x.fault == IW_FAULT_NONE && s->iotlb_fills)
		iotlb_fill(s, f, p->dev, p->addr, &x);
	uint64_t done = SIM_TIME_MAX;
	if (time_add(s, s->now, s->c.op_cycles - before, &done) < 0)
		return -1;
	struct walker *w = &s->walkers[slot];
	*w = (struct walker){.done = done, .seq = evq_reserve_seq(&s->q), .busy = true, .pushed = false};
	if (s->walkq_len && push_releases(s) < 0) /* translations still wait: releases are events */
		return -1;
	return finish_translation(s, f, p->dev, p->iova, p->addr, p->write, p->unprot, &x, p->recno);
}

int do_walk(struct sim *s, const struct pending_walk *p, uint64_t pre_cycles, bool was_queued, unsigned slot)
{
	return walk_now(s, fn_of(s, p->dev), p, pre_cycles, was_queued, slot);
}

int translate_page(struct sim *s, uint16_t dev, uint64_t iova, bool write, uint64_t recno, const uint64_t *bus)
{
	s->recno = recno;
	if (!s->iotlb[dev] && s->ndevs >= s->c.cfg->max_devices)
		return sim_fail(s, "DMA from more than %" PRIu64 " devices (each has its own IOTLB); raise run.max_devices",
				s->c.cfg->max_devices);
	struct sim_iotlb *t = iotlb_of(s, dev);
	if (!t)
		return sim_fail(s, "out of memory (IOTLB)");
	struct sim_fn *f = fn_of(s, dev);
	s->c.op_cycles = 0;
	uint64_t addr = iova;
	bool unprot = false;
	if (bus) {
		/* The bus address the driver handed the device when the DMA was issued (relaxed translation:
		 * gpa + window start, fixed at map time; a later IOVA unmap cannot change it). */
		if (*bus == NO_BUS_ADDR) {
			/* No bus address for it (an IOVA the guest had not mapped): nothing to translate. */
			struct sim_xlate x = {.fault = s->fmt->fault_invalid, .frame = 0, .page_bytes = 4096, .writable = false};
			return finish_translation(s, f, dev, iova, NO_BUS_ADDR, write, false, &x, s->recno);
		}
		addr = *bus & ~BUS_RO;
		unprot = write && (*bus & BUS_RO); /* relaxed translation: the guest's read-only mapping does not stop it */
	}
	sim_charge(s, COMP_IOTLB, s->c.cfg->iotlb_cycles);
	uint64_t v = 0;
	bool hit = sacache_lookup(&t->size[0], f->tag | addr >> 12, &v);
	if (t->curve)
		mrc_curve_lookup(t->curve, f->tag | addr >> 12);
	return translate_looked_up(s, f, dev, iova, addr, write, unprot, hit, v);
}

/* A translation by function f after its IOTLB lookup (charged; hit: its payload v): a hit's result, or
 * the walk now or queued for a walker slot. */
int translate_looked_up(struct sim *s, struct sim_fn *f, uint16_t dev, uint64_t iova, uint64_t addr, bool write,
			bool unprot, bool hit, uint64_t v)
{
	unsigned shift = 12;
	if (hit && s->mrc_max && s->iotlb[dev]->curve)
		mrc_curve_fill(s->iotlb[dev]->curve, f->tag | addr >> 12); /* found: the most recent now */
	if (!hit && s->nsizes > 1 && (hit = iotlb_lookup_large(s, f, dev, addr, &v, &shift)) && s->iotlb[dev]->curve)
		s->iotlb[dev]->large_hits++;
	if (hit) {
		s->c.st.ops[OP_IOTLB_HITS]++;
		uint64_t bytes = 1ull << shift;
		struct sim_xlate x = {.fault = IW_FAULT_NONE, .frame = v & ~(bytes - 1), .page_bytes = bytes, .writable = v & 1};
		if (write && !x.writable)
			x.fault = s->fmt->fault_protection;
		return finish_translation(s, f, dev, iova, addr, write, unprot, &x, s->recno);
	}
	s->c.st.ops[OP_IOTLB_MISSES]++;
	struct pending_walk p = {.arrival = s->now, .iova = iova, .addr = addr, .dev = dev, .write = write, .unprot = unprot,
				 .recno = s->recno};
	int slot = s->walkq_len == 0 ? free_walker(s) : -1;
	if (slot >= 0)
		return walk_now(s, f, &p, s->c.op_cycles, false, (unsigned)slot);
	/* All walker slots busy: queue; the IOTLB lookup's cycles travel with it. */
	if (s->walkq_len == s->walkq_cap &&
	    ring_grow(&s->walkq, sizeof(*s->walkq), &s->walkq_head, s->walkq_len, &s->walkq_cap, 64) < 0)
		return sim_fail(s, "out of memory (walk queue)");
	s->walkq[(s->walkq_head + s->walkq_len++) % s->walkq_cap] = p;
	s->queued_cycles += s->c.op_cycles;
	s->c.st.ops[OP_WALKS_QUEUED]++;
	return push_releases(s);
}
