/* s390_model: the s390 IOAT model (sim/model.h) and the services its strategies use to reach the host's DAT
 * and root domain and the guest's IO table of a simulation. */
#ifndef IOWALK_MODELS_S390_IOAT_S390_MODEL_H
#define IOWALK_MODELS_S390_IOAT_S390_MODEL_H

#include "host.h"
#include "ioat.h"
#include "sim.h"

extern const struct iw_model s390_ioat_model;

static inline struct s390_host *s390_host_of(const struct sim *s) { return sim_model_host(s); }
static inline const struct s390_table *s390_guest_table(const struct sim *s)
{
	return sim_guest_table(s);
}

/* The registry of the model's strategies, in report order (kvm-gfn first: the baseline); NULL past the
 * end (iw_model.strategy_at). */
const struct strategy_ops *s390_strategy_at(unsigned i);

#endif
