/*
 * TNAuthList DER (RFC 8226) through the OpenSSL-template parser. What
 * parses is encoded again and must parse to the same entries; coverage
 * queries run on it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "stir/stir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct stir_tnauth t, u;
    unsigned char *der = NULL;

    if (stir_tnauth_parse(&t, data, size) != 0) {
        return 0;
    }
    int len = stir_tnauth_encode(&t, &der);
    if (len <= 0 || stir_tnauth_parse(&u, der, (size_t) len) != 0
        || u.n != t.n) {
        abort();
    }
    for (size_t i = 0; i < t.n; i++) {
        if (u.e[i].type != t.e[i].type || u.e[i].count != t.e[i].count
            || strcmp(u.e[i].value, t.e[i].value) != 0) {
            abort();
        }
        (void) stir_tnauth_covers(&t, t.e[i].value);
    }
    (void) stir_tnauth_covers(&t, "12155551212");
    OPENSSL_free(der);
    return 0;
}
