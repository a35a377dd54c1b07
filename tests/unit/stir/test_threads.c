/*
 * The sharing model the daemon relies on: one validated struct stir_cert
 * and one struct stir_trust used by several threads at once, each with its
 * own struct stir_vctx and struct stir_signer, no locks; references taken
 * and dropped concurrently.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>

#include "stir/stir_pki.h"
#include "stir_test.h"

#define NOW     ((time_t) 1795501029)
#define THREADS 4
#define ROUNDS  50

static struct stir_cert *cert;
static char *key_pem;
static size_t key_len;

static const struct stir_cert *
cred(void *arg, struct slice info, int *code, char *why, size_t size)
{
    (void) info;
    (void) code;
    (void) why;
    (void) size;
    return arg;
}

static void *
worker(void *arg)
{
    struct stir_vctx *v;
    struct stir_signer *s;
    struct stir_policy pol;
    struct stir_verdict *out = malloc(sizeof(*out));
    struct stir_call call;
    char ident[2048];
    long *ok = arg;

    stir_policy_default(&pol);
    if (stir_vctx_new(&v)
        || stir_signer_new(
            &s, key_pem, key_len, SLICE_LIT("https://c.example/sp.pem"))) {
        return NULL;
    }
    memset(&call, 0, sizeof(call));
    call.from = SLICE_LIT("<tel:+12155551212>");
    call.to = SLICE_LIT("<tel:+12155551213>");
    struct stir_sign_opts o = { .attest = 'B', .iat = NOW };
    for (int i = 0; i < ROUNDS; i++) {
        struct stir_cert *mine = stir_cert_ref(cert);
        if (stir_sign(s, &call, &o, ident, sizeof(ident)) > 0) {
            call.identity[0] = slice_cstr(ident);
            call.nidentity = 1;
            stir_verify(v, &call, cred, mine, &pol, NOW, out);
            *ok += out->code == STIR_PASS;
        }
        stir_cert_deref(mine);
    }
    stir_signer_free(s);
    stir_vctx_free(v);
    free(out);
    return NULL;
}

static void
test_shared_cert(void **state)
{
    struct stir_tnauth spc = { .n = 1 };
    struct stir_pki_opts o = { 0 };
    pthread_t th[THREADS];
    long ok[THREADS] = { 0 };
    char *pem = NULL;
    size_t len = 0;

    (void) state;
    spc.e[0].type = STIR_TNAUTH_SPC;
    strcpy(spc.e[0].value, "1234");
    EVP_PKEY *k = stir_pki_key_new("P-256");
    o.cn = "SHAKEN 1234";
    o.not_before = NOW - 60;
    o.not_after = NOW + 86400;
    o.pathlen = -1;
    o.tn = &spc;
    o.serial = 9;
    X509 *x = stir_pki_issue(k, &o, NULL, NULL);
    assert_non_null(x);
    assert_int_equal(stir_pki_pem_cert(x, &pem, &len), 0);
    assert_int_equal(stir_cert_parse(&cert, pem, len), 0);
    assert_int_equal(stir_pki_pem_key(k, &key_pem, &key_len), 0);
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_create(&th[i], NULL, worker, &ok[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(ok[i], ROUNDS);
    }
    cert = stir_cert_deref(cert);
    assert_null(cert);
    free(pem);
    free(key_pem);
    X509_free(x);
    EVP_PKEY_free(k);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shared_cert),
    };
    stir_err_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
