/* sacache: see sacache.h. */
#include "sacache.h"

#include "alloc.h"

#include <string.h>

const char *sacache_check(uint64_t entries, uint32_t ways)
{
	if (entries == 0)
		return NULL;
	if (ways == 0)
		return "ways must be at least 1";
	if (entries % ways != 0)
		return "entries must be a multiple of ways";
	if (entries > (1ull << 32))
		return "more than 2^32 entries";
	return NULL;
}

int sacache_init(struct sacache *c, uint64_t entries, uint32_t ways)
{
	memset(c, 0, sizeof(*c));
	if (entries == 0)
		return 0;
	c->ways = ways;
	c->sets = entries / ways;
	c->keys = iw_calloc(entries, sizeof(uint64_t));
	c->vals = iw_calloc(entries, sizeof(uint64_t));
	c->stamp = iw_calloc(entries, sizeof(uint64_t));
	if (!c->keys || !c->vals || !c->stamp) {
		sacache_destroy(c);
		return -1;
	}
	return 0;
}

void sacache_destroy(struct sacache *c)
{
	iw_free(c->keys);
	iw_free(c->vals);
	iw_free(c->stamp);
	c->keys = c->vals = c->stamp = NULL;
}

void sacache_fill(struct sacache *c, uint64_t key, uint64_t val)
{
	if (!c->keys)
		return;
	uint64_t base = sacache_set_of(c, key) * c->ways, k = key + 1;
	uint64_t *keys = c->keys + base;
	const uint64_t *stamp = c->stamp + base;
	uint32_t n = c->ways, v = 0, w;
	for (w = 0; w < n; w++)
		if (keys[w] == k)
			break;
	if (w < n) {
		v = w; /* present: updated in place */
	} else {
		/* The victim: the first empty way, else the least recently used (the first of equal stamps). */
		for (w = 0; w < n; w++) {
			if (!keys[w])
				break;
			if (stamp[w] < stamp[v])
				v = w;
		}
		if (w < n)
			v = w;
		else
			c->evictions++;
	}
	keys[v] = k;
	c->vals[base + v] = val;
	c->stamp[base + v] = ++c->clock;
}

bool sacache_invalidate(struct sacache *c, uint64_t key)
{
	if (!c->keys)
		return false;
	uint64_t base = sacache_set_of(c, key) * c->ways, k = key + 1;
	for (uint32_t w = 0; w < c->ways; w++) {
		if (c->keys[base + w] == k) {
			c->keys[base + w] = 0;
			return true;
		}
	}
	return false;
}

uint64_t sacache_invalidate_range(struct sacache *c, uint64_t first, uint64_t last)
{
	if (!c->keys)
		return 0;
	uint64_t n = 0, total = c->sets * c->ways;
	if (last - first < total) {
		for (uint64_t key = first;; key++) {
			n += sacache_invalidate(c, key);
			if (key == last)
				break;
		}
		return n;
	}
	for (uint64_t i = 0; i < total; i++) {
		uint64_t k = c->keys[i];
		if (k && k - 1 >= first && k - 1 <= last) {
			c->keys[i] = 0;
			n++;
		}
	}
	return n;
}

void sacache_flush(struct sacache *c)
{
	if (c->keys)
		memset(c->keys, 0, c->sets * c->ways * sizeof(uint64_t));
}

bool sacache_access(struct sacache *c, uint64_t key)
{
	if (!c->keys) {
		c->misses++;
		return false;
	}
	uint64_t base = sacache_set_of(c, key) * c->ways, k = key + 1;
	uint64_t victim = base;
	for (uint32_t w = 0; w < c->ways; w++) {
		uint64_t i = base + w;
		if (c->keys[i] == k) {
			c->stamp[i] = ++c->clock;
			c->hits++;
			return true;
		}
		if (c->keys[victim] != 0 && (c->keys[i] == 0 || c->stamp[i] < c->stamp[victim]))
			victim = i;
	}
	c->misses++;
	if (c->keys[victim] != 0)
		c->evictions++;
	c->keys[victim] = k;
	c->vals[victim] = 0;
	c->stamp[victim] = ++c->clock;
	return false;
}
