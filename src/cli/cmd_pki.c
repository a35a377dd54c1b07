/*
 * `sipward pki`: a test STI PKI (root CA, intermediate, CRL) and STIR
 * end-entity certificates with a correct TNAuthList (RFC 8226), made with
 * OpenSSL's X509 API. Layout of DIR:
 *   root.pem root.key            trust anchor (give DIR/trust to verify)
 *   inter.pem inter.key          issuing CA
 *   trust/root.pem trust/inter.crl.pem
 *   NAME.key NAME.pem            end entity (--name, default "sp")
 *   NAME-chain.pem               leaf + intermediate: publish at the x5u
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/pem.h>
#include <openssl/rand.h>

#include "cli/cli.h"
#include "cli/cli_stir.h"
#include "stir/stir_pki.h"

const char cmd_pki_usage[] =
    "usage: sipward pki init DIR\n"
    "       sipward pki issue [--dir DIR] [--name NAME] [--days N]\n"
    "                         (--spc CODE | --tn NUMBER... |\n"
    "                          --tn-range START COUNT)...\n"
    "\n"
    "init makes a test STI root CA, an intermediate CA and an empty CRL in\n"
    "DIR (P-256, ecdsa-with-SHA256, SHAKEN certificate policy); DIR/trust\n"
    "is what `sipward verify --trust` takes.\n"
    "\n"
    "issue makes an end-entity STIR certificate signed by the intermediate,\n"
    "with a TNAuthList extension (1.3.6.1.5.5.7.1.26, RFC 8226): SHAKEN\n"
    "certificates carry one --spc; RFC 8226 certificates may list numbers\n"
    "(--tn, repeatable, or several after one --tn) and ranges. Writes\n"
    "NAME.key, NAME.pem and NAME-chain.pem (publish this one at the x5u).\n"
    "\n"
    "options:\n"
    "  -d, --dir DIR            PKI directory (default ./pki)\n"
    "  -N, --name NAME          file name of the end entity (default sp)\n"
    "      --days N             validity (default 365)\n"
    "      --spc CODE           service provider code entry\n"
    "      --tn NUMBER...       telephone number entries\n"
    "      --tn-range START COUNT  a range of COUNT (>= 2) numbers\n"
    "  -h, --help               this text\n";

static uint64_t
serial(void)
{
    uint64_t s = 0;

    RAND_bytes((unsigned char *) &s, sizeof(s));
    return (s >> 1) | 1;
}

static int
write_pem_cert(const char *dir, const char *name, X509 *x, X509 *extra)
{
    char path[4096], *buf = NULL;
    size_t len = 0;
    int err = stir_pki_pem_cert(x, &buf, &len);

    if (!err && extra) {
        err = stir_pki_pem_cert(extra, &buf, &len);
    }
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (!err) {
        err = cli_write_file(path, buf, len, 0644);
    }
    free(buf);
    if (err) {
        fprintf(
            stderr, "sipward pki: cannot write %s: %s\n", path, err_str(err));
    }
    return err;
}

static int
write_key(const char *dir, const char *name, EVP_PKEY *k)
{
    char path[4096], *buf = NULL;
    size_t len = 0;
    int err = stir_pki_pem_key(k, &buf, &len);

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (!err) {
        err = cli_write_file(path, buf, len, 0600);
    }
    OPENSSL_cleanse(buf, len);
    free(buf);
    if (err) {
        fprintf(
            stderr, "sipward pki: cannot write %s: %s\n", path, err_str(err));
    }
    return err;
}

static int
pki_init(const char *dir)
{
    EVP_PKEY *rk = stir_pki_key_new("P-256"), *ik = stir_pki_key_new("P-256");
    X509 *root = NULL, *inter = NULL;
    X509_CRL *crl = NULL;
    time_t now = time(NULL);
    char path[4096], *buf = NULL;
    size_t len = 0;
    int rc = 1;

    if (!rk || !ik) {
        goto out;
    }
    snprintf(path, sizeof(path), "%s/trust", dir);
    if ((mkdir(dir, 0755) != 0 && errno != EEXIST)
        || (mkdir(path, 0755) != 0 && errno != EEXIST)) {
        fprintf(stderr, "sipward pki: cannot create %s: %s\n", path,
            strerror(errno));
        goto out;
    }
    struct stir_pki_opts o = { 0 };
    o.cn = "sipward Test STI Root CA";
    o.not_before = now - 86400;
    o.not_after = now + 10L * 365 * 86400;
    o.ca = true;
    o.pathlen = -1;
    o.serial = serial();
    root = stir_pki_issue(rk, &o, NULL, NULL);
    o.cn = "sipward Test STI Intermediate CA";
    o.not_after = now + 5L * 365 * 86400;
    o.pathlen = 0;
    o.shaken_policy = true;
    o.serial = serial();
    inter = root ? stir_pki_issue(ik, &o, root, rk) : NULL;
    crl = inter ? stir_pki_crl(inter, ik, NULL, 0, now - 86400, 30) : NULL;
    if (!crl) {
        fprintf(stderr, "sipward pki: certificate creation failed\n");
        goto out;
    }
    if (write_key(dir, "root.key", rk) || write_key(dir, "inter.key", ik)
        || write_pem_cert(dir, "root.pem", root, NULL)
        || write_pem_cert(dir, "inter.pem", inter, NULL)
        || write_pem_cert(dir, "trust/root.pem", root, NULL)) {
        goto out;
    }
    snprintf(path, sizeof(path), "%s/trust/inter.crl.pem", dir);
    if (stir_pki_pem_crl(crl, &buf, &len) != 0
        || cli_write_file(path, buf, len, 0644) != 0) {
        fprintf(stderr, "sipward pki: cannot write %s\n", path);
        goto out;
    }
    printf("test STI PKI in %s: root.pem (trust anchor, also in trust/), "
           "inter.pem, trust/inter.crl.pem\n",
        dir);
    rc = 0;
out:
    free(buf);
    X509_CRL_free(crl);
    X509_free(root);
    X509_free(inter);
    EVP_PKEY_free(rk);
    EVP_PKEY_free(ik);
    return rc;
}

static EVP_PKEY *
read_key(const char *path)
{
    size_t len;
    char *buf = cli_read_file(path, &len);
    EVP_PKEY *k = NULL;

    if (buf) {
        BIO *bio = BIO_new_mem_buf(buf, (int) len);
        k = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
        BIO_free(bio);
        OPENSSL_cleanse(buf, len);
        free(buf);
    }
    return k;
}

static X509 *
read_cert(const char *path)
{
    size_t len;
    char *buf = cli_read_file(path, &len);
    X509 *x = NULL;

    if (buf) {
        BIO *bio = BIO_new_mem_buf(buf, (int) len);
        x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
        BIO_free(bio);
        free(buf);
    }
    return x;
}

/* TelephoneNumber: 1..15 of digits, '#', '*' (canonical form). */
static int
add_tn(struct stir_tnauth *t, enum stir_tnauth_type type, const char *v,
    uint64_t count)
{
    char canon[STIR_TN_MAX];

    if (t->n == STIR_TNAUTH_MAX) {
        return cli_usage_error(
            "pki", "at most %d TNAuthList entries", STIR_TNAUTH_MAX);
    }
    if (type == STIR_TNAUTH_SPC) {
        if (!*v || strlen(v) >= STIR_TN_MAX) {
            return cli_usage_error("pki", "bad SPC '%s'", v);
        }
        snprintf(canon, sizeof(canon), "%s", v);
    } else if (stir_tn_canon(canon, sizeof(canon), slice_cstr(v)) != 0
        || strlen(canon) > 15) {
        return cli_usage_error(
            "pki", "'%s' is not a telephone number (max 15 digits)", v);
    }
    t->e[t->n].type = type;
    snprintf(t->e[t->n].value, sizeof(t->e[t->n].value), "%s", canon);
    t->e[t->n].count = count;
    t->n++;
    return 0;
}

