/*
 * The Via shortcut against the parser: whenever sip_peek_top_via() takes a
 * message that sip_msg_parse() accepts, both must name the same bytes as
 * its top Via (the pipeline matches ACKs on the shortcut's answer).
 */
#include "fuzz_check.h"
#include "sip/sip_msg.h"
#include "sip/sip_peek.h"

static struct sip_msg m;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct slice in = slice_make((const char *) data, size), via;

    if (!sip_peek_top_via(in, &via)) {
        return 0;
    }
    check(via.len > 0);
    check_within(via, in);
    if (sip_msg_parse(&m, in) == 0) {
        const struct sip_hdr *h = sip_msg_hdr(&m, SIP_HDR_VIA);
        check(h && h->value.p == via.p && h->value.len == via.len);
    }
    return 0;
}
