/* evq: see evq.h. */
#include "evq.h"

#include "alloc.h"

#define before evq_before

int evq_init(struct evq *q, uint64_t cap_hint)
{
	q->cap = cap_hint < 16 ? 16 : cap_hint;
	q->len = 0;
	q->next_seq = 0;
	q->nside = q->side_min = 0;
	q->h = iw_malloc(q->cap * sizeof(*q->h));
	return q->h ? 0 : -1;
}

void evq_destroy(struct evq *q)
{
	iw_free(q->h);
	q->h = NULL;
}

int evq_push(struct evq *q, uint64_t cycle, uint32_t type, uint64_t arg)
{
	return evq_push_seq(q, cycle, q->next_seq++, type, arg);
}

int evq_push_seq(struct evq *q, uint64_t cycle, uint64_t seq, uint32_t type, uint64_t arg)
{
	struct ev e = {cycle, seq, type, arg};
	if (q->nside < EVQ_SIDE) {
		if (q->nside == 0 || before(&e, &q->side[q->side_min]))
			q->side_min = q->nside;
		q->side[q->nside++] = e;
		return 0;
	}
	if (iw_grow(&q->h, &q->cap, q->len, sizeof(*q->h), 64) < 0)
		return -1;
	uint64_t i = q->len++;
	while (i > 0) {
		uint64_t p = (i - 1) / 2;
		if (!before(&e, &q->h[p]))
			break;
		q->h[i] = q->h[p];
		i = p;
	}
	q->h[i] = e;
	return 0;
}

bool evq_pop(struct evq *q, struct ev *out)
{
	if (q->nside && (q->len == 0 || before(&q->side[q->side_min], &q->h[0]))) {
		*out = q->side[q->side_min];
		q->side[q->side_min] = q->side[--q->nside];
		q->side_min = 0;
		for (unsigned i = 1; i < q->nside; i++)
			if (before(&q->side[i], &q->side[q->side_min]))
				q->side_min = i;
		return true;
	}
	if (q->len == 0)
		return false;
	*out = q->h[0];
	struct ev last = q->h[--q->len];
	uint64_t i = 0, n = q->len;
	for (;;) {
		uint64_t l = 2 * i + 1, r = l + 1, m = i;
		const struct ev *best = &last;
		if (l < n && before(&q->h[l], best)) {
			m = l;
			best = &q->h[l];
		}
		if (r < n && before(&q->h[r], best))
			m = r;
		if (m == i)
			break;
		q->h[i] = q->h[m];
		i = m;
	}
	if (n)
		q->h[i] = last;
	return true;
}
