/*
 * Assertions the fuzz targets share. A failed one aborts, which libFuzzer
 * reports as a crash with the input that caused it.
 */
#ifndef SW_FUZZ_CHECK_H
#define SW_FUZZ_CHECK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "base/slice.h"
#include "sip/sip_hdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline void
check(bool ok)
{
    if (!ok) {
        abort();
    }
}

/* A zero-copy parser's output must point inside its input (or be empty). */
static inline void
check_within(struct slice part, struct slice in)
{
    check(part.len == 0
        || (part.p >= in.p && part.len <= in.len
            && (size_t) (part.p - in.p) <= in.len - part.len));
}

/*
 * A header value both whole and split into its comma-separated items, as
 * sip_msg_parse splits list headers: fn(item, in) for each.
 */
static inline void
each_item(struct slice in, void (*fn)(struct slice, struct slice))
{
    struct slice rest = in, item;
    int rc;

    fn(in, in);
    while ((rc = sip_list_next(&rest, &item)) == 1) {
        check_within(item, in);
        fn(item, in);
    }
    check(rc == 0 || rc < -4095);
}

#endif
