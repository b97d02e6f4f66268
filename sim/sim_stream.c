/* sim_stream: DMA streams: pages translated in place, in turns with other streams, and in rounds of hits. */
#include "sim_impl.h"

#include "alloc.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* The ring of streams, twice as large (the order kept). */
static int streams_grow(struct sim *s)
{
	if (ring_grow(&s->streams, sizeof(*s->streams), &s->stream_head, s->stream_len, &s->stream_cap, 16) < 0)
		return sim_fail(s, "out of memory (DMA streams)");
	return 0;
}

/* Puts x in the ring after every stream due at or before its cycle (its sequence number is the
 * largest: it goes after every equal cycle); the ring has room. Its place (0: first). */
static inline uint64_t stream_insert(struct sim *s, const struct stream *x)
{
	uint64_t m = s->stream_cap - 1, i = s->stream_len;
	for (; i > 0 && s->streams[(s->stream_head + i - 1) & m].cycle > x->cycle; i--)
		s->streams[(s->stream_head + i) & m] = s->streams[(s->stream_head + i - 1) & m];
	s->streams[(s->stream_head + i) & m] = *x;
	s->stream_len++;
	return i;
}

/* Schedules the rest of a DMA (npages from page pfn, the first due at cycle): a sequence number is taken
 * as a pushed event's would be. */
static inline int stream_add(struct sim *s, uint64_t cycle, uint16_t dev, bool write, uint64_t pfn, uint64_t npages,
			     uint64_t recno, uint64_t *bus)
{
	if (s->stream_len == s->stream_cap && streams_grow(s) < 0)
		return -1;
	struct stream x = {.cycle = cycle, .seq = evq_reserve_seq(&s->q), .pfn = pfn, .npages = npages, .recno = recno,
			   .bus = bus, .dev = dev, .write = write};
	stream_insert(s, &x);
	return 0;
}

/* Page pfn of a DMA of function f, at s->now; c: the device's IOTLB where hits may be counted in runs
 * (stream_iotlb()), else NULL (the whole translation, which creates the IOTLB on first use). A hit with
 * nothing else to do (no bus address to compute, no check, no fault) is only counted in *run
 * (count_hits() adds the run later); each still looks the IOTLB up (its LRU order) in its turn. Asserting builds take the same path: their per-translation check
 * compares with the full reference map, which only --check keeps, and --check takes the slow path.
 * 0 (such a hit), 1 (translated in full) or -1 (the run stops). */
static inline int stream_page(struct sim *s, struct sim_fn *f, struct sacache *c, uint16_t dev, bool write, uint64_t pfn,
			      uint64_t recno, const uint64_t *bus, uint64_t *run)
{
	if (!c)
		return translate_page(s, dev, pfn << 12, write, recno, bus ? bus_of(bus, pfn) : NULL) < 0 ? -1 : 1;
	uint64_t v = 0;
	bool hit = sacache_lookup(c, f->tag | pfn, &v);
	if (hit && (!write || (v & 1))) {
		++*run;
		return 0;
	}
	count_hits(s, f, *run);
	*run = 0;
	s->recno = recno;
	s->c.op_cycles = 0;
	sim_charge(s, COMP_IOTLB, s->c.cfg->iotlb_cycles);
	return translate_looked_up(s, f, dev, pfn << 12, pfn << 12, write, false, hit, v) < 0 ? -1 : 1;
}

/* The IOTLB whose hits stream_page() may count in runs: the device's, once it exists, with no check and
 * no bus address to compute (sim.hits_fast). */
static inline struct sacache *stream_iotlb(const struct sim *s, uint16_t dev)
{
	return s->hits_fast ? iotlb_4k(s, dev) : NULL;
}

/* *tk = the time of page k of a DMA whose pages from start are gap apart (page k - 1 at prev), or the
 * run stops (-1) where that would pass SIM_TIME_MAX (npages: the pages streamed from start). */
