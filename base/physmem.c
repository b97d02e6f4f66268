/* physmem: sparse frames in a radix tree (see physmem.h). */
#include "physmem.h"

#include "alloc.h"

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

struct physmem {
	struct mid *top[1u << L1_BITS];
	uint64_t frames;
	struct {
		uint64_t pfn1; /* frame number + 1; 0: empty */
		struct frame *f;
	} memo[MEMO];
};

struct physmem *physmem_new(void) { return iw_calloc(1, sizeof(struct physmem)); }

void physmem_free(struct physmem *pm)
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
				iw_free(l->f[k]);
			iw_free(l);
		}
		iw_free(m);
	}
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
	}
	pm->memo[slot].pfn1 = pfn + 1;
	pm->memo[slot].f = f;
	f->w[w] = val;
	return 0;
}

uint64_t physmem_frames(const struct physmem *pm) { return pm->frames; }

int physmem_fill64(struct physmem *pm, uint64_t addr, uint64_t bytes, uint64_t val)
{
	for (uint64_t a = addr, end = addr + bytes; a < end;) {
		uint64_t chunk_end = (a | (WORDS_PER_FRAME * 8 - 1)) + 1;
		if (chunk_end > end)
			chunk_end = end;
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
