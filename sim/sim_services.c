/* sim_services: the architecture-neutral host steps strategies share: memslot search, pins, the pinned-memory gauge. */
#include "sim_impl.h"

#include "alloc.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void sim_cpu_refs(struct sim *s, enum comp c, const uint64_t *refs, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		sim_cpu_ref(s, c, refs[i]);
}

int sim_memslot_search(struct sim *s, uint64_t gfn)
{
	struct vm_probe p;
	int i = vm_memslot_search(s->c.vm, gfn, &p);
	sim_op(s, OP_MEMSLOT_SEARCHES, 1);
	sim_op(s, OP_MEMSLOT_PROBES, p.nrefs);
	if (p.cache_hit)
		sim_op(s, OP_MEMSLOT_CACHE_HITS, 1);
	sim_cpu_refs(s, COMP_MEMSLOT, p.refs, p.nrefs);
	return i;
}

/* The pinned-page gauge's time integral, brought up to time t. */
void pinned_until(struct sim *s, uint64_t t)
{
	if (t <= s->pinned_since)
		return;
	s->c.st.pinned_area += (unsigned __int128)s->pinned * (t - s->pinned_since);
	s->pinned_since = t;
}

/* The pinned-page gauge: its time integral, peak and current value, over the statistics window. */
static void pinned_change(struct sim *s, int64_t delta)
{
	pinned_until(s, s->now);
	s->pinned = (uint64_t)((int64_t)s->pinned + delta);
	if (s->pinned > s->c.st.pinned_peak)
		s->c.st.pinned_peak = s->pinned;
	s->c.st.pinned_end = s->pinned;
}

void sim_pin_page(struct sim *s, uint64_t head, bool large, enum iw_pin kind)
{
	const struct iw_config *c = s->c.cfg;
	sim_cpu_ref(s, COMP_PIN, sim_struct_page(head));
	if (kind == IW_PIN_GET) {
		/* try_grab_folio(): the head's refcount; folio_mark_accessed(): its referenced bit. */
		sim_charge(s, COMP_PIN, 2 * c->c_atomic);
	} else {
		/* try_grab_folio(FOLL_PIN): GUP_PIN_COUNTING_BIAS on the head, _pincount of a large folio;
		 * mm->pinned_vm; RLIMIT_MEMLOCK accounting (account_locked_vm() under mmap_lock). */
		sim_charge(s, COMP_PIN, (large ? 3 : 2) * c->c_atomic + c->c_mutex + c->c_call);
		sim_cpu_ref(s, COMP_PIN, SIM_MM_COUNTERS_HPA);
	}
	sim_op(s, OP_PINS, 1);
	pinned_change(s, 1);
}

void sim_unpin_page(struct sim *s, uint64_t head, bool large, enum iw_pin kind)
{
	const struct iw_config *c = s->c.cfg;
	sim_cpu_ref(s, COMP_UNPIN, sim_struct_page(head));
	if (kind == IW_PIN_GET) {
		/* kvm_release_pfn_dirty(): SetPageDirty + put_page. */
		sim_charge(s, COMP_UNPIN, c->c_call + 2 * c->c_atomic);
	} else {
		/* unpin_user_pages_dirty_lock(): the dirty bit under the folio lock, the bias (and _pincount)
		 * dropped; the memlock and pinned_vm accounting undone. */
		sim_charge(s, COMP_UNPIN, 2 * c->c_call + (large ? 4 : 3) * c->c_atomic + c->c_mutex);
		sim_cpu_ref(s, COMP_UNPIN, SIM_MM_COUNTERS_HPA);
	}
	sim_op(s, OP_UNPINS, 1);
	pinned_change(s, -1);
}

/* Up-front pinning of npages of guest RAM (a root or stage-2 domain): set-up, not a path. */
void pin_upfront(struct sim *s, uint64_t npages)
{
	s->c.st.setup_cycles += npages * s->c.cfg->c_setup_pin;
	s->c.st.setup_pinned_pages += npages;
	pinned_change(s, (int64_t)npages);
}
