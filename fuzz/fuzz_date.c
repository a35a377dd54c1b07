/*
 * Date values (RFC 3261 §20.17, rfc1123-date in GMT). sipward reads a Date
 * in three places: the SIP header parser, the STIR verifier (RFC 4474 and
 * RFC 8224 freshness) and the STI-AS; they must agree. Whatever the SIP
 * parser accepts, the other two accept with the same time, and formatting
 * that time parses back to it.
 */
#include "app/sti_int.h"
#include "fuzz_check.h"
#include "sip/sip_hdr.h"
#include "stir/stir_int.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct slice in = slice_make((const char *) data, size);
    time_t t, t_stir, t_sti, t2;
    char d[40];

    int rc_stir = stir__parse_date(in, &t_stir);
    int rc_sti = sti__parse_date(in, &t_sti);
    if (sip_date_parse(&t, in) != 0) {
        return 0;
    }
    check(rc_stir == 0 && t_stir == t);
    check(rc_sti == 0 && t_sti == t);
    check(sip_date_format(d, sizeof(d), t) == 29);
    check(sip_date_parse(&t2, slice_make(d, 29)) == 0 && t2 == t);
    return 0;
}
