/* mrc: one-pass hits of a fully associative LRU cache at every size (see mrc.h). */
#include "mrc.h"

#include "alloc.h"

#include <string.h>

/* ---- the Fenwick tree of markers (live keys and holes) by time ---- */

static void fen_add(struct mrc *m, uint64_t t, int64_t d)
{
	for (; t <= m->cap; t += t & (~t + 1))
		m->fen[t] += (uint64_t)d;
}

/* Markers at times 1..t. */
static uint64_t fen_prefix(const struct mrc *m, uint64_t t)
{
	uint64_t s = 0;
	for (; t > 0; t -= t & (~t + 1))
		s += m->fen[t];
	return s;
}

/* ---- the holes, a max-heap of times ---- */

static void heap_push(struct mrc *m, uint64_t t)
{
	if (iw_grow(&m->holes, &m->holes_cap, m->nholes, sizeof(*m->holes), 64) < 0) {
		m->failed = true;
		return;
	}
	uint64_t i = m->nholes++;
	while (i > 0 && m->holes[(i - 1) / 2] < t) {
		m->holes[i] = m->holes[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	m->holes[i] = t;
}

static uint64_t heap_pop(struct mrc *m)
{
	uint64_t top = m->holes[0], last = m->holes[--m->nholes], i = 0;
	for (;;) {
		uint64_t c = 2 * i + 1;
		if (c >= m->nholes)
			break;
		if (c + 1 < m->nholes && m->holes[c + 1] > m->holes[c])
			c++;
		if (m->holes[c] <= last)
			break;
		m->holes[i] = m->holes[c];
		i = c;
	}
	if (m->nholes)
		m->holes[i] = last;
	return top;
}

/* ---- SHARDS sampling ---- */

static inline uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Whether key is tracked (always without sampling). */
static inline bool sampled(const struct mrc *m, uint64_t key)
{
	return !m->sample_t || (mix(key) & ((1ull << 24) - 1)) < m->sample_t;
}

void mrc_sample(struct mrc *m, double rate)
{
	uint64_t t = (uint64_t)(rate * (double)(1ull << 24));
	m->sample_t = rate >= 1.0 ? 0 : t ? t : 1;
}

/* ---- the stack ---- */

int mrc_init(struct mrc *m, uint64_t max_entries)
{
	memset(m, 0, sizeof(*m));
	m->max_entries = max_entries;
	m->cap = 4 * max_entries + 1024; /* compactions every 3 x max_entries references at least */
	m->hits_at = iw_calloc(max_entries + 1, sizeof(*m->hits_at));
	m->fen = iw_calloc(m->cap + 1, sizeof(*m->fen));
	if (!m->hits_at || !m->fen || u64map_init(&m->key_time, 2 * max_entries) < 0 || u64map_init(&m->time_key, 2 * max_entries) < 0) {
		mrc_destroy(m);
		return -1;
	}
	return 0;
}

void mrc_destroy(struct mrc *m)
{
	iw_free(m->hits_at);
	iw_free(m->fen);
	iw_free(m->holes);
	u64map_destroy(&m->key_time);
	u64map_destroy(&m->time_key);
	memset(m, 0, sizeof(*m));
}

/* Renumbers the markers 1..n in their order, keeping only the max_entries most recent (a deeper one
 * misses at every size counted, and dropping it moves no marker above it), when times run out. */
static void compact(struct mrc *m)
{
	uint64_t n = 0, *keep = iw_malloc((m->markers + 1) * sizeof(*keep));
	struct u64map kt, tk;
	if (!keep || u64map_init(&kt, 2 * m->max_entries) < 0) {
		iw_free(keep);
		m->failed = true;
		return;
	}
	if (u64map_init(&tk, 2 * m->max_entries) < 0) {
		u64map_destroy(&kt);
		iw_free(keep);
		m->failed = true;
		return;
	}
	for (uint64_t t = 1; t <= m->now; t++) {
		uint64_t v;
		if (u64map_get(&m->time_key, t, &v))
			keep[n++] = v; /* key + 1, or 0 for a hole, in time order */
	}
	uint64_t first = n > m->max_entries ? n - m->max_entries : 0;
	memset(m->fen, 0, (m->cap + 1) * sizeof(*m->fen));
	m->nholes = 0;
	m->markers = 0;
	m->now = 0;
	for (uint64_t i = first; i < n && !m->failed; i++) {
		uint64_t t = ++m->now;
		if (u64map_put(&tk, t, keep[i]) < 0 || (keep[i] && u64map_put(&kt, keep[i] - 1, t) < 0)) {
			m->failed = true;
			break;
		}
		if (!keep[i])
			heap_push(m, t);
		fen_add(m, t, 1);
		m->markers++;
	}
	/* A pending lookup's key may have been dropped (it then fills as absent). */
	u64map_destroy(&m->key_time);
	u64map_destroy(&m->time_key);
	m->key_time = kt;
	m->time_key = tk;
	iw_free(keep);
}

/* A new time (compacting when they run out). */
static uint64_t next_time(struct mrc *m)
{
	if (m->now == m->cap)
		compact(m);
	return ++m->now;
}

/* key becomes the most recent: a referenced entry moves to the top and the topmost hole above it takes
 * its place; a new one consumes the topmost hole (the empty slot it fills). */
static void access(struct mrc *m, uint64_t key)
{
	uint64_t t = next_time(m), tk;
	if (m->failed)
		return;
	bool present = u64map_get(&m->key_time, key, &tk);
	if (present && m->nholes && m->holes[0] > tk) {
		uint64_t h = heap_pop(m);
		u64map_del(&m->time_key, h);
		fen_add(m, h, -1);
		m->markers--;
		if (u64map_put(&m->time_key, tk, 0) < 0) /* the hole now where the entry was */
			m->failed = true;
		heap_push(m, tk);
	} else if (present) {
		u64map_del(&m->time_key, tk);
		fen_add(m, tk, -1);
		m->markers--;
	} else if (m->nholes) {
		uint64_t h = heap_pop(m);
		u64map_del(&m->time_key, h);
		fen_add(m, h, -1);
		m->markers--;
	}
	if (u64map_put(&m->key_time, key, t) < 0 || u64map_put(&m->time_key, t, key + 1) < 0)
		m->failed = true;
	fen_add(m, t, 1);
	m->markers++;
}

/* The lookup waiting for its fill ends without one. */
static void end_pending(struct mrc *m)
{
	if (m->pending && m->pend_depth)
		m->unpaired++;
	m->pending = false;
}

void mrc_lookup(struct mrc *m, uint64_t key)
{
	if (m->failed)
		return;
	end_pending(m);
	m->references++;
	if (!sampled(m, key))
		return;
	m->sampled_refs++;
	uint64_t tk, d = 0;
	if (u64map_get(&m->key_time, key, &tk)) {
		d = m->markers - fen_prefix(m, tk - 1);
		if (d <= m->max_entries)
			m->hits_at[d]++;
	}
	m->pending = true;
	m->pend_key = key;
	m->pend_depth = d;
}

void mrc_fill(struct mrc *m, uint64_t key)
{
	if (m->failed || !sampled(m, key))
		return;
	if (m->pending && m->pend_key == key)
		m->pending = false;
	else
		m->late_fills++;
	access(m, key);
}

void mrc_invalidate(struct mrc *m, uint64_t key)
{
	uint64_t tk;
	if (m->failed || !sampled(m, key) || !u64map_get(&m->key_time, key, &tk))
		return;
	u64map_del(&m->key_time, key);
	if (u64map_put(&m->time_key, tk, 0) < 0)
		m->failed = true;
	heap_push(m, tk);
}

void mrc_invalidate_range(struct mrc *m, uint64_t first, uint64_t last)
{
	if (m->failed)
		return;
	if (last - first < m->markers) {
		for (uint64_t k = first;; k++) {
			mrc_invalidate(m, k);
			if (k == last)
				break;
		}
		return;
	}
	/* A wide range: the live keys, in time order. */
	for (uint64_t t = 1; t <= m->now; t++) {
		uint64_t v;
		if (u64map_get(&m->time_key, t, &v) && v && v - 1 >= first && v - 1 <= last)
			mrc_invalidate(m, v - 1);
	}
}

void mrc_invalidate_all(struct mrc *m) { mrc_invalidate_range(m, 0, UINT64_MAX - 1); }

uint64_t mrc_hits(const struct mrc *m, uint64_t entries)
{
	uint64_t h = 0;
	if (!m->sample_t) {
		for (uint64_t d = 1; d <= entries && d <= m->max_entries; d++)
			h += m->hits_at[d];
		return h;
	}
	/* A sampled distance d stands for d / rate; the sampled references' hit ratio for all of them
	 * (normalized by the references the sample holds, not by the rate: a hot key in or out of the
	 * sample then moves the ratio, not the count). Below 1 / rate entries the sample cannot tell. */
	double rate = (double)m->sample_t / (double)(1ull << 24), lim = (double)entries * rate;
	for (uint64_t d = 1; (double)d <= lim && d <= m->max_entries; d++)
		h += m->hits_at[d];
	return m->sampled_refs ? (uint64_t)((double)h * (double)m->references / (double)m->sampled_refs + 0.5) : 0;
}

/* ---- the curves of one structure ---- */

int mrc_curve_init(struct mrc_curve *c, uint64_t max_entries, unsigned ways)
{
	memset(c, 0, sizeof(*c));
	c->ways[c->nways++] = 1;
	c->ways[c->nways++] = 4;
	if (ways != 1 && ways != 4 && ways > 0)
		c->ways[c->nways++] = ways;
	if (mrc_init(&c->full, max_entries) < 0)
		return -1;
	for (uint64_t n = 1; n <= max_entries && c->nsizes < MRC_MAX_SIZES; n *= 2)
		c->size[c->nsizes++] = n;
	for (unsigned w = 0; w < c->nways; w++)
		for (unsigned i = 0; i < c->nsizes; i++)
			if (sacache_init(&c->sa[w][i], c->size[i], (uint32_t)(c->size[i] < c->ways[w] ? c->size[i] : c->ways[w])) < 0) {
				mrc_curve_destroy(c);
				return -1;
			}
	return 0;
}

void mrc_curve_destroy(struct mrc_curve *c)
{
	mrc_destroy(&c->full);
	for (unsigned w = 0; w < MRC_WAYS_SETS; w++) /* (every slot: a partial init leaves zeroed ones) */
		for (unsigned i = 0; i < MRC_MAX_SIZES; i++)
			sacache_destroy(&c->sa[w][i]);
	memset(c, 0, sizeof(*c));
}

struct mrc_curve *mrc_curve_new(uint64_t max_entries, unsigned ways, double rate)
{
	struct mrc_curve *c = iw_malloc(sizeof(*c));
	if (!c || mrc_curve_init(c, max_entries, ways) < 0) {
		iw_free(c);
		return NULL;
	}
	if (rate < 1.0)
		mrc_sample(&c->full, rate);
	return c;
}

void mrc_curve_free(struct mrc_curve *c)
{
	if (!c)
		return;
	mrc_curve_destroy(c);
	iw_free(c);
}

void mrc_curve_lookup(struct mrc_curve *c, uint64_t key)
{
	mrc_lookup(&c->full, key);
	for (unsigned w = 0; w < c->nways; w++)
		for (unsigned i = 0; i < c->nsizes; i++) {
			bool hit = sacache_lookup(&c->sa[w][i], key, NULL);
			c->sa_hits[w][i] += hit;
			c->sa_missed[w][i] = !hit;
		}
	c->pending = true;
	c->pend_key = key;
}

void mrc_curve_fill(struct mrc_curve *c, uint64_t key)
{
	mrc_fill(&c->full, key);
	bool paired = c->pending && c->pend_key == key;
	for (unsigned w = 0; w < c->nways; w++)
		for (unsigned i = 0; i < c->nsizes; i++)
			if (!paired || c->sa_missed[w][i])
				sacache_fill(&c->sa[w][i], key, 0);
	c->pending = false;
}

void mrc_curve_invalidate_range(struct mrc_curve *c, uint64_t first, uint64_t last)
{
	mrc_invalidate_range(&c->full, first, last);
	for (unsigned w = 0; w < c->nways; w++)
		for (unsigned i = 0; i < c->nsizes; i++)
			sacache_invalidate_range(&c->sa[w][i], first, last);
}
