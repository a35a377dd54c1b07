/*
 * The caching headers of an x5u response, which whoever runs the
 * certificate server controls: the input is the response head, one header
 * line at a time as libcurl hands them to the cache (Cache-Control
 * max-age / s-maxage / no-store / no-cache, Expires, Date). However they
 * read, the certificate's lifetime stays inside the configured bounds.
 */
#include "app/certfetch.h"
#include "fuzz_check.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct certcache_hdrs h;
    const time_t now = 1795501029;
    size_t start = 0;

    certcache_hdrs_init(&h);
    for (size_t i = 0; i < size; i++) {
        if (data[i] == '\n' || i + 1 == size) {
            certcache_hdrs_line(&h, (const char *) data + start, i + 1 - start);
            start = i + 1;
        }
    }
    time_t e = certcache_hdrs_expiry(&h, now, 60, 86400);
    check(e >= now + 60 && e <= now + 86400);
    e = certcache_hdrs_expiry(&h, now, 0, 604800);
    check(e >= now && e <= now + 604800);
    return 0;
}