static int
pki_issue(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "dir", required_argument, NULL, 'd' },
        { "name", required_argument, NULL, 'N' },
        { "days", required_argument, NULL, 'D' },
        { "spc", required_argument, NULL, 's' },
        { "tn", required_argument, NULL, 't' },
        { "tn-range", required_argument, NULL, 'r' },
        { NULL, 0, NULL, 0 },
    };
    const char *dir = "pki", *name = "sp";
    struct stir_tnauth tn;
    long days = 365;
    int opt, rc = 1;
    char path[4096], *end;
    EVP_PKEY *ik = NULL, *k = NULL;
    X509 *inter = NULL, *leaf = NULL;

    memset(&tn, 0, sizeof(tn));
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "+:d:N:", longopts, NULL)) != -1) {
        switch (opt) {
        case 'd':
            dir = optarg;
            break;
        case 'N':
            name = optarg;
            break;
        case 'D':
            days = strtol(optarg, &end, 10);
            if (*end || days < 1 || days > 3650) {
                return cli_usage_error("pki", "bad --days '%s'", optarg);
            }
            break;
        case 's':
            if (add_tn(&tn, STIR_TNAUTH_SPC, optarg, 0)) {
                return 2;
            }
            break;
        case 't':
            if (add_tn(&tn, STIR_TNAUTH_ONE, optarg, 0)) {
                return 2;
            }
            /* --tn N1 N2 N3: take the following plain arguments too. */
            while (optind < argc && argv[optind][0] != '-') {
                if (add_tn(&tn, STIR_TNAUTH_ONE, argv[optind++], 0)) {
                    return 2;
                }
            }
            break;
        case 'r': {
            if (optind >= argc) {
                return cli_usage_error("pki", "--tn-range needs START COUNT");
            }
            unsigned long long count = strtoull(argv[optind], &end, 10);
            if (*end || count < 2 || count > 1000000000000000ULL) {
                return cli_usage_error(
                    "pki", "--tn-range COUNT must be a number >= 2 (RFC 8226)");
            }
            if (add_tn(&tn, STIR_TNAUTH_RANGE, optarg, count)) {
                return 2;
            }
            optind++;
            break;
        }
        default:
            return cli_opt_error("pki", opt, argv);
        }
    }
    if (tn.n == 0 || optind != argc) {
        return cli_usage_error(
            "pki", "issue needs --spc, --tn or --tn-range (try --help)");
    }
    snprintf(path, sizeof(path), "%s/inter.key", dir);
    ik = read_key(path);
    snprintf(path, sizeof(path), "%s/inter.pem", dir);
    inter = read_cert(path);
    if (!ik || !inter) {
        fprintf(stderr,
            "sipward pki: no intermediate CA in %s (run `sipward pki init "
            "%s` first)\n",
            dir, dir);
        goto out;
    }
    k = stir_pki_key_new("P-256");
    time_t now = time(NULL);
    struct stir_pki_opts o = { 0 };
    char cn[96];
    snprintf(cn, sizeof(cn), "%s %s",
        tn.e[0].type == STIR_TNAUTH_SPC ? "SHAKEN" : "STIR", tn.e[0].value);
    o.cn = cn;
    o.not_before = now - 86400;
    o.not_after = now + days * 86400;
    o.tn = &tn;
    o.shaken_policy = true;
    o.serial = serial();
    leaf = k ? stir_pki_issue(k, &o, inter, ik) : NULL;
    if (!leaf) {
        fprintf(stderr, "sipward pki: certificate creation failed\n");
        goto out;
    }
    char kn[512], cn1[512], cn2[512];
    snprintf(kn, sizeof(kn), "%s.key", name);
    snprintf(cn1, sizeof(cn1), "%s.pem", name);
    snprintf(cn2, sizeof(cn2), "%s-chain.pem", name);
    if (write_key(dir, kn, k) || write_pem_cert(dir, cn1, leaf, NULL)
        || write_pem_cert(dir, cn2, leaf, inter)) {
        goto out;
    }
    printf("%s/%s (key), %s/%s, %s/%s (publish at the x5u URL)\n", dir, kn, dir,
        cn1, dir, cn2);
    rc = 0;
out:
    X509_free(leaf);
    X509_free(inter);
    EVP_PKEY_free(k);
    EVP_PKEY_free(ik);
    return rc;
}

int
cmd_pki(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "init") == 0) {
        if (argc != 3) {
            return cli_usage_error("pki", "usage: sipward pki init DIR");
        }
        return pki_init(argv[2]);
    }
    if (argc >= 2 && strcmp(argv[1], "issue") == 0) {
        return pki_issue(argc - 1, argv + 1);
    }
    return cli_usage_error(
        "pki", "expected 'init DIR' or 'issue' (try --help)");
}
