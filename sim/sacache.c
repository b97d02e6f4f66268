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

/* The line a new key takes in key's set: the first empty way, else the least recently used (the first
 * of equal stamps), whose eviction is counted. */
static uint64_t victim(struct sacache *c, uint64_t key)
{
	uint64_t base = sacache_set_of(c, key) * c->ways;
	const uint64_t *keys = c->keys + base, *stamp = c->stamp + base;
	uint32_t n = c->ways, v = 0;
	for (uint32_t w = 0; w < n; w++) {
		if (!keys[w])
			return base + w;
		if (stamp[w] < stamp[v])
			v = w;
	}
	c->evictions++;
	return base + v;
}

void sacache_fill(struct sacache *c, uint64_t key, uint64_t val)
{
	if (!c->keys)
		return;
	int64_t found = sacache_find(c, key);
	uint64_t i = found >= 0 ? (uint64_t)found : victim(c, key); /* present: updated in place */
	c->keys[i] = key + 1;
	c->vals[i] = val;
	c->stamp[i] = ++c->clock;
}

bool sacache_invalidate(struct sacache *c, uint64_t key)
{
	int64_t i = sacache_find(c, key);
	if (i < 0)
		return false;
	c->keys[i] = 0;
	return true;
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

bool sacache_access(struct sacache *c, uint64_t key)
{
	if (sacache_lookup(c, key, NULL))
		return true;
	if (c->keys) {
		uint64_t i = victim(c, key);
		c->keys[i] = key + 1;
		c->vals[i] = 0;
		c->stamp[i] = ++c->clock;
	}
	return false;
}