static inline int stream_next_time(struct sim *s, uint64_t start, uint64_t prev, uint64_t gap, uint64_t k,
				   uint64_t npages, uint64_t *tk)
{
	if (gap <= SIM_TIME_MAX - prev) {
		*tk = prev + gap;
		return 0;
	}
	if (k > SIM_TIME_MAX / gap || time_add(s, start, k * gap, tk) < 0)
		return sim_fail(s, "simulated time would pass 2^63 cycles streaming a DMA of %" PRIu64 " pages", npages);
	return 0; /* not reached: start + k * gap > SIM_TIME_MAX */
}

/* A plain IOTLB hit of a page (present, and writable when the DMA writes) is taken: its line's LRU place
 * refreshed and the hit counted; anything else touches nothing (the page then goes the whole way, which
 * looks it up again and counts it). true when taken. */
static ALWAYS_INLINE bool take_plain_hit(struct sacache *c, uint64_t key, bool write)
{
	int64_t line = sacache_find(c, key);
	if (line < 0 || (write && !(c->vals[line] & 1)))
		return false;
	sacache_hit(c, line);
	return true;
}

/* A DMA streams its pages in place while they are due before this: the horizon (the next record), the
 * next event and the next stream, whichever is first. */
static inline uint64_t in_place_until(const struct sim *s)
{
	const struct ev *next = evq_peek(&s->q);
	const struct stream *ns = stream_first(s);
	uint64_t until = s->horizon;
	if (next && next->cycle < until)
		until = next->cycle;
	if (ns && ns->cycle < until)
		until = ns->cycle;
	return until;
}

/* A stretch of a DMA streaming in place from page k (page k - 1 was at s->now, a plain hit): the pages
 * due before anything else can happen (the horizon, the next event, the next stream; within SIM_TIME_MAX)
 * that are plain IOTLB hits are only looked up, counted in *run, and the time set once after them. The
 * pages taken; the first that is not a plain hit goes as any page. */
static inline uint64_t stretch_pages(struct sim *s, struct sim_fn *f, struct sacache *c, bool write, uint64_t pfn,
				     uint64_t k, uint64_t npages, uint64_t *run)
{
	const uint64_t gap = s->c.cfg->page_gap_cycles, k0 = k, until = in_place_until(s);
	const uint64_t lim = until < SIM_TIME_MAX + 1 ? until : SIM_TIME_MAX + 1;
	uint64_t t = s->now;
	const uint64_t tag = f->tag;
	for (; k < npages && t < lim && gap < lim - t; k++) {
		if (!take_plain_hit(c, tag | (pfn + k), write))
			break;
		t += gap;
	}
	if (k > k0) {
		*run += k - k0;
		set_now(s, t);
		s->pos_seq = UINT64_MAX; /* in place: every release at or before t is done */
	}
	return k - k0;
}

/* Translates npages consecutive pages of a DMA (its record's) from page number pfn, the first at s->now
 * and each next one device.page_gap_cycles later. A page is translated right away when nothing else can
 * happen before its time (no earlier event or DMA stream, no earlier record: the result is the same as
 * through the queue); otherwise the rest of the DMA is scheduled as a stream (stream_add()), which
 * stream_turns() takes up. After a plain hit, the pages that follow go in a stretch (stretch_pages()). */
int stream_pages(struct sim *s, uint16_t dev, bool write, uint64_t pfn, uint64_t npages, uint64_t recno,
			uint64_t *bus)
{
	uint64_t start = s->now, gap = s->c.cfg->page_gap_cycles, run = 0;
	struct sim_fn *f = fn_of(s, dev);
	struct sacache *c = stream_iotlb(s, dev);
	for (uint64_t k = 0; k < npages; k++) {
		if (k > 0) {
			uint64_t tk;
			if (stream_next_time(s, start, s->now, gap, k, npages, &tk) < 0)
				goto fail;
			if (tk >= in_place_until(s)) {
				count_hits(s, f, run);
				if (stream_add(s, tk, dev, write, pfn + k, npages - k, recno, bus) < 0)
					goto fail;
				return 0; /* the stream owns bus now */
			}
			set_now(s, tk);
			s->pos_seq = UINT64_MAX; /* in place: every release at or before tk is done */
		}
		int rc = stream_page(s, f, c, dev, write, pfn + k, recno, bus, &run);
		if (rc < 0)
			goto fail;
		if (rc > 0 && !c)
			c = stream_iotlb(s, dev);
		if (rc == 0 && k + 1 < npages) /* a plain hit: the pages after it may go in a stretch */
			k += stretch_pages(s, f, c, write, pfn, k + 1, npages, &run);
	}
	count_hits(s, f, run);
	iw_free(bus);
	return 0;
fail:
	iw_free(bus);
	return -1;
}

