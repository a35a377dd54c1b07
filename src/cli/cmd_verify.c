/* `sipward verify`: STI-VS offline (RFC 8224 §6.2), and RFC 4474. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/cli_stir.h"
#include "sip/sip_msg.h"
#include "stir/stir.h"

const char cmd_verify_usage[] =
    "usage: sipward verify --trust DIR [--cert FILE | --fetch] [OPTIONS] "
    "FILE\n"
    "\n"
    "Verifies every Identity header of the SIP request in FILE ('-' for\n"
    "stdin) and prints the verdict, the response code a verification\n"
    "service would answer (428, 436, 437, 438, 403 Stale Date) and the\n"
    "reason: which check or claim failed, with the values compared.\n"
    "\n"
    "options:\n"
    "  -T, --trust DIR       trust anchors and CRLs (*.pem *.crt *.crl)\n"
    "  -c, --cert FILE       certificate bundle for the info URL (leaf\n"
    "                        first, then intermediates)\n"
    "  -f, --fetch           fetch each info URL (http/https, 5 s timeout)\n"
    "  -n, --now TIME        verify as of TIME (epoch seconds or\n"
    "                        2026-11-24T06:17:09Z; default: now)\n"
    "      --freshness S     iat/Date window in seconds (default 60)\n"
    "      --skew S          extra clock-skew tolerance (default 5)\n"
    "      --spc CODE        the certificate must carry this SPC\n"
    "      --require-date    a missing Date header is a 403\n"
    "      --no-tnauth       accept certificates without TNAuthList\n"
    "  -h, --help            this text\n"
    "\n"
    "Exit status: 0 pass, 1 fail, 2 usage.\n";

#define MAX_URLS STIR_MAX_IDENTITY

struct cred {
    const struct stir_trust *trust;
    time_t now;
    bool fetch;
    struct stir_cert *file_cert;
    int file_code;
    char file_why[256];
    struct {
        char url[STIR_URI_MAX];
        struct stir_cert *cert;
        int code;
        char why[256];
    } cache[MAX_URLS];
    size_t ncache;
};

static void
load(struct cred *c, const char *pem, size_t len, struct stir_cert **out,
    int *code, char *why, size_t why_size)
{
    *out = NULL;
    if (stir_cert_parse(out, pem, len) != 0) {
        *code = STIR_BAD_CRED;
        snprintf(why, why_size, "credential is not a PEM certificate");
        return;
    }
    if (stir_cert_validate(*out, c->trust, c->now, why, why_size) != 0) {
        *code = STIR_BAD_CRED;
    }
}

static const struct stir_cert *
cred_cb(void *arg, struct slice info, int *code, char *why, size_t size)
{
    struct cred *c = arg;

    if (!c->fetch) {
        *code = c->file_code;
        snprintf(why, size, "%s", c->file_why);
        return c->file_code ? NULL : c->file_cert;
    }
    for (size_t i = 0; i < c->ncache; i++) {
        if (slice_eq(info, slice_cstr(c->cache[i].url))) {
            *code = c->cache[i].code;
            snprintf(why, size, "%s", c->cache[i].why);
            return c->cache[i].code ? NULL : c->cache[i].cert;
        }
    }
    if (c->ncache == MAX_URLS) {
        *code = STIR_BAD_INFO;
        snprintf(why, size, "too many info URLs");
        return NULL;
    }
    size_t k = c->ncache++;
    if (slice_copy(c->cache[k].url, sizeof(c->cache[k].url), info) != 0) {
        c->cache[k].code = STIR_BAD_INFO;
        snprintf(c->cache[k].why, sizeof(c->cache[k].why), "URL too long");
    } else {
        size_t len;
        char *pem = cli_fetch(
            c->cache[k].url, &len, c->cache[k].why, sizeof(c->cache[k].why));
        if (!pem) {
            c->cache[k].code = STIR_BAD_INFO;
        } else {
            load(c, pem, len, &c->cache[k].cert, &c->cache[k].code,
                c->cache[k].why, sizeof(c->cache[k].why));
            free(pem);
        }
    }
    *code = c->cache[k].code;
    snprintf(why, size, "%s", c->cache[k].why);
    return c->cache[k].code ? NULL : c->cache[k].cert;
}

int
cmd_verify(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "trust", required_argument, NULL, 'T' },
        { "cert", required_argument, NULL, 'c' },
        { "fetch", no_argument, NULL, 'f' },
        { "now", required_argument, NULL, 'n' },
        { "freshness", required_argument, NULL, 'F' },
        { "skew", required_argument, NULL, 'S' },
        { "spc", required_argument, NULL, 'P' },
        { "require-date", no_argument, NULL, 'D' },
        { "no-tnauth", no_argument, NULL, 'N' },
        { NULL, 0, NULL, 0 },
    };
    const char *trust_dir = NULL, *cert_path = NULL;
    struct stir_policy pol;
    struct stir_trust *trust = NULL;
    struct stir_vctx *v = NULL;
    struct stir_verdict *out = NULL;
    struct sip_msg *m = NULL;
    struct stir_call call;
    struct cred *c = NULL;
    char *msg = NULL;
    size_t msg_len;
    int opt, rc = 1, err;
    time_t now = time(NULL);
    bool fetch = false;
    char *end;

    stir_policy_default(&pol);
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, ":T:c:fn:", longopts, NULL)) != -1) {
        switch (opt) {
        case 'T':
            trust_dir = optarg;
            break;
        case 'c':
            cert_path = optarg;
            break;
        case 'f':
            fetch = true;
            break;
        case 'n':
            if (cli_parse_time(optarg, &now) != 0) {
                return cli_usage_error("verify", "bad --now '%s'", optarg);
            }
            break;
        case 'F':
        case 'S': {
            unsigned long val = strtoul(optarg, &end, 10);
            if (*end || end == optarg || val > 86400) {
                return cli_usage_error(
                    "verify", "bad number '%s' (0..86400)", optarg);
            }
            if (opt == 'F') {
                pol.freshness = (uint32_t) val;
            } else {
                pol.skew = (uint32_t) val;
            }
            break;
        }
        case 'P':
            pol.expected_spc = optarg;
            break;
        case 'D':
            pol.require_date = true;
            break;
        case 'N':
            pol.require_tnauth = false;
            break;
        default:
            return cli_opt_error("verify", opt, argv);
        }
    }
    if (!trust_dir || (!cert_path == !fetch) || optind != argc - 1) {
        return cli_usage_error("verify",
            "needs --trust DIR, one of --cert FILE or --fetch, and one FILE");
    }
    stir_err_init();
    c = calloc(1, sizeof(*c));
    m = malloc(sizeof(*m));
    out = malloc(sizeof(*out));
    if (!c || !m || !out || stir_trust_new(&trust) != 0
        || stir_vctx_new(&v) != 0) {
        goto out;
    }
    err = cli_load_trust(trust, trust_dir);
    if (err <= 0) {
        fprintf(stderr, "sipward verify: no trust anchor in %s\n", trust_dir);
        goto out;
    }
    msg = cli_read_message(argv[optind], &msg_len);
    if (!msg) {
        fprintf(stderr, "sipward verify: cannot read %s\n", argv[optind]);
        goto out;
    }
    err = sip_msg_parse(m, slice_make(msg, msg_len));
    if (err || !m->request || stir_call_from_msg(&call, m) != 0) {
        fprintf(stderr, "sipward verify: not a SIP request: %s\n",
            err ? err_str(err) : "no From/To or a response");
        goto out;
    }
    c->trust = trust;
    c->now = now;
    c->fetch = fetch;
    if (cert_path) {
        size_t len;
        char *pem = cli_read_file(cert_path, &len);
        if (!pem) {
            fprintf(stderr, "sipward verify: cannot read %s\n", cert_path);
            goto out;
        }
        load(c, pem, len, &c->file_cert, &c->file_code, c->file_why,
            sizeof(c->file_why));
        free(pem);
    }
    stir_verify(v, &call, cred_cb, c, &pol, now, out);
    printf("verdict: %s\n", out->code == STIR_PASS ? "pass" : "fail");
    printf("code: %d %s\n", out->code, stir_code_phrase(out->code));
    printf("reason: %s\n", out->reason);
    if (out->header >= 0) {
        printf("header: %d of %zu\n", out->header + 1, call.nidentity);
    }
    printf("verstat: %s\n", stir_verstat(out));
    char rv[256];
    if (stir_reason_value(out, false, rv, sizeof(rv)) > 0) {
        printf("reason-header: Reason: %s\n", rv);
    }
    if (out->code == STIR_PASS && out->pp.attest[0]) {
        printf("attest: %s\norigid: %s\n", out->pp.attest, out->pp.origid);
    }
    rc = out->code == STIR_PASS ? 0 : 1;
out:
    if (c) {
        stir_cert_deref(c->file_cert);
        for (size_t i = 0; i < c->ncache; i++) {
            stir_cert_deref(c->cache[i].cert);
        }
    }
    free(c);
    free(out);
    free(m);
    free(msg);
    stir_vctx_free(v);
    stir_trust_free(trust);
    return rc;
}
