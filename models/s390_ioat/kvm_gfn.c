/* kvm_gfn: the posted KVM zPCI series (v3/v4, 2022): RPCIT is intercepted in KVM, which walks the
 * guest's IO table and resolves every guest table page and every leaf gpa through KVM:
 * gfn_to_page() = SRCU + memslot search (last-used slot, then tree) + hva arithmetic + GUP-fast walk of
 * the VMM's host page tables + page refcount increment (pin); unpin with kvm_release_pfn_dirty().
 * docs/strategies.md lists the steps with their kernel functions. */
#include "s390_model.h"
#include "shadow.h"

static const struct iw_param kvm_params[] = {
	{"cost.srcu", 15, 0, 1000000, "cycles", "kvm-gfn: srcu_read_lock + srcu_read_unlock", 5, 100,
	 "full memory barriers in 5.x srcu_read_lock/unlock; assumption"},
	{"cost.irq", 10, 0, 1000000, "cycles", "kvm-gfn: local_irq_save + restore (GUP-fast)", 5, 50, "assumption"},
	{"kvm.pin_longterm", 0, 0, 1, "", "kvm-gfn: 0 = FOLL_GET references as the posted series took them, 1 = FOLL_PIN | FOLL_LONGTERM pins with memlock accounting", 0, 0, NULL},
};
static const struct iw_param_group kvm_param_group = {"kvm-gfn", kvm_params, 3, NULL};

struct kvm_gfn {
	struct shadow sh; /* first member */
	uint64_t c_srcu, c_irq;
	enum iw_pin pin;
};

static int kvm_init(struct shadow *sh, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	struct kvm_gfn *k = container_of(sh, struct kvm_gfn, sh);
	k->c_srcu = config_value(sim_cfg(sh->sim), "cost.srcu");
	k->c_irq = config_value(sim_cfg(sh->sim), "cost.irq");
	k->pin = config_value(sim_cfg(sh->sim), "kvm.pin_longterm") ? IW_PIN_LONGTERM : IW_PIN_GET;
	return 0;
}

static bool kvm_resolve(struct shadow *sh, uint64_t gpa, uint64_t *hpa)
{
	struct kvm_gfn *k = container_of(sh, struct kvm_gfn, sh);
	struct sim *s = sh->sim;
	const struct iw_config *c = sim_cfg(s);
	/* gfn_to_page -> gfn_to_pfn -> __gfn_to_pfn_memslot, under srcu_read_lock(&kvm->srcu). */
	sim_charge(s, COMP_SW, 3 * c->c_call + k->c_srcu);
	int i = sim_memslot_search(s, gpa >> 12);
	if (i < 0)
		return false;
	uint64_t hva = vm_slot_hva(vm_slot(sim_vm(s), (unsigned)i), gpa >> 12);
	/* hva_to_pfn_fast(): get_user_page_fast_only() with interrupts off, a lockless DAT walk. */
	struct s390_folio f;
	if (!s390_gup_walk(s, hva, k->c_irq + c->c_call, hpa, &f))
		return false;
	/* try_grab_folio(): the reference on the folio the walk found (FOLL_GET, or FOLL_PIN | FOLL_LONGTERM). */
	sim_pin_page(s, f.head, f.large, k->pin);
	return true;
}

/* kvm_release_pfn_dirty() (SetPageDirty + put_page), or unpin_user_page() for a long-term pin. */
static void kvm_release(struct shadow *sh, uint64_t hpa)
{
	struct kvm_gfn *k = container_of(sh, struct kvm_gfn, sh);
	struct s390_folio f = s390_folio_of(s390_host_of(sh->sim), hpa);
	sim_unpin_page(sh->sim, f.head, f.large, k->pin);
}

static const struct shadow_resolver kvm_resolver = {
	.size = sizeof(struct kvm_gfn), .init = kvm_init, .resolve = kvm_resolve, .release = kvm_release};

const struct strategy_ops strategy_kvm_gfn = SHADOW_STRATEGY(
	"kvm-gfn", "shadow; KVM resolves each gpa: memslot search, GUP-fast host walk, pin", &kvm_resolver, &kvm_param_group, NULL, false);
