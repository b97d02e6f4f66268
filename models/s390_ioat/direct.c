/* direct: relaxed translation (RTR), where upstream went instead of either shadowing design: a guest
 * whose device advertises rtr_avail registers its IO address space with translation off and uses an
 * identity IOMMU domain (Linux s390_iommu_rtr_ops, s390_attach_dev_identity; M. Rosato's series of
 * 2025-02-07 on linux-s390), and QEMU answers the registration by mapping the whole guest address space
 * for the device (s390_pci_iommu_direct_map_enable, property relaxed-translation). From then on:
 *  - set-up: all guest RAM mapped and pinned in the host IO table (the root domain's table here);
 *  - per update: nothing on the host. The guest's DMA API is dma-direct: no IOVA allocation, no IOPTE,
 *    no RPCIT, so no intercept (the guest's own map/unmap work is not modelled for any strategy);
 *  - DMA: the device puts a guest-physical address on the bus; an IOTLB miss walks the host IO table of
 *    the whole guest, with the device's walk caches;
 *  - given up: isolation inside the guest (a device reaches all guest RAM; a write through what the
 *    guest mapped read-only succeeds, counted as unprotected_writes) and overcommit (all RAM pinned).
 * Notes:
 *  - A trace recorded in translated mode replays by taking each DMA's gpa from the guest's mapping of
 *    its IOVA at that moment; a DMA to an IOVA the guest has not mapped has no gpa and faults as invalid.
 *  - The DMA window's start offset (bus address = gpa + start of the window) is left out: it moves
 *    which table entries are used, not how many levels a walk reads.
 */
#include "alloc.h"
#include "s390_model.h"
#include "sim.h"

#include <stdio.h>

struct direct {
	struct strategy base; /* first member */
	struct sim *sim;
};

static struct strategy *direct_create(const struct strategy_ops *self, struct sim *s, char *err, size_t errlen)
{
	(void)self;
	struct direct *d = iw_calloc(1, sizeof(*d));
	if (!d) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	d->sim = s;
	return &d->base;
}

static void direct_destroy(struct strategy *st) { iw_free(container_of(st, struct direct, base)); }

/* Never called: the guest of this strategy issues no RPCIT (IW_REFRESH_NONE). */
static void direct_invalidate(struct strategy *st, const struct iw_inval *inv)
{
	(void)st;
	(void)inv;
}

static enum iw_refresh direct_refresh(const struct iw_config *c)
{
	(void)c;
	return IW_REFRESH_NONE;
}

/* The gpa the guest's driver would have used for iova: its mapping at this moment (no cost: in relaxed
 * translation the driver has the physical address at hand). */
static bool direct_dma_addr(struct strategy *st, uint64_t iova, uint64_t *addr, bool *guest_ro)
{
	struct direct *d = container_of(st, struct direct, base);
	struct iw_walk w;
	s390_walk(s390_guest_table(d->sim), iova, false, &w);
	if (w.fault != S390_OK)
		return false;
	*addr = w.addr & ~(S390_PAGE_SIZE - 1);
	*guest_ro = !w.writable;
	return true;
}

static void direct_dma_walk(struct strategy *st, uint64_t gpa, bool write, struct sim_xlate *x)
{
	struct direct *d = container_of(st, struct direct, base);
	struct s390_host *h = s390_host_of(d->sim);
	struct iw_walk w;
	(void)write; /* the full mapping is read-write: a write walks as a read does */
	s390_root_walk(h, gpa, &w); /* the walk, materializing the entry QEMU's full mapping has */
	sim_device_walked(d->sim, gpa, &w, x);
}

const struct strategy_ops strategy_direct = {
	.name = "direct",
	.summary = "relaxed translation: no guest IO table on the host; DMA by gpa through a full host mapping",
	.create = direct_create,
	.destroy = direct_destroy,
	.invalidate = direct_invalidate,
	.dma_walk = direct_dma_walk,
	.refresh = direct_refresh,
	.dma_addr = direct_dma_addr,
	.pins_guest_ram = true,
	.unprotected = true,
	.model = &s390_ioat_model,
};
