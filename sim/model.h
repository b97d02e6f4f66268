/* model: what the engine needs of an architecture model: its table format, the host side of
 * translation that exists with the VM (for s390: the VMM's DAT tables and the root IO domain), and the
 * guest's IO address space (table registration, MAP, UNMAP). Every strategy belongs to one model
 * (strategy_ops.model); the engine runs strategies of one model side by side.
 * Notes:
 *  - host_new() runs right after the VM exists and before any record, so whatever it allocates in
 *    simulated memory comes first, the same way every run.
 */
#ifndef IOWALK_SIM_MODEL_H
#define IOWALK_SIM_MODEL_H

#include "format.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;
struct iw_config;
struct iw_param_group;
struct iw_counter_group;
struct strategy_ops;

/* What the engine hears of a guest's MAP or UNMAP, each call with ctx:
 *  - changed (NULL: not wanted): every page whose valid entry the record replaces (MAP) or invalidates
 *    (UNMAP), in address order;
 *  - touch (NULL: not wanted): every entry of its IO table the guest's vCPU reads or writes on the way
 *    (each entry of the walk down to the leaf, and the leaf), by guest-physical address, in order. */
struct iw_guest_cb {
	void (*changed)(void *ctx, uint64_t iova);
	void (*touch)(void *ctx, uint64_t gpa);
	void *ctx;
};

struct iw_model {
	const char *name;
	const char *summary;         /* one line for `run --list-formats` */
	const struct iw_format *fmt;
	unsigned default_levels;     /* the guest table's levels a generator writes unless told (IOAT record) */
	const char *default_preset;  /* the hardware/cost preset a run of its traces takes unless told (NULL: z15) */
	/* Its strategies, in report order (the first: the baseline of the ratios); NULL past the end. */
	const struct strategy_ops *(*strategy_at)(unsigned i);
	/* The model's host state for a new VM, or NULL with the reason in err. */
	void *(*host_new)(struct vm *vm, const struct iw_config *cfg, char *err, size_t errlen);
	void (*host_free)(void *host);
	/* NULL, or why a memslot cannot be added (the host tables' address-space limits). */
	const char *(*memslot_check)(void *host, uint64_t base_gfn, uint64_t npages, uint64_t hva);
	/* The guest registers its IO table (IOAT record): NULL and *guest, or the reason. */
	const char *(*guest_new)(void *host, struct vm *vm, uint64_t origin, unsigned levels, void **guest);
	void (*guest_free)(void *guest);
	/* MAP and UNMAP records: the guest writes its IO table entries, telling cb (struct iw_guest_cb). */
	const char *(*guest_map)(void *guest, uint64_t iova, uint64_t gpa, uint64_t len, bool readonly,
				 const struct iw_guest_cb *cb);
	void (*guest_unmap)(void *guest, uint64_t iova, uint64_t len, const struct iw_guest_cb *cb);
	/* The identity of a guest's address space (VT-d: its domain id and PASID): functions whose guests
	 * give the same one share the entries the device's caches hold for it, and its invalidations.
	 * NULL: every function has its own (s390: each PCI function its own IOAT). */
	uint64_t (*guest_asid)(const void *guest);
	/* The guest's table, a table of fmt (for its aperture, and for strategies that walk it). */
	const void *(*guest_table)(const void *guest);
	const struct iw_param_group *params; /* the parameters the model owns (NULL: none) */
	/* The engine's parameters its runs never charge (s390's intercept and RPCIT costs on another format),
	 * NULL-terminated (NULL: none): out of its runs' scope, so reports, their config_hash, --print-config
	 * and sensitivity leave them out. */
	const char *const *unused_engine_params;
	const struct iw_counter_group *counters; /* the counters the model owns (NULL: none) */
};

#endif
