/* physmem: sparse frames in a radix tree (see physmem.h). */
#include "physmem.h"

#include "alloc.h"

#include <stdbool.h>

#define L1_BITS 14
#define L2_BITS 13
#define L3_BITS 13 /* 14 + 13 + 13 = 40 frame-number bits */
#define WORDS_PER_FRAME 512

struct frame {
	uint64_t w[WORDS_PER_FRAME];
};
struct leaf {
	struct frame *f[1u << L3_BITS];
};
struct mid {
	struct leaf *l[1u << L2_BITS];
};

#define MEMO 256 /* a direct-mapped memo of recently used frames: frames never move or go away */

#define UNIFORM 8 /* distinct fill values whose whole frames share one read-only frame */

struct physmem {
	struct mid *top[1u << L1_BITS];
	uint64_t frames; /* frames of their own (shared uniform frames not counted) */
	/* Whole frames filled with one value (a new table's invalid entries) share a read-only frame of that
	 * value until a word of theirs is written (copy on write): a sparse table costs what is used of it. */
	struct frame *uniform[UNIFORM];
	uint64_t uniform_val[UNIFORM];
	unsigned nuniform;
	struct {
		uint64_t pfn1; /* frame number + 1; 0: empty */
		struct frame *f;
	} memo[MEMO];
};

struct physmem *physmem_new(void) { return iw_calloc(1, sizeof(struct physmem)); }

/* Whether f is a shared uniform frame (read-only: a write copies it first). */
static inline bool is_uniform(const struct physmem *pm, const struct frame *f)
{
	for (unsigned u = 0; u < pm->nuniform; u++)
		if (pm->uniform[u] == f)
			return true;
	return false;
}

/* Freeing scans every slot of every leaf: under the fuzzers' coverage instrumentation that scan (a
 * traced comparison a slot) was half of a small run's time, and it holds no decision worth tracing. */
#if defined(__clang__)
#define NO_COVERAGE __attribute__((no_sanitize("coverage")))
#else
#define NO_COVERAGE
#endif

NO_COVERAGE void physmem_free(struct physmem *pm)
{
	if (!pm)
		return;
	for (unsigned i = 0; i < (1u << L1_BITS); i++) {
		struct mid *m = pm->top[i];
		if (!m)
			continue;
		for (unsigned j = 0; j < (1u << L2_BITS); j++) {
			struct leaf *l = m->l[j];
			if (!l)
				continue;
			for (unsigned k = 0; k < (1u << L3_BITS); k++)
				if (l->f[k] && !is_uniform(pm, l->f[k])) /* most slots are empty: no scan of the shared ones */
					iw_free(l->f[k]);
			iw_free(l);
		}
		iw_free(m);
	}
	for (unsigned u = 0; u < pm->nuniform; u++)
		iw_free(pm->uniform[u]);
	iw_free(pm);
}

static inline void split(uint64_t addr, unsigned *i, unsigned *j, unsigned *k, unsigned *w)
{
	uint64_t pfn = addr >> 12;
	*w = (unsigned)(addr >> 3) & (WORDS_PER_FRAME - 1);
	*k = (unsigned)pfn & ((1u << L3_BITS) - 1);
	*j = (unsigned)(pfn >> L3_BITS) & ((1u << L2_BITS) - 1);
	*i = (unsigned)(pfn >> (L3_BITS + L2_BITS)) & ((1u << L1_BITS) - 1);
}

uint64_t physmem_read64(const struct physmem *pm, uint64_t addr)
{
	uint64_t pfn = addr >> 12;
	unsigned slot = (unsigned)pfn & (MEMO - 1), w = (unsigned)(addr >> 3) & (WORDS_PER_FRAME - 1);
	if (pm->memo[slot].pfn1 == pfn + 1)
		return pm->memo[slot].f->w[w];
	unsigned i, j, k;
	split(addr, &i, &j, &k, &w);
	const struct mid *m = pm->top[i];
	if (!m)
		return 0;
	const struct leaf *l = m->l[j];
	if (!l)
		return 0;
	struct frame *f = l->f[k];
	if (!f)
		return 0;
	if (pm->nuniform && is_uniform(pm, f))
		return f->w[w]; /* never in the memo: the memo's frames are written in place */
	/* The memo is a cache of the tree, not part of the memory's value: updated through a const pointer. */
	((struct physmem *)pm)->memo[slot].pfn1 = pfn + 1;
	((struct physmem *)pm)->memo[slot].f = f;
	return f->w[w];
}

