/* memsys: the memory hierarchy timing model. CPU-side references go through L1 -> L2 -> L3 -> DRAM
 * (inclusive, write-allocate, LRU); device-side references cross the host bridge and look up the L3
 * (coherent last-level cache) before DRAM, without allocating in CPU caches.
 * Notes:
 *  - Latencies are load-to-use from the level that hits; a write costs what a read of its line costs.
 *  - One CPU (the vCPU handling intercepts) and its private L1/L2 are modelled; L3 is shared.
 */
#ifndef IOWALK_SIM_MEMSYS_H
#define IOWALK_SIM_MEMSYS_H

#include "config.h"
#include "sacache.h"

#include <stdbool.h>
#include <stdint.h>

enum memsys_level { MEM_L1 = 0, MEM_L2, MEM_L3, MEM_DRAM, MEM_LEVELS };

struct memsys {
	struct sacache c[3];
	bool present[3];
	uint64_t cycles[MEM_LEVELS];
	unsigned line_shift;
	uint64_t bridge_cycles;
	uint64_t cpu_served[MEM_LEVELS];    /* CPU references served by each level */
	uint64_t device_served[MEM_LEVELS]; /* device references served (L3 or DRAM) */
	uint64_t last_line;                 /* the line of the last CPU reference (UINT64_MAX: none) */
};

int memsys_init(struct memsys *m, const struct iw_config *cfg); /* 0 or -1 (out of memory) */
void memsys_destroy(struct memsys *m);
uint64_t memsys_cpu(struct memsys *m, uint64_t hpa);    /* cycles of one CPU reference */
uint64_t memsys_device(struct memsys *m, uint64_t hpa); /* cycles of one device reference */
const char *memsys_level_name(enum memsys_level l);

#endif
