/* physmem: simulated host-physical memory, 8-byte words in 4 KiB frames allocated on first write.
 * Notes:
 *  - A three-level radix tree over the frame number (40 bits: hpa up to 2^52); reads of never-written
 *    frames return 0, so the footprint grows with written frames, not with configured memory sizes.
 *  - Deterministic: no hashing, no dependence on host addresses.
 */
#ifndef IOWALK_SIM_PHYSMEM_H
#define IOWALK_SIM_PHYSMEM_H

#include <stdint.h>

#define PHYSMEM_ADDR_BITS 52

struct physmem;
struct physmem *physmem_new(void);
void physmem_free(struct physmem *pm);
/* addr must be 8-byte aligned and below 2^52 (checked by callers at configuration time). */
uint64_t physmem_read64(const struct physmem *pm, uint64_t addr);
/* 0, or -1 when a frame could not be allocated (the write is lost; the caller reports it). */
int physmem_write64(struct physmem *pm, uint64_t addr, uint64_t val);
/* Writes val to every word of [addr, addr + bytes) (both 8-byte aligned): the same memory as that many
 * physmem_write64() calls, a frame at a time. 0, or -1 as physmem_write64(). */
int physmem_fill64(struct physmem *pm, uint64_t addr, uint64_t bytes, uint64_t val);
uint64_t physmem_frames(const struct physmem *pm); /* frames materialized */

#endif
