/* strategy_oracle: a fifth strategy compiled only into tests/plugin/test_plugin, to show that adding one
 * is this file plus one registry line (models/s390_ioat/strategies.c). It is an oracle: a guest RPCIT
 * costs the hardware refresh only, and an IOTLB miss translates through the guest's table and guest RAM
 * for free — a lower bound no real design reaches. */
#include "alloc.h"
#include "s390_model.h"

#include <stdio.h>

struct oracle {
	struct strategy base; /* first member */
	struct sim *sim;
};

static struct strategy *oracle_create(const struct strategy_ops *self, struct sim *s, char *err, size_t errlen)
{
	(void)self;
	struct oracle *o = iw_calloc(1, sizeof(*o));
	if (!o) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	o->sim = s;
	return &o->base;
}

static void oracle_destroy(struct strategy *st) { iw_free(container_of(st, struct oracle, base)); }

static void oracle_invalidate(struct strategy *st, const struct iw_inval *inv)
{
	s390_host_rpcit(container_of(st, struct oracle, base)->sim, inv->addr, inv->len);
}

static void oracle_dma_walk(struct strategy *st, uint64_t iova, bool write, struct sim_xlate *x)
{
	struct sim *s = container_of(st, struct oracle, base)->sim;
	struct iw_walk w;
	s390_walk(s390_guest_table(s), iova, write, &w);
	x->fault = w.fault;
	x->page_bytes = S390_PAGE_SIZE;
	x->writable = w.writable;
	x->frame = 0;
	uint64_t hpa;
	if (w.fault == S390_OK && !vm_gpa_to_hpa(sim_vm(s), w.addr & ~0xfffull, &hpa))
		x->fault = S390_FAULT_INVALID; /* a gpa outside guest RAM */
	else if (w.fault == S390_OK)
		x->frame = hpa;
}

const struct strategy_ops strategy_oracle = {
	.name = "oracle",
	.summary = "test only: free translation through the guest table (a lower bound)",
	.create = oracle_create,
	.destroy = oracle_destroy,
	.invalidate = oracle_invalidate,
	.dma_walk = oracle_dma_walk,
	.model = &s390_ioat_model,
};
