/* `sipward sign`: STI-AS offline (RFC 8224 §6.1), and legacy RFC 4474. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/cli_stir.h"
#include "sip/sip_msg.h"
#include "stir/stir.h"

const char cmd_sign_usage[] =
    "usage: sipward sign --key KEY --x5u URL [OPTIONS] FILE\n"
    "       sipward sign --legacy --key RSAKEY --x5u URL FILE\n"
    "\n"
    "Signs the SIP request in FILE ('-' for stdin) and prints it with an\n"
    "Identity header added (RFC 8224 full form, SHAKEN PASSporT, ES256):\n"
    "orig from P-Asserted-Identity or From, dest from To, both canonical\n"
    "telephone numbers. A Date header is added when the request has none.\n"
    "\n"
    "options:\n"
    "  -k, --key FILE       EC P-256 private key, PEM (RSA with --legacy)\n"
    "  -u, --x5u URL        where verifiers fetch the certificate (info=)\n"
    "  -a, --attest A|B|C   attestation level (default A)\n"
    "  -o, --origid ID      origination identifier (default: a new UUID)\n"
    "  -t, --iat TIME       signing time, epoch seconds or\n"
    "                       2026-11-24T06:17:09Z (default: now)\n"
    "      --legacy         RFC 4474 Identity + Identity-Info, rsa-sha256\n"
    "  -h, --help           this text\n"
    "\n"
    "Exit status: 0 signed, 1 failure, 2 usage.\n";

static void
fmt_date(time_t t, char *dst, size_t size)
{
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(dst, size, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/* Prints msg with extra header lines inserted before the empty line. */
static int
print_with(struct slice msg, const char *lines)
{
    const char *end = memmem(msg.p, msg.len, "\r\n\r\n", 4);

    if (!end) {
        fprintf(stderr, "sipward sign: request has no end of headers\n");
        return 1;
    }
    size_t head = (size_t) (end - msg.p) + 2;
    fwrite(msg.p, 1, head, stdout);
    fputs(lines, stdout);
    fwrite(msg.p + head, 1, msg.len - head, stdout);
    return fflush(stdout) == 0 ? 0 : 1;
}

int
cmd_sign(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "key", required_argument, NULL, 'k' },
        { "x5u", required_argument, NULL, 'u' },
        { "attest", required_argument, NULL, 'a' },
        { "origid", required_argument, NULL, 'o' },
        { "iat", required_argument, NULL, 't' },
        { "legacy", no_argument, NULL, 'L' },
        { NULL, 0, NULL, 0 },
    };
    const char *key_path = NULL, *x5u = NULL, *origid = NULL;
    char attest = 'A', date[64], lines[8192], value[4096], info[1024];
    bool legacy = false;
    time_t iat = time(NULL);
    struct stir_signer *signer = NULL;
    struct sip_msg *m = NULL;
    struct stir_call call;
    char *msg = NULL, *key = NULL;
    size_t msg_len, key_len;
    int opt, rc = 1, err;

    opterr = 0;
    optind = 1;
    while (
        (opt = getopt_long(argc, argv, ":k:u:a:o:t:", longopts, NULL)) != -1) {
        switch (opt) {
        case 'k':
            key_path = optarg;
            break;
        case 'u':
            x5u = optarg;
            break;
        case 'a':
            if (strlen(optarg) != 1 || !strchr("ABC", optarg[0])) {
                return cli_usage_error("sign", "--attest is A, B or C");
            }
            attest = optarg[0];
            break;
        case 'o':
            origid = optarg;
            break;
        case 't':
            if (cli_parse_time(optarg, &iat) != 0) {
                return cli_usage_error("sign", "bad --iat '%s'", optarg);
            }
            break;
        case 'L':
            legacy = true;
            break;
        default:
            return cli_opt_error("sign", opt, argv);
        }
    }
    if (!key_path || !x5u || optind != argc - 1) {
        return cli_usage_error(
            "sign", "needs --key, --x5u and one FILE (try --help)");
    }
    stir_err_init();
    msg = cli_read_message(argv[optind], &msg_len);
    key = cli_read_file(key_path, &key_len);
    if (!msg || !key) {
        fprintf(stderr, "sipward sign: cannot read %s\n",
            msg ? key_path : argv[optind]);
        goto out;
    }
    m = malloc(sizeof(*m));
    if (!m) {
        goto out;
    }
    err = sip_msg_parse(m, slice_make(msg, msg_len));
    if (err || !m->request) {
        fprintf(stderr, "sipward sign: not a SIP request: %s\n",
            err ? err_str(err) : "a response");
        goto out;
    }
    if (stir_call_from_msg(&call, m) != 0) {
        fprintf(stderr, "sipward sign: request lacks From or To\n");
        goto out;
    }
    lines[0] = '\0';
    if (call.date.len == 0) {
        fmt_date(iat, date, sizeof(date));
        call.date = slice_cstr(date);
        snprintf(lines, sizeof(lines), "Date: %s\r\n", date);
    } else {
        time_t d;
        struct tm tm;
        char tmp[64];
        memset(&tm, 0, sizeof(tm));
        slice_copy(tmp, sizeof(tmp), call.date);
        char *e = strptime(tmp, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        d = e ? timegm(&tm) : 0;
        /* RFC 8224 §6.1: do not sign a request whose Date is off by more
         * than a minute. */
        if (!e || d - iat > 60 || iat - d > 60) {
            fprintf(stderr,
                "sipward sign: Date \"%.*s\" is more than 60 s from the "
                "signing time; refusing to sign (RFC 8224 §6.1)\n",
                SLICE_ARG(call.date));
            goto out;
        }
    }
    size_t used = strlen(lines);
    if (legacy) {
        err = stir_legacy_sign(key, key_len, &call, slice_cstr(x5u), value,
            sizeof(value), info, sizeof(info));
        if (err) {
            fprintf(stderr, "sipward sign: %s\n", err_str(err));
            goto out;
        }
        snprintf(lines + used, sizeof(lines) - used,
            "Identity: %s\r\nIdentity-Info: %s\r\n", value, info);
    } else {
        err = stir_signer_new(&signer, key, key_len, slice_cstr(x5u));
        if (err) {
            fprintf(stderr, "sipward sign: %s: %s (need an EC P-256 key)\n",
                key_path, err_str(err));
            goto out;
        }
        struct stir_sign_opts o = {
            .attest = attest,
            .origid = origid,
            .iat = iat,
            .orig_from_pai = true,
        };
        err = stir_sign(signer, &call, &o, value, sizeof(value));
        if (err < 0) {
            fprintf(stderr, "sipward sign: %s\n",
                err == STIR_E_NOT_TN
                    ? "From/P-Asserted-Identity and To must be telephone "
                      "numbers for SHAKEN"
                    : err_str(err));
            goto out;
        }
        snprintf(lines + used, sizeof(lines) - used, "Identity: %s\r\n", value);
    }
    rc = print_with(slice_make(msg, msg_len), lines);
out:
    stir_signer_free(signer);
    free(m);
    free(msg);
    free(key);
    return rc;
}
