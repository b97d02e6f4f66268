/* convert_host: QEMU's own VT-d trace of a capture (see convert_host.h). */
#include "convert_host.h"

#include "alloc.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOST_LINE_MAX 1024

__attribute__((format(printf, 4, 5))) static int hfail(char *err, size_t errlen, const char *path, const char *fmt, ...)
{
	int n = snprintf(err, errlen, "%s: ", path);
	va_list ap;
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < errlen)
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* The hex number after the first "key 0x" in s (QEMU prints "domain 0x5", "iova 0xfffa0000"; the key
 * may also end a word before, as in "vtd_inv_desc_iotlb_domain iotlb invalidate whole domain 0x5"). */
static bool hexword(const char *s, const char *key, uint64_t *out)
{
	const char *p = strstr(s, key);
	while (p && (p[strlen(key)] != '0' || p[strlen(key) + 1] != 'x'))
		p = strstr(p + 1, key);
	if (!p)
		return false;
	p += strlen(key);
	char *end;
	errno = 0;
	unsigned long long v = strtoull(p + 2, &end, 16);
	if (end == p + 2 || errno)
		return false;
	*out = v;
	return true;
}

/* "dev BB:DD.FF" (QEMU's %02x:%02x.%02x) as a PCI requester id: bus << 8 | dev << 3 | fn. */
static bool dev_bdf(const char *s, uint16_t *bdf)
{
	const char *p = strstr(s, "dev ");
	unsigned b, d, f;
	int n = 0;
	if (!p || sscanf(p + 4, "%2x:%2x.%2x%n", &b, &d, &f, &n) != 3 || n != 8 || b > 255 || d > 31 || f > 7)
		return false;
	*bdf = (uint16_t)(b << 8 | d << 3 | f);
	return true;
}

static int push_tie(struct host_log *h, uint16_t did, uint16_t bdf)
{
	for (unsigned i = 0; i < h->nties; i++)
		if (h->ties[i].did == did)
			return h->ties[i].bdf == bdf ? 0 : -1;
	if (h->nties == HOST_MAX_TIES)
		return 0; /* more domains than kept: the rest stay untied */
	h->ties[h->nties].did = did;
	h->ties[h->nties++].bdf = bdf;
	return 0;
}

