/* u64map: see u64map.h. */
#include "u64map.h"

#include "alloc.h"

#include <string.h>

static inline uint64_t mix(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ull;
	k ^= k >> 33;
	return k;
}

int u64map_init(struct u64map *m, uint64_t cap_hint)
{
	uint64_t cap = 16;
	while (cap < cap_hint * 2)
		cap <<= 1;
	m->keys = iw_calloc(cap, sizeof(uint64_t));
	m->vals = iw_calloc(cap, sizeof(uint64_t));
	m->cap = cap;
	m->len = 0;
	if (!m->keys || !m->vals) {
		u64map_destroy(m);
		return -1;
	}
	return 0;
}

void u64map_destroy(struct u64map *m)
{
	iw_free(m->keys);
	iw_free(m->vals);
	m->keys = m->vals = NULL;
	m->cap = m->len = 0;
}

bool u64map_get(const struct u64map *m, uint64_t key, uint64_t *val)
{
	uint64_t mask = m->cap - 1, k = key + 1;
	for (uint64_t i = mix(key) & mask;; i = (i + 1) & mask) {
		if (m->keys[i] == k) {
			*val = m->vals[i];
			return true;
		}
		if (m->keys[i] == 0)
			return false;
	}
}

static int grow(struct u64map *m)
{
	struct u64map n;
	if (u64map_init(&n, m->cap) < 0)
		return -1;
	for (uint64_t i = 0; i < m->cap; i++)
		if (m->keys[i])
			u64map_put(&n, m->keys[i] - 1, m->vals[i]);
	u64map_destroy(m);
	*m = n;
	return 0;
}

int u64map_put(struct u64map *m, uint64_t key, uint64_t val)
{
	if ((m->len + 1) * 4 > m->cap * 3 && grow(m) < 0)
		return -1;
	uint64_t mask = m->cap - 1, k = key + 1;
	for (uint64_t i = mix(key) & mask;; i = (i + 1) & mask) {
		if (m->keys[i] == k) {
			m->vals[i] = val;
			return 0;
		}
		if (m->keys[i] == 0) {
			m->keys[i] = k;
			m->vals[i] = val;
			m->len++;
			return 0;
		}
	}
}

bool u64map_del(struct u64map *m, uint64_t key)
{
	uint64_t mask = m->cap - 1, k = key + 1, i;
	for (i = mix(key) & mask;; i = (i + 1) & mask) {
		if (m->keys[i] == 0)
			return false;
		if (m->keys[i] == k)
			break;
	}
	/* Backward-shift deletion keeps probe chains intact without tombstones. */
	uint64_t j = i;
	for (;;) {
		j = (j + 1) & mask;
		if (m->keys[j] == 0)
			break;
		uint64_t home = mix(m->keys[j] - 1) & mask;
		if (((j - home) & mask) >= ((j - i) & mask)) {
			m->keys[i] = m->keys[j];
			m->vals[i] = m->vals[j];
			i = j;
		}
	}
	m->keys[i] = 0;
	m->len--;
	return true;
}