int physmem_write64(struct physmem *pm, uint64_t addr, uint64_t val)
{
	uint64_t pfn = addr >> 12;
	unsigned slot = (unsigned)pfn & (MEMO - 1);
	if (pm->memo[slot].pfn1 == pfn + 1) {
		pm->memo[slot].f->w[(addr >> 3) & (WORDS_PER_FRAME - 1)] = val;
		return 0;
	}
	unsigned i, j, k, w;
	split(addr, &i, &j, &k, &w);
	struct mid *m = pm->top[i];
	if (!m) {
		if (val == 0)
			return 0;
		m = pm->top[i] = iw_calloc(1, sizeof(*m));
		if (!m)
			return -1;
	}
	struct leaf *l = m->l[j];
	if (!l) {
		if (val == 0)
			return 0;
		l = m->l[j] = iw_calloc(1, sizeof(*l));
		if (!l)
			return -1;
	}
	struct frame *f = l->f[k];
	if (!f) {
		if (val == 0)
			return 0;
		f = l->f[k] = iw_calloc(1, sizeof(*f));
		if (!f)
			return -1;
		pm->frames++;
	} else if (pm->nuniform && is_uniform(pm, f)) {
		if (f->w[w] == val)
			return 0; /* no change: it stays shared */
		struct frame *own = iw_malloc(sizeof(*own));
		if (!own)
			return -1;
		*own = *f; /* copy on write */
		f = l->f[k] = own;
		pm->frames++;
	}
	pm->memo[slot].pfn1 = pfn + 1;
	pm->memo[slot].f = f;
	f->w[w] = val;
	return 0;
}

uint64_t physmem_frames(const struct physmem *pm) { return pm->frames; }

/* The shared frame of value val (made on first use), or NULL when UNIFORM values are taken already or
 * out of memory (the caller then writes the frame's words). */
static struct frame *uniform_of(struct physmem *pm, uint64_t val)
{
	for (unsigned u = 0; u < pm->nuniform; u++)
		if (pm->uniform_val[u] == val)
			return pm->uniform[u];
	if (pm->nuniform == UNIFORM)
		return NULL;
	struct frame *f = iw_malloc(sizeof(*f));
	if (!f)
		return NULL;
	for (unsigned w = 0; w < WORDS_PER_FRAME; w++)
		f->w[w] = val;
	pm->uniform[pm->nuniform] = f;
	pm->uniform_val[pm->nuniform++] = val;
	return f;
}

/* Frame pfn becomes the shared frame u (NULL: all zero, no frame): its own frame, if any, goes. 0, or -1
 * when the tree could not grow. */
static int set_uniform(struct physmem *pm, uint64_t addr, struct frame *u)
{
	unsigned i, j, k, w;
	split(addr, &i, &j, &k, &w);
	struct mid *m = pm->top[i];
	if (!m) {
		if (!u)
			return 0;
		if (!(m = pm->top[i] = iw_calloc(1, sizeof(*m))))
			return -1;
	}
	struct leaf *l = m->l[j];
	if (!l) {
		if (!u)
			return 0;
		if (!(l = m->l[j] = iw_calloc(1, sizeof(*l))))
			return -1;
	}
	struct frame *old = l->f[k];
	if (old && !is_uniform(pm, old)) {
		iw_free(old);
		pm->frames--;
	}
	l->f[k] = u;
	uint64_t pfn = addr >> 12;
	unsigned slot = (unsigned)pfn & (MEMO - 1);
	if (pm->memo[slot].pfn1 == pfn + 1)
		pm->memo[slot].pfn1 = 0; /* it held the frame that went */
	return 0;
}

int physmem_fill64(struct physmem *pm, uint64_t addr, uint64_t bytes, uint64_t val)
{
	for (uint64_t a = addr, end = addr + bytes; a < end;) {
		uint64_t chunk_end = (a | (WORDS_PER_FRAME * 8 - 1)) + 1;
		if (chunk_end > end)
			chunk_end = end;
		if (chunk_end - a == WORDS_PER_FRAME * 8) { /* a whole frame: shared, or none for 0 */
			struct frame *u = val ? uniform_of(pm, val) : NULL;
			if (!val || u) {
				if (set_uniform(pm, a, u) < 0)
					return -1;
				a = chunk_end;
				continue;
			}
		}
		/* The first word as any write (the frame made when val is not 0, and remembered in the memo);
		 * the rest of the frame's words directly. */
		if (physmem_write64(pm, a, val) < 0)
			return -1;
		uint64_t pfn = a >> 12;
		unsigned slot = (unsigned)pfn & (MEMO - 1);
		if (pm->memo[slot].pfn1 == pfn + 1) { /* else val is 0 and the frame absent: it reads as 0 */
			struct frame *f = pm->memo[slot].f;
			for (uint64_t w = ((a >> 3) & (WORDS_PER_FRAME - 1)) + 1, last = ((chunk_end - 8) >> 3) & (WORDS_PER_FRAME - 1);
			     w <= last; w++)
				f->w[w] = val;
		}
		a = chunk_end;
	}
	return 0;
}
