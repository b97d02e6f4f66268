/* u64map: an open-addressing hash map from u64 keys to u64 values (linear probing, backward-shift
 * deletion). Used only for lookups by key: nothing iterates it in hash order, so simulated results
 * never depend on the hash function. */
#ifndef IOWALK_SIM_U64MAP_H
#define IOWALK_SIM_U64MAP_H

#include <stdbool.h>
#include <stdint.h>

struct u64map {
	uint64_t *keys; /* key + 1 stored; 0 marks an empty slot */
	uint64_t *vals;
	uint64_t cap;   /* power of two */
	uint64_t len;
};

int u64map_init(struct u64map *m, uint64_t cap_hint); /* 0 or -1 */
void u64map_destroy(struct u64map *m);
bool u64map_get(const struct u64map *m, uint64_t key, uint64_t *val);
int u64map_put(struct u64map *m, uint64_t key, uint64_t val); /* 0 or -1 (out of memory); key < 2^64-1 */
bool u64map_del(struct u64map *m, uint64_t key);

#endif