/* A strategy with dma_addr: the bus addresses of a DMA's npages pages from pfn, taken when its record is
 * applied (the driver hands the device its addresses when it issues the DMA), for its stream; with the
 * check, each must be the guest's mapping of its IOVA now. 0 and *busp (struct stream.bus), or -1. */
int bus_take(struct sim *s, uint16_t dev, uint64_t pfn, uint64_t npages, uint64_t **busp)
{
	*busp = NULL;
	if (npages > (SIZE_MAX / sizeof(uint64_t)) - 1)
		return sim_fail(s, "out of memory (bus addresses of a DMA of %" PRIu64 " pages)", npages);
	uint64_t *bus = iw_malloc((npages + 1) * sizeof(uint64_t));
	if (!bus)
		return sim_fail(s, "out of memory (bus addresses of a DMA of %" PRIu64 " pages)", npages);
	bus[0] = pfn;
	struct sim_fn *f = fn_of(s, dev);
	for (uint64_t k = 0; k < npages; k++) {
		uint64_t iova = (pfn + k) << 12, addr = 0;
		bool ro = false;
		bool have = s->ops->dma_addr(enter(s, f), iova, &addr, &ro);
		/* The bus address must be the guest's current mapping of iova (the reference's guest view). */
		uint64_t want = checker_guest(&f->ref, iova >> 12);
		if (s->check && (have ? !want || (want >> 2) << 12 != addr : want != 0)) {
			iw_free(bus);
			s->check_failed = true;
			return sim_fail(s, "check failed: strategy %s, DMA dev %u iova 0x%" PRIx64 ": bus address %s, the guest maps it to %s 0x%" PRIx64,
					s->ops->name, dev, iova, have ? "given" : "none", want ? "gpa" : "nothing", (want >> 2) << 12);
		}
		bus[1 + k] = have ? addr | (ro ? BUS_RO : 0) : NO_BUS_ADDR;
	}
	*busp = bus;
	return 0;
}

/* A turn of function sf: when the hits counted in *run so far were another function's (*f), they are
 * counted for it, and the run becomes sf's. */
static inline void turn_of(struct sim *s, struct sim_fn **f, struct sim_fn *sf, uint64_t *run)
{
	if (sf == *f)
		return;
	if (*f) {
		count_hits(s, *f, *run);
	}
	*run = 0;
	*f = sf;
}

/* Where the DMA streams take turns, state that lives across turns: the function whose hits are counted
 * in run, the device of the last turn and its function, and the pages the current stream streams in
 * place (from start, npages of them: the overflow message's; in_place: the next turn continues them). */
struct turns {
	uint64_t run, start, npages;
	struct sim_fn *f, *sf;
	uint32_t dev;
	struct sacache *c; /* dev's IOTLB (4 KiB), where hits are taken in rounds */
	bool in_place;
};

/* Rings of at most STRETCH_STREAMS streams are first looked over for a stretch of turns without checks. */
#define STRETCH_STREAMS 64

/* One pass of rounds over the ring as it stands (stream_rounds()): the ring's k streams from h, the
 * sequence number the first turn would reserve (base), the rounds and turns taken so far (stream i of
 * round r is next; roff = r gaps), the bounds of turns taken without a closer look (limit: the horizon
 * or the next event, whichever is first; t_safe: the last time whose next page is within SIM_TIME_MAX),
 * the time of the last turn taken, and whether a stream ended. */
struct round {
	struct stream *ring;
	uint64_t m, k, h, base, r, roff, i, limit, t_safe, now;
	uint64_t gap, horizon, ev_cycle, ev_seq; /* no next event: one at the end of time, after everything */
	bool ended, first;
};

