/*
 * Contact and name-addr values (RFC 3261 §20.10, §25.1; RFC 5626 §4.1):
 * the input is one header value, split into its items as sip_msg_parse
 * does; each item through sip_contact_parse (which runs sip_addr_parse and
 * sip_uri_parse), the display name through sip_display_unquote, and the
 * whole value through the STIR identity extraction (RFC 8224 §8) that
 * reads From, To and P-Asserted-Identity.
 */
#include <string.h>

#include "fuzz_check.h"
#include "sip/sip_hdr.h"
#include "stir/stir.h"

static void
addr(const struct sip_addr *a, struct slice in)
{
    char buf[256];

    check_within(a->display, in);
    check_within(a->uri_s, in);
    check_within(a->params, in);
    check_within(a->tag, in);
    check(a->uri_s.len > 0 && slice_eq(a->uri.raw, a->uri_s));
    int n = sip_display_unquote(buf, sizeof(buf), a->display);
    check(n < 0 || ((size_t) n < sizeof(buf) && strlen(buf) <= (size_t) n));
}

static void
item(struct slice v, struct slice in)
{
    struct sip_contact c;
    struct sip_addr a;
    struct stir_ident id;

    if (sip_contact_parse(&c, v) == 0 && !c.star) {
        addr(&c.addr, in);
        check(c.q >= -1 && c.q <= 1000);
        check(c.expires >= -1 && c.expires <= 0xffffffffLL);
        check(c.reg_id == -1 || c.reg_id > 0);
        check_within(c.instance, in);
    }
    if (sip_addr_parse(&a, v) == 0) {
        addr(&a, in);
    }
    if (stir_ident_from_header(&id, v) == 0) {
        check(strnlen(id.v, sizeof(id.v)) < sizeof(id.v));
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    each_item(slice_make((const char *) data, size), item);
    return 0;
}
