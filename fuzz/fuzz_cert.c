/*
 * What an x5u fetch returns (RFC 8224 §6.2.2, RFC 8226): a PEM bundle,
 * leaf first. The input goes through stir_cert_parse (leaf key, validity,
 * TNAuthList), chain validation against the test root CA at a fixed
 * time, the TNAuthList coverage check, and the trust-store loader (PEM
 * certificates and CRLs).
 */
#include <stdio.h>
#include <string.h>

#include "fuzz_check.h"
#include "stir/stir.h"

static struct stir_trust *trust;

static void
setup(void)
{
    char buf[8192];
    FILE *f = fopen(SW_TEST_DATA "/stir/kam_root.pem", "rb");
    size_t n;

    stir_err_init();
    check(f != NULL);
    n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    check(stir_trust_new(&trust) == 0);
    check(stir_trust_add_pem(trust, buf, n) == 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct stir_cert *c = NULL;
    struct stir_trust *t = NULL;
    char why[256];

    if (!trust) {
        setup();
    }
    if (stir_cert_parse(&c, data, size) == 0) {
        check(stir_cert_pkey(c) != NULL);
        const struct stir_tnauth *ta = stir_cert_tnauth(c);
        if (ta) {
            check(ta->n <= STIR_TNAUTH_MAX);
            (void) stir_tnauth_covers(ta, "12155551212");
        }
        why[0] = '\0';
        if (stir_cert_validate(c, trust, 1795501029, why, sizeof(why)) != 0) {
            check(why[0] && strnlen(why, sizeof(why)) < sizeof(why));
        }
        c = stir_cert_deref(c);
    }
    if (stir_trust_new(&t) == 0) {
        (void) stir_trust_add_pem(t, data, size);
        stir_trust_free(t);
    }
    return 0;
}