/* The stretch of a pass without the checks: streams of one device, every turn of the rounds due before
 * the limit and at most t_safe, up to the first last page (turn e). Each of its turns is only the lookup
 * (the streams' next pages and directions copied to locals first); the first that is not a plain hit
 * stops it as it stops the careful turns. true when the pass is over (no careful turns follow). */
static bool rounds_stretch(struct sim *s, struct turns *tu, struct round *rd)
{
	const struct stream *ring = rd->ring;
	const uint64_t k = rd->k, h = rd->h, m = rd->m, gap = rd->gap;
	uint16_t d0 = ring[h].dev;
	uint64_t npmin = UINT64_MAX, pmin = 0, pfn[STRETCH_STREAMS];
	bool wr[STRETCH_STREAMS];
	for (uint64_t p = 0; p < k; p++) {
		const struct stream *sp = &ring[(h + p) & m];
		if (sp->dev != d0)
			return false;
		if (sp->npages < npmin) { /* the first of the fewest pages ends first */
			npmin = sp->npages;
			pmin = p;
		}
		pfn[p] = sp->pfn;
		wr[p] = sp->write;
	}
	uint64_t e = (npmin - 1) * k + pmin; /* its last turn (npages <= 2^52: no overflow) */
	if (d0 != tu->dev) {
		tu->dev = d0;
		tu->sf = fn_of(s, d0);
		tu->c = iotlb_4k(s, d0);
	}
	struct sacache *c = tu->c;
	if (!c)
		return false;
	/* The turns of the stretch: up to e when the rounds it spans (npmin) are all clear, the latest turn
	 * of the last of them due at tmax + (npmin - 1) gaps; else the clear rounds only. */
	uint64_t tmax = ring[(h + k - 1) & m].cycle, J = e + 1, span;
	if (__builtin_mul_overflow(npmin - 1, gap, &span) || span > rd->t_safe || tmax > rd->t_safe - span ||
	    tmax + span >= rd->limit) {
		uint64_t rl = tmax >= rd->limit ? 0 : gap ? (rd->limit - tmax - 1) / gap + 1 : UINT64_MAX;
		uint64_t rs = tmax > rd->t_safe ? 0 : gap ? (rd->t_safe - tmax) / gap + 1 : UINT64_MAX;
		uint64_t rounds = rl < rs ? rl : rs;
		if (rounds < npmin) /* rounds * k < J */
			J = rounds * k;
	}
	if (!J)
		return false;
	turn_of(s, &tu->f, tu->sf, &tu->run);
	const uint64_t tag = tu->f->tag;
	uint64_t j = 0, i = 0, r = 0, roff = 0;
	for (; j < J; j++) {
		if (!take_plain_hit(c, tag | (pfn[i] + r), wr[i]))
			break;
		if (++i == k) {
			i = 0;
			r++;
			roff += gap;
		}
	}
	tu->run += j;
	rd->i = i;
	rd->r = r;
	rd->roff = roff;
	if (j) {
		rd->first = false;
		rd->now = i ? ring[(h + i - 1) & m].cycle + roff : ring[(h + k - 1) & m].cycle + roff - gap;
		IW_INVARIANT(!IW_INVARIANTS_ON || (rd->now < rd->limit && rd->now <= rd->t_safe),
			     "DMA streams: a turn at cycle %" PRIu64 " taken without its checks (limit %" PRIu64 ")", rd->now,
			     rd->limit);
		if (j == e + 1) {
			rd->ended = true;
			return true;
		}
	}
	return j < J; /* a turn that is not a plain hit: the turn one by one takes it */
}

/* The careful turns of a pass, each checked against the horizon, the next event and SIM_TIME_MAX, until
 * one is not a plain hit or a stream ends. */
