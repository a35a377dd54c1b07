/*
 * Via header values (RFC 3261 §20.42, RFC 3581 rport): the input is one
 * header value, split into its comma-separated hops as sip_msg_parse
 * does, each hop through sip_via_parse. Whatever parses must point inside
 * the input and carry in-range numbers; the parameters must walk to the
 * end.
 */
#include "fuzz_check.h"
#include "sip/sip_hdr.h"
#include "sip/sip_uri.h"

static void
hop(struct slice v, struct slice in)
{
    struct sip_via via;
    struct slice rest, n, pv;

    if (sip_via_parse(&via, v) != 0) {
        return;
    }
    check_within(via.proto, in);
    check_within(via.transport, in);
    check_within(via.host, in);
    check_within(via.params, in);
    check_within(via.branch, in);
    check_within(via.received, in);
    check_within(via.maddr, in);
    check(via.host.len > 0 && via.host_type <= SIP_HOST_IPV6);
    check(via.rport >= -1 && via.rport <= 65535);
    check(via.ttl >= -1 && via.ttl <= 255);
    rest = via.params;
    while (sip_param_next(&rest, &n, &pv)) {
        check_within(n, in);
        check_within(pv, in);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    each_item(slice_make((const char *) data, size), hop);
    return 0;
}
