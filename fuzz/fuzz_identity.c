/*
 * Identity header values (RFC 8224 §4) through the parser and the whole
 * verification path: each input line is one Identity header of a request
 * whose From/To/Date are fixed; the credential is a fixed P-256 STIR
 * certificate, so base64url, JSON, claim and signature code all run.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stir/stir.h"

/* stir-reference.md §2.5 test certificate (SPC 1234), EC P-256. */
static const char cert_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIICQjCCAeegAwIBAgIUJaNBQfYQ4sXLRoWEVxR7CCxSsUMwCgYIKoZIzj0EAwIw\n"
    "QzELMAkGA1UEBhMCVVMxETAPBgNVBAoMCFRlc3QgU1RJMSEwHwYDVQQDDBhUZXN0\n"
    "IFNUSSBJbnRlcm1lZGlhdGUgQ0EwHhcNMjYxMTI0MDYxNjM3WhcNMjcxMTI0MDYx\n"
    "NjM3WjA1MQswCQYDVQQGEwJVUzEQMA4GA1UECgwHVGVzdCBTUDEUMBIGA1UEAwwL\n"
    "U0hBS0VOIDEyMzQwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQVkz2YqYMwMxgI\n"
    "Cuwsvvfta+MAlmQXCH82r9QyZWlyTJwuBrkz3FgrvwYBqzVLuxURGWAuua+cUufw\n"
    "u0K0oI4ro4HGMIHDMAwGA1UdEwEB/wQCMAAwDgYDVR0PAQH/BAQDAgeAMB0GA1Ud\n"
    "DgQWBBQh+vXJRNbbOwoAv1LMLgs0YO7idjAfBgNVHSMEGDAWgBTRveAFaGKnUVQz\n"
    "ru3+UYbhhRw41zAXBgNVHSAEEDAOMAwGCmCGSAGG/wkBAQEwMgYDVR0fBCswKTAn\n"
    "oCWgI4YhaHR0cDovLzEyNy4wLjAuMTo4MDgwL3Rlc3QtY2EuY3JsMBYGCCsGAQUF\n"
    "BwEaBAowCKAGFgQxMjM0MAoGCCqGSM49BAMCA0kAMEYCIQCJEg+CUD5Ive6t+nZ9\n"
    "Njezx63jmxceul+A19ZAplWxGQIhANxNACPMQCrkItBIZe+c82XBNR8Pfb6NO+Uu\n"
    "t4F7Pt+o\n"
    "-----END CERTIFICATE-----\n";

static struct stir_cert *cert;
static struct stir_vctx *vctx;

static const struct stir_cert *
cred(void *arg, struct slice info, int *code, char *why, size_t size)
{
    (void) arg;
    (void) why;
    (void) size;
    if (info.len && info.p[0] == 'x') {
        *code = 436;
        return NULL;
    }
    return cert;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct stir_identity id;
    struct stir_call call;
    struct stir_policy pol;
    struct stir_verdict *out;
    const char *why;
    struct slice in = slice_make((const char *) data, size);

    if (!cert) {
        stir_err_init();
        if (stir_cert_parse(&cert, cert_pem, sizeof(cert_pem) - 1) != 0
            || stir_vctx_new(&vctx) != 0) {
            abort();
        }
    }
    (void) stir_identity_parse(&id, in, &why);

    memset(&call, 0, sizeof(call));
    call.from = SLICE_LIT("<sip:+12155551212@127.0.0.1;user=phone>;tag=a");
    call.to = SLICE_LIT("<sip:+12155551213@127.0.0.1>");
    call.date = SLICE_LIT("Tue, 24 Nov 2026 06:17:09 GMT");
    /* One Identity header per line. */
    size_t start = 0;
    for (size_t i = 0; i <= size && call.nidentity < STIR_MAX_IDENTITY; i++) {
        if (i == size || data[i] == '\n') {
            call.identity[call.nidentity++] = slice_sub(in, start, i - start);
            start = i + 1;
        }
    }
    out = malloc(sizeof(*out));
    if (!out) {
        return 0;
    }
    stir_policy_default(&pol);
    stir_verify(vctx, &call, cred, NULL, &pol, 1795501029, out);
    if (out->code != 200 && out->code != 403 && out->code != 428
        && out->code != 436 && out->code != 437 && out->code != 438) {
        abort();
    }
    if (strnlen(out->reason, sizeof(out->reason)) == sizeof(out->reason)) {
        abort();
    }
    free(out);
    return 0;
}
