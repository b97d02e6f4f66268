/* s390_model: the s390 IOAT model as the engine sees it (sim/model.h): the IOAT table format, the host's DAT
 * and root domain, and the guest's IO table. */
#include "s390_model.h"

#include "alloc.h"
#include "guest.h"
#include "host.h"

static void *host_new(struct vm *vm, const struct iw_config *cfg, char *err, size_t errlen)
{
	return s390_host_new(vm, cfg, err, errlen);
}

static void host_free(void *host) { s390_host_free(host); }

static const char *memslot_check(void *host, uint64_t base_gfn, uint64_t npages, uint64_t hva)
{
	return s390_host_memslot_check(host, base_gfn, npages, hva);
}

static const char *guest_new(void *host, struct vm *vm, uint64_t origin, unsigned levels, void **guest)
{
	(void)host;
	struct guest_ioat *g = iw_calloc(1, sizeof(*g));
	if (!g)
		return "out of memory";
	const char *why = guest_ioat_init(g, vm, origin, levels);
	if (why) {
		iw_free(g);
		return why;
	}
	*guest = g;
	return NULL;
}

static void guest_free(void *guest) { iw_free(guest); }

static const char *guest_map(void *guest, uint64_t iova, uint64_t gpa, uint64_t len, bool readonly,
			     const struct iw_guest_cb *cb)
{
	return guest_ioat_map(guest, iova, gpa, len, readonly, cb);
}

static void guest_unmap(void *guest, uint64_t iova, uint64_t len, const struct iw_guest_cb *cb)
{
	guest_ioat_unmap(guest, iova, len, cb);
}

static const void *guest_table(const void *guest) { return &((const struct guest_ioat *)guest)->table; }

const struct iw_model s390_ioat_model = {
	.name = "s390-ioat",
	.summary = "IBM Z PCI IO address translation (IOAT): region/segment/page tables, 4 KiB pages, RPCIT",
	.fmt = &s390_ioat_format,
	.strategy_at = s390_strategy_at,
	.default_levels = 3,
	.host_new = host_new,
	.host_free = host_free,
	.memslot_check = memslot_check,
	.guest_new = guest_new,
	.guest_free = guest_free,
	.guest_map = guest_map,
	.guest_unmap = guest_unmap,
	.guest_table = guest_table,
	.params = &s390_host_params,
	.counters = &s390_host_counters,
};