static void rounds_careful(struct sim *s, struct turns *tu, struct round *rd)
{
	for (;; rd->first = false) {
		const struct stream *st = &rd->ring[(rd->h + rd->i) & rd->m];
		uint64_t t = st->cycle + rd->roff;
		if (t >= rd->limit && !rd->first) {
			uint64_t seq = rd->r ? rd->base + (rd->r - 1) * rd->k + rd->i : st->seq;
			if (t >= rd->horizon || t > rd->ev_cycle || (t == rd->ev_cycle && seq > rd->ev_seq))
				break;
		}
		bool last = st->npages == rd->r + 1;
		if (t > rd->t_safe && !last)
			break; /* its next page would pass SIM_TIME_MAX: the turn one by one says so */
		if (st->dev != tu->dev) {
			tu->dev = st->dev;
			tu->sf = fn_of(s, st->dev);
			tu->c = iotlb_4k(s, st->dev);
		}
		if (!tu->c)
			break;
		turn_of(s, &tu->f, tu->sf, &tu->run);
		if (!take_plain_hit(tu->c, tu->f->tag | (st->pfn + rd->r), st->write))
			break;
		tu->run++;
		rd->now = t;
		if (++rd->i == rd->k) {
			rd->i = 0;
			rd->r++;
			rd->roff += rd->gap; /* at most t + gap: within SIM_TIME_MAX (checked above) */
		}
		if (last) { /* the stream ends: the ring brought up to date without it */
			rd->ended = true;
			break;
		}
	}
}

/* Brings the ring up to date after a pass: stream p has had r + (p < i) turns (the last of them its last
 * page if it ended), and the i first go last (ring order after the turns one by one). The turns in
 * *turns; 0, or -1 when the ring cannot grow. */
static int rounds_commit(struct sim *s, struct turns *tu, struct round *rd, uint64_t *turns)
{
	uint64_t r = rd->r, i = rd->i, k = rd->k, m = rd->m, h = rd->h;
	struct stream *ring = rd->ring;
	*turns = r * k + i;
	if (!*turns)
		return 0;
	tu->in_place = k == 1 && !rd->ended; /* one stream: its next turn continues its pages in place */
	if (rd->ended && i == 0) { /* the one that ended closed a round: it was the last of the ring */
		r--;
		i = k;
	}
	for (uint64_t p = 0; p < k; p++) {
		struct stream *st = &ring[(h + p) & m];
		uint64_t d = r + (p < i);
		if (!d || (rd->ended && p == i - 1))
			continue;
		st->cycle += d * rd->gap; /* its last turn's cycle + gap: within SIM_TIME_MAX (checked) */
		st->pfn += d;
		st->npages -= d;
		st->seq = rd->base + (d - 1) * k + p;
	}
	s->q.next_seq = rd->base + *turns - rd->ended;
	if (i < k) {
		/* Rotate by i: the first i go after the last (room made first: the ring has k + i slots). */
		while (s->stream_cap < k + i) {
			if (streams_grow(s) < 0)
				return -1;
			m = s->stream_cap - 1;
			h = s->stream_head;
			ring = s->streams;
		}
		for (uint64_t p = 0; p < i; p++)
			ring[(h + k + p) & m] = ring[(h + p) & m];
		s->stream_head = (h + i) & m;
	}
	if (rd->ended)
		s->stream_len--; /* it is the ring's last now */
	return 0;
}

/* Turns that are IOTLB hits needing nothing else (sim.hits_fast), taken round by round without moving a
 * stream after each: with one page gap for every stream, each stream is due within a gap of the ring's
 * first (a stream's next page is a gap after its last, which was at or before now), so the stream just
 * handled goes last and the ring turns round. The k streams' turns are then turn j = r * k + i: stream i
 * of the ring at its cycle + r gaps, with the sequence number the one-by-one turns would have reserved
 * for it (base + (r - 1) * k + i; its own from r = 0). The ring is brought up to date (cycles, pages,
 * sequence numbers, order) when a stream ends or the rounds stop: before the first turn that is not
 * such a hit (not looked up: the turn one by one does it), due at or after the horizon or not before the
 * next event, or whose next page would pass SIM_TIME_MAX. first: the ring's first is due without a
 * check (advance() found it). The turns taken (0: none, the ring as it was; UINT64_MAX: out of memory). */
