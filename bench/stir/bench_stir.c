/*
 * STIR/SHAKEN throughput, one core per thread: ES256 signing through
 * stir_sign (PASSporT JSON, base64url, ECDSA, Identity header) and the
 * whole stir_verify path (parse the Identity header, decode, JSON claims,
 * ECDSA verify, claims against From/To, freshness) with the certificate
 * already validated, next to a raw EVP_PKEY_verify loop over a fixed
 * digest (what `openssl speed ecdsap256` measures). Rates are per CPU
 * second of each thread. run.sh prints the
 * `openssl speed` figures of the same run beside these.
 *
 *   bench_stir [SECONDS] [THREADS]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "sip/sip_msg.h"
#include "stir/stir_pki.h"

#define X5U "https://cert.example.net/sp-chain.pem"

static double secs = 3.0;
static struct stir_cert *cert;
static char *key_pem;
static size_t key_len;
static EVP_PKEY *leaf_key;
static time_t now;
static char message[4096];
static size_t message_len;

/* CPU time of the calling thread: like `openssl speed` (which counts user
 * CPU seconds unless -elapsed), the rate per core does not depend on what
 * else runs on a shared machine. */
static double
mono(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static const struct stir_cert *
cred(void *arg, struct slice info, int *code, char *why, size_t size)
{
    (void) arg;
    (void) info;
    (void) code;
    (void) why;
    (void) size;
    return cert; /* validated once, shared read-only by every thread */
}

static void
fmt_date(time_t t, char *dst, size_t size)
{
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(dst, size, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

static void
init_call(struct stir_call *c, const char *ident, const char *date)
{
    memset(c, 0, sizeof(*c));
    c->from = SLICE_LIT(
        "\"Alice\" <sip:+12155551212@a.example;user=phone>;tag=1928301774");
    c->to = SLICE_LIT("<sip:+12155551213@b.example;user=phone>");
    c->date = slice_cstr(date);
    c->identity[0] = slice_cstr(ident);
    c->nidentity = 1;
}

enum what {
    RAW_VERIFY,
    STIR_VERIFY,
    MSG_VERIFY,
    STIR_SIGN,
};

struct job {
    enum what what;
    double slice; /* seconds to run this time */
    double ops, time;
    int fail;
};

static void *
run(void *arg)
{
    struct job *j = arg;
    struct stir_vctx *v = NULL;
    struct stir_signer *s = NULL;
    struct stir_policy pol;
    struct stir_verdict *out = malloc(sizeof(*out));
    struct sip_msg *m = malloc(sizeof(*m));
    struct stir_call call;
    char ident[2048], date[64];
    long n = 0;
    double t0, t;

    stir_policy_default(&pol);
    fmt_date(now, date, sizeof(date));
    if (!out || !m || stir_vctx_new(&v) != 0
        || stir_signer_new(&s, key_pem, key_len, SLICE_LIT(X5U)) != 0) {
        j->fail = 1;
        goto done;
    }
    init_call(&call, "", date);
    struct stir_sign_opts o = { .attest = 'A',
        .iat = now,
        .origid = "8f1f3b0e-3b9e-4a51-9d0e-0b8c1a2f4e11" };
    if (stir_sign(s, &call, &o, ident, sizeof(ident)) < 0) {
        j->fail = 1;
        goto done;
    }
    init_call(&call, ident, date);

    /* Raw ECDSA verify over a fixed SHA-256 digest, context reused. */
    unsigned char md[32] = { 1, 2, 3 }, der[80];
    size_t dlen = sizeof(der);
    EVP_PKEY_CTX *sc = EVP_PKEY_CTX_new(leaf_key, NULL);
    EVP_PKEY_CTX *vc = EVP_PKEY_CTX_new(leaf_key, NULL);
    if (!sc || !vc || EVP_PKEY_sign_init(sc) != 1
        || EVP_PKEY_sign(sc, der, &dlen, md, sizeof(md)) != 1
        || EVP_PKEY_verify_init(vc) != 1) {
        j->fail = 1;
        goto raw_done;
    }
    t0 = mono();
    do {
        for (int k = 0; k < 64; k++) {
            switch (j->what) {
            case RAW_VERIFY:
                if (EVP_PKEY_verify(vc, der, dlen, md, sizeof(md)) != 1) {
                    j->fail = 1;
                }
                break;
            case STIR_VERIFY:
                stir_verify(v, &call, cred, NULL, &pol, now, out);
                if (out->code != STIR_PASS) {
                    j->fail = 1;
                }
                break;
            case MSG_VERIFY:
                /* Also parse the SIP request and find its headers. */
                if (sip_msg_parse(m, slice_make(message, message_len)) != 0
                    || stir_call_from_msg(&call, m) != 0) {
                    j->fail = 1;
                    break;
                }
                stir_verify(v, &call, cred, NULL, &pol, now, out);
                if (out->code != STIR_PASS) {
                    j->fail = 1;
                }
                break;
            case STIR_SIGN:
                if (stir_sign(s, &call, &o, ident, sizeof(ident)) < 0) {
                    j->fail = 1;
                }
                break;
            }
            n++;
        }
        t = mono() - t0;
    } while (t < j->slice && !j->fail);
    j->ops += (double) n;
    j->time += t;
raw_done:
    EVP_PKEY_CTX_free(sc);
    EVP_PKEY_CTX_free(vc);
done:
    stir_vctx_free(v);
    stir_signer_free(s);
    free(out);
    free(m);
    return NULL;
}

#define CASES  4
#define SLICES 6

/*
 * The four cases run in interleaved slices (raw, verify, parse+verify,
 * sign, raw, ...) so that load from other processes on a shared machine
 * hits them alike and the ratios stay meaningful.
 */
static void
measure(int threads, double rate[CASES])
{
    static struct job j[CASES][16];
    pthread_t th[16];

    memset(j, 0, sizeof(j));
    for (int sl = 0; sl < SLICES; sl++) {
        for (int c = 0; c < CASES; c++) {
            for (int i = 0; i < threads; i++) {
                j[c][i].what = (enum what) c;
                j[c][i].slice = secs / SLICES;
                pthread_create(&th[i], NULL, run, &j[c][i]);
            }
            for (int i = 0; i < threads; i++) {
                pthread_join(th[i], NULL);
                if (j[c][i].fail) {
                    fprintf(stderr, "bench_stir: case %d failed\n", c);
                    exit(1);
                }
            }
        }
    }
    for (int c = 0; c < CASES; c++) {
        rate[c] = 0;
        for (int i = 0; i < threads; i++) {
            rate[c] += j[c][i].ops / j[c][i].time;
        }
    }
}

static int
setup(void)
{
    struct stir_tnauth spc = { .n = 1 };
    struct stir_pki_opts o = { 0 };
    struct stir_trust *trust;
    char *pem = NULL, why[256], date[64], ident[2048];
    size_t len = 0;

    now = time(NULL);
    spc.e[0].type = STIR_TNAUTH_SPC;
    strcpy(spc.e[0].value, "1234");
    EVP_PKEY *rk = stir_pki_key_new("P-256"), *ik = stir_pki_key_new("P-256");
    leaf_key = stir_pki_key_new("P-256");
    o.not_before = now - 86400;
    o.not_after = now + 86400 * 365;
    o.cn = "Root";
    o.ca = true;
    o.pathlen = -1;
    o.serial = 1;
    X509 *root = stir_pki_issue(rk, &o, NULL, NULL);
    o.cn = "Inter";
    o.pathlen = 0;
    o.serial = 2;
    X509 *inter = stir_pki_issue(ik, &o, root, rk);
    o.cn = "SHAKEN 1234";
    o.ca = false;
    o.tn = &spc;
    o.serial = 3;
    X509 *leaf = stir_pki_issue(leaf_key, &o, inter, ik);
    if (!leaf || stir_pki_pem_cert(leaf, &pem, &len) != 0
        || stir_pki_pem_cert(inter, &pem, &len) != 0
        || stir_cert_parse(&cert, pem, len) != 0 || stir_trust_new(&trust)
        || stir_pki_pem_key(leaf_key, &key_pem, &key_len) != 0) {
        return -1;
    }
    free(pem);
    pem = NULL;
    len = 0;
    stir_pki_pem_cert(root, &pem, &len);
    stir_trust_add_pem(trust, pem, len);
    if (stir_cert_validate(cert, trust, now, why, sizeof(why)) != 0) {
        fprintf(stderr, "bench_stir: %s\n", why);
        return -1;
    }
    /* A whole INVITE carrying the Identity, for the parse+verify case. */
    struct stir_signer *s;
    struct stir_call c;
    struct stir_sign_opts so = { .attest = 'A', .iat = now, .origid = "x" };
    fmt_date(now, date, sizeof(date));
    init_call(&c, "", date);
    if (stir_signer_new(&s, key_pem, key_len, SLICE_LIT(X5U)) != 0
        || stir_sign(s, &c, &so, ident, sizeof(ident)) < 0) {
        return -1;
    }
    stir_signer_free(s);
    message_len = (size_t) snprintf(message, sizeof(message),
        "INVITE sip:+12155551213@b.example SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK776asdhds\r\n"
        "Max-Forwards: 70\r\n"
        "To: <sip:+12155551213@b.example;user=phone>\r\n"
        "From: \"Alice\" <sip:+12155551212@a.example;user=phone>;tag=19283\r\n"
        "Call-ID: a84b4c76e66710@pc33.a.example\r\n"
        "CSeq: 314159 INVITE\r\n"
        "Date: %s\r\n"
        "Identity: %s\r\n"
        "Contact: <sip:alice@10.0.0.1>\r\n"
        "Content-Length: 0\r\n\r\n",
        date, ident);
    stir_trust_free(trust);
    free(pem);
    X509_free(root);
    X509_free(inter);
    X509_free(leaf);
    EVP_PKEY_free(rk);
    EVP_PKEY_free(ik);
    return 0;
}

int
main(int argc, char **argv)
{
    int threads = 1;

    if (argc > 1) {
        secs = atof(argv[1]);
    }
    if (argc > 2) {
        threads = atoi(argv[2]);
    }
    if (secs <= 0 || threads < 1 || threads > 16) {
        fprintf(stderr, "usage: bench_stir [SECONDS] [THREADS 1..16]\n");
        return 2;
    }
    stir_err_init();
    if (setup() != 0) {
        fprintf(stderr, "bench_stir: setup failed\n");
        return 1;
    }
    double rate[CASES];
    measure(threads, rate);
    double raw = rate[RAW_VERIFY], sv = rate[STIR_VERIFY],
           mv = rate[MSG_VERIFY], sg = rate[STIR_SIGN];
    printf("threads=%d seconds=%.1f (%s)\n", threads, secs,
        OpenSSL_version(OPENSSL_VERSION));
    printf("raw EVP_PKEY_verify ES256      %10.0f verifies/s\n", raw);
    printf("stir_verify (Identity->verdict) %9.0f verifies/s  %5.1f%% of raw\n",
        sv, 100.0 * sv / raw);
    printf("sip_msg_parse + stir_verify    %10.0f verifies/s  %5.1f%% of raw\n",
        mv, 100.0 * mv / raw);
    printf("stir_sign (PASSporT+ES256+hdr) %10.0f signs/s\n", sg);
    /* one machine-readable line for bench/all.sh */
    printf("STIR threads=%d raw_verify_per_s=%.0f verify_per_s=%.0f "
           "msg_verify_per_s=%.0f sign_per_s=%.0f\n",
        threads, raw, sv, mv, sg);
    EVP_PKEY_free(leaf_key);
    free(key_pem);
    stir_cert_deref(cert);
    return 0;
}