int host_log_read(FILE *f, const char *path, bool keep_repeats, struct host_log *h, char *err, size_t errlen)
{
	memset(h, 0, sizeof(*h));
	char line[HOST_LINE_MAX];
	uint64_t lineno = 0, cap_inv = 0, cap_xl = 0;
	int rc = 0;
	struct host_xl last = {0};
	bool have_last = false;
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		lineno++;
		size_t l = strlen(line);
		if (l == sizeof(line) - 1 && line[l - 1] != '\n') {
			rc = hfail(err, errlen, path, "line %" PRIu64 ": longer than %d bytes", lineno, HOST_LINE_MAX - 2);
			break;
		}
		if (line[0] == '#' || line[0] == '\n')
			continue;
		/* "TID@SEC.USEC:EVENT args" (-msg timestamp=on), or "EVENT args". */
		char *ev = strstr(line, "vtd_");
		if (!ev)
			continue; /* QEMU's other messages */
		uint64_t a = 0, b = 0, c = 0;
		if (strncmp(ev, "vtd_dmar_translate ", 19) == 0) {
			struct host_xl x = {.interval = h->ninv, .line = lineno};
			if (!dev_bdf(ev, &x.bdf) || !hexword(ev, "iova ", &a) || !hexword(ev, "gpa ", &b) || !hexword(ev, "mask ", &c)) {
				rc = hfail(err, errlen, path, "line %" PRIu64 ": not a vtd_dmar_translate line this reader knows", lineno);
				break;
			}
			x.page = a & ~c;
			x.gpa = b & ~c;
			x.page_bytes = c + 1;
			h->translations++;
			/* QEMU translates a page twice back to back on some paths (dma_memory_map, then the access):
			 * one translation of the device's, as hardware makes one. */
			if (!keep_repeats && have_last && last.bdf == x.bdf && last.page == x.page && last.gpa == x.gpa && last.interval == x.interval) {
				h->collapsed++;
				continue;
			}
			if (iw_grow(&h->xl, &cap_xl, h->nxl, sizeof(*h->xl), 4096) < 0) {
				rc = hfail(err, errlen, path, "out of memory (%" PRIu64 " translations)", h->nxl);
				break;
			}
			h->xl[h->nxl++] = x;
			last = x;
			have_last = true;
			continue;
		}
		struct host_inv inv = {0};
		if (strncmp(ev, "vtd_inv_desc_iotlb_pages ", 25) == 0) {
			if (!hexword(ev, "domain ", &a) || !hexword(ev, "addr ", &b) || !hexword(ev, "mask ", &c) || a > 0xffff || c > 63) {
				rc = hfail(err, errlen, path, "line %" PRIu64 ": not a vtd_inv_desc_iotlb_pages line this reader knows", lineno);
				break;
			}
			inv = (struct host_inv){.did = (uint16_t)a, .gran = HOST_INV_PAGE, .am = (uint8_t)c, .addr = b};
		} else if (strncmp(ev, "vtd_inv_desc_iotlb_domain ", 26) == 0) {
			if (!hexword(ev, "domain ", &a) || a > 0xffff) {
				rc = hfail(err, errlen, path, "line %" PRIu64 ": not a vtd_inv_desc_iotlb_domain line this reader knows", lineno);
				break;
			}
			inv = (struct host_inv){.did = (uint16_t)a, .gran = HOST_INV_DOMAIN};
		} else if (strncmp(ev, "vtd_inv_desc_iotlb_global", 25) == 0) {
			inv = (struct host_inv){.gran = HOST_INV_GLOBAL};
		} else if (strncmp(ev, "vtd_iotlb_page_hit ", 19) == 0 || strncmp(ev, "vtd_iotlb_page_update ", 22) == 0) {
			/* A translation's source id and domain: the tie between a domain id and its device. */
			if (hexword(ev, "sid ", &a) && hexword(ev, "domain ", &b) && a <= 0xffff && b <= 0xffff &&
			    push_tie(h, (uint16_t)b, (uint16_t)a) < 0)
				h->tie_conflicts++;
			continue;
		} else if (strncmp(ev, "vtd_dmar_fault", 14) == 0) {
			h->faults++;
			continue;
		} else {
			continue; /* wait descriptors and the rest */
		}
		if (iw_grow(&h->inv, &cap_inv, h->ninv, sizeof(*h->inv), 1024) < 0) {
			rc = hfail(err, errlen, path, "out of memory (%" PRIu64 " invalidations)", h->ninv);
			break;
		}
		h->inv[h->ninv++] = inv;
	}
	if (rc == 0 && ferror(f))
		rc = hfail(err, errlen, path, "read error");
	if (rc == 0 && h->nxl == 0)
		rc = hfail(err, errlen, path, "no vtd_dmar_translate line: not a QEMU VT-d trace (-trace vtd_dmar_translate ...)");
	if (rc < 0)
		host_log_free(h);
	return rc;
}

void host_log_free(struct host_log *h)
{
	iw_free(h->inv);
	iw_free(h->xl);
	memset(h, 0, sizeof(*h));
}

static bool inv_eq(const struct host_inv *x, const struct host_inv *y)
{
	if (x->gran != y->gran)
		return false;
	if (x->gran == HOST_INV_GLOBAL)
		return true;
	if (x->did != y->did)
		return false;
	return x->gran == HOST_INV_DOMAIN || (x->am == y->am && x->addr == y->addr);
}

int64_t host_log_align(const struct host_log *h, const struct host_inv *g, uint64_t n)
{
	if (n == 0 || n > h->ninv)
		return -1;
	for (uint64_t k = 0; k + n <= h->ninv; k++) {
		uint64_t i = 0;
		while (i < n && inv_eq(&h->inv[k + i], &g[i]))
			i++;
		if (i == n)
			return (int64_t)k;
	}
	return -1;
}