static uint64_t stream_rounds(struct sim *s, struct turns *tu, const struct ev *next, bool first)
{
	uint64_t done = 0, now = s->now;
	if (tu->dev != UINT32_MAX)
		tu->c = iotlb_4k(s, (uint16_t)tu->dev);
	for (;;) {
		struct round rd = {.ring = s->streams, .m = s->stream_cap - 1, .k = s->stream_len, .h = s->stream_head,
				   .base = s->q.next_seq, .gap = s->c.cfg->page_gap_cycles, .horizon = s->horizon,
				   .ev_cycle = next ? next->cycle : UINT64_MAX, .ev_seq = next ? next->seq : UINT64_MAX,
				   .first = first};
		if (!rd.k || rd.ring[(rd.h + rd.k - 1) & rd.m].cycle - rd.ring[rd.h].cycle > rd.gap)
			break; /* not a ring that turns round (never seen; the turns one by one handle it) */
		if (rd.k == 1 && !tu->in_place) { /* its turns will continue in place from here (if it has any) */
			tu->start = rd.ring[rd.h].cycle;
			tu->npages = rd.ring[rd.h].npages;
		}
		rd.limit = rd.horizon < rd.ev_cycle ? rd.horizon : rd.ev_cycle;
		rd.t_safe = SIM_TIME_MAX - rd.gap;
		if (!(rd.k <= STRETCH_STREAMS && rounds_stretch(s, tu, &rd)))
			rounds_careful(s, tu, &rd);
		uint64_t turns;
		if (rounds_commit(s, tu, &rd, &turns) < 0)
			return UINT64_MAX;
		if (!turns)
			break;
		done += turns;
		now = rd.now;
		if (!rd.ended)
			break;
		first = false;
	}
	if (done)
		set_now(s, now);
	return done;
}

/* The DMA streams take turns, page by page, from the ring's first (which advance() found due, before the
 * next event): after each page a stream's rest goes back in the ring with a new sequence number (what a
 * pushed event would get then), and the ring's first is handled next while it is due before the
 * horizon and before the next event. A stream that comes first again right after its page continues in
 * place (as stream_pages() would: every release at or before its time is done); one taken in turn has
 * its sequence number as its place. Hits of one function are counted in one run. */
int stream_turns(struct sim *s)
{
	uint64_t gap = s->c.cfg->page_gap_cycles;
	struct turns tu = {.dev = UINT32_MAX};
	const struct ev *next = evq_peek(&s->q);
	bool rounds = s->hits_fast; /* whether the next turn may start rounds */
	for (bool first = true;; first = false) {
		struct stream *st = &s->streams[s->stream_head];
		if (!first && (!s->stream_len || st->cycle >= s->horizon || !stream_before_ev(st, next)))
			break;
		if (rounds) {
			uint64_t n = stream_rounds(s, &tu, next, first);
			if (n == UINT64_MAX)
				return -1;
			if (n) { /* they stopped before a turn they could not take: it goes one by one */
				rounds = false;
				continue;
			}
		}
		rounds = s->hits_fast;
		set_now(s, st->cycle);
		if (tu.in_place) {
			s->pos_seq = UINT64_MAX;
		} else { /* a new turn: the pages it streams in place count from here */
			s->pos_seq = st->seq;
			tu.start = st->cycle;
			tu.npages = st->npages;
		}
		if (st->dev != tu.dev) {
			tu.dev = st->dev;
			tu.sf = fn_of(s, st->dev);
		}
		turn_of(s, &tu.f, tu.sf, &tu.run);
		int rc = stream_page(s, tu.f, stream_iotlb(s, st->dev), st->dev, st->write, st->pfn, st->recno, st->bus, &tu.run);
		if (rc < 0)
			return -1;
		if (rc > 0) /* translated in full: events may have come or gone */
			next = evq_peek(&s->q);
		struct stream x = *st;
		s->stream_head = (s->stream_head + 1) & (s->stream_cap - 1);
		s->stream_len--;
		tu.in_place = false;
		if (x.npages == 1) {
			iw_free(x.bus);
			continue;
		}
		if (stream_next_time(s, tu.start, x.cycle, gap, tu.npages - x.npages + 1, tu.npages, &x.cycle) < 0)
			return -1;
		x.seq = evq_reserve_seq(&s->q);
		x.pfn++;
		x.npages--;
		tu.in_place = stream_insert(s, &x) == 0;
	}
	count_hits(s, tu.f, tu.run);
	return 0;
}
