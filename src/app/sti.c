#define LOG_MODULE "stir"
#include "app/sti_int.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "base/log.h"
#include "stir/stir_pki.h"

#define OPT(k, type, field, min, max, def, help)                               \
    {                                                                          \
        "stir", k, type, offsetof(struct sti_conf, field), min, max, def,      \
            help, 0                                                            \
    }

static const struct conf_opt sti_opts[] = {
    OPT("verify_from", CONF_STR, verify_from, 0, 4096, "*",
        "STI-VS answers INVITEs from these sources: * (any), addresses, "
        "prefixes (10.0.0.0/8) or listeners (udp:127.0.0.1:5060), "
        "comma-separated; empty = off. With *, only INVITEs carrying "
        "Identity (unless no_identity is mark or reject)"),
    OPT("sign_from", CONF_STR, sign_from, 0, 4096, "",
        "STI-AS signs INVITEs without Identity from these sources (same "
        "forms as verify_from); empty = off"),
    OPT("policy", CONF_STR, policy, 0, 16, "reject",
        "failed verification: reject (RFC 8224 code + Reason) or mark "
        "(302 with verstat=TN-Validation-Failed and the Reason)"),
    OPT("no_identity", CONF_STR, no_identity, 0, 16, "pass",
        "INVITE without Identity: pass (to the next service), mark (302 "
        "with verstat=No-TN-Validation) or reject (428)"),
    OPT("replay", CONF_STR, replay, 0, 16, "flag",
        "a verified PASSporT seen again from another Call-ID within the "
        "freshness window: off, flag (TN-Validation-Failed + Reason) or "
        "reject (403)"),
    OPT("freshness", CONF_INT, freshness, 1, 3600, "60",
        "seconds an iat (and Date) may be away from now (RFC 8224 §6.2)"),
    OPT("attest", CONF_STR, attest, 0, 1, "A",
        "attestation STI-AS signs with when the request carries no "
        "Attestation or P-Attestation-Indicator header: A, B or C"),
    OPT("key", CONF_STR, key, 0, 4096, "",
        "STI-AS private key (PEM, EC P-256); empty = the test PKI's"),
    OPT("cert", CONF_STR, cert, 0, 4096, "",
        "certificate chain (PEM, leaf first) served at /certs/<name>.pem; "
        "empty = the test PKI's"),
    OPT("x5u", CONF_STR, x5u, 0, 255, "",
        "URL signatures name (info=, x5u); empty = "
        "http://<http.listen>/certs/<cert_name>.pem"),
    OPT("pki_dir", CONF_STR, pki_dir, 0, 4096, "",
        "where the test PKI lives (created on first start when key is "
        "empty); empty = pki/ next to store.path"),
    OPT("cert_name", CONF_STR, cert_name, 1, 63, "sp",
        "name of our chain: /certs/<cert_name>.pem"),
    OPT("trust", CONF_STR, trust, 0, 4096, "",
        "directory of trust anchors (STI-PA list) and CRLs, *.pem *.crt "
        "*.crl; empty = the test PKI's trust/"),
    OPT("http_hosts", CONF_STR, http_hosts, 0, 4096, "",
        "hosts whose certificates may be fetched over http (else https "
        "only); our own HTTP listener is always allowed"),
    OPT("private_hosts", CONF_STR, private_hosts, 0, 4096, "",
        "hosts or addresses allowed although special-purpose (RFC 6890: "
        "loopback, private, ...); our own HTTP listener is always allowed"),
    OPT("fetch_timeout_ms", CONF_INT, fetch_timeout_ms, 100, 30000, "2000",
        "certificate fetch timeout"),
    OPT("fetch_max_bytes", CONF_INT, fetch_max_bytes, 1024, 1048576, "65536",
        "largest certificate bundle fetched"),
    OPT("cache_ttl_min", CONF_INT, cache_ttl_min, 0, 86400, "60",
        "seconds a fetched certificate stays cached at least"),
    OPT("cache_ttl_max", CONF_INT, cache_ttl_max, 1, 604800, "86400",
        "at most (also the lifetime without Cache-Control/Expires); never "
        "past the certificate's notAfter"),
    OPT("cache_neg_ttl", CONF_INT, cache_neg_ttl, 0, 3600, "30",
        "seconds a failed fetch is remembered"),
    OPT("cache_max", CONF_INT, cache_max, 16, 1000000, "10000",
        "certificates cached at most"),
    OPT("vs_mode", CONF_STR, vs_mode, 0, 16, "redirect",
        "STI-VS: redirect (answer 302 with verstat, the interface an SBC "
        "dips) or proxy (inline: forward the INVITE to next_hop with "
        "verstat added, RFC 3261 §16)"),
    OPT("as_mode", CONF_STR, as_mode, 0, 16, "redirect",
        "STI-AS: redirect (answer 302 with the Identity header) or proxy "
        "(inline: forward the INVITE to next_hop with Identity and Date "
        "added)"),
    OPT("next_hop", CONF_STR, next_hop, 0, 255, "",
        "where the inline services forward: udp:IP:PORT or tcp:IP:PORT "
        "(IPv6 in brackets), an outbound proxy (the Request-URI is kept); "
        "required when a mode is proxy. Requests inside the dialogs go "
        "there too"),
    OPT("record_route", CONF_BOOL, record_route, 0, 0, "false",
        "inline: add Record-Route (;lr) so that the rest of the dialog "
        "passes through sipward"),
    OPT("replay_max", CONF_INT, replay_max, 1024, 16777216, "262144",
        "PASSporTs remembered for replay detection (rounded up to a power "
        "of two)"),
};

void
sti_conf_register(struct conf *c, struct sti_conf *sc)
{
    conf_add(c, sti_opts, sizeof(sti_opts) / sizeof(sti_opts[0]), sc);
}

static int
one_of(const char *v, const char *const *names)
{
    for (int i = 0; names[i]; i++) {
        if (strcmp(v, names[i]) == 0) {
            return i;
        }
    }
    return -1;
}

static const char *const policy_names[] = { "reject", "mark", NULL };
static const char *const noid_names[] = { "reject", "mark", "pass", NULL };
static const char *const replay_names[] = { "off", "flag", "reject", NULL };
static const char *const mode_names[] = { "redirect", "proxy", NULL };

int
sti_conf_validate(struct conf *c, const struct sti_conf *sc)
{
    if (one_of(sc->policy, policy_names) < 0) {
        snprintf(c->err, sizeof(c->err),
            "stir.policy: '%s' is not one of reject, mark", sc->policy);
        return CONF_E_BAD_VALUE;
    }
    if (one_of(sc->no_identity, noid_names) < 0) {
        snprintf(c->err, sizeof(c->err),
            "stir.no_identity: '%s' is not one of pass, mark, reject",
            sc->no_identity);
        return CONF_E_BAD_VALUE;
    }
    if (one_of(sc->replay, replay_names) < 0) {
        snprintf(c->err, sizeof(c->err),
            "stir.replay: '%s' is not one of off, flag, reject", sc->replay);
        return CONF_E_BAD_VALUE;
    }
    if (one_of(sc->vs_mode, mode_names) < 0
        || one_of(sc->as_mode, mode_names) < 0) {
        snprintf(c->err, sizeof(c->err),
            "stir.%s: '%s' is not one of redirect, proxy",
            one_of(sc->vs_mode, mode_names) < 0 ? "vs_mode" : "as_mode",
            one_of(sc->vs_mode, mode_names) < 0 ? sc->vs_mode : sc->as_mode);
        return CONF_E_BAD_VALUE;
    }
    if ((strcmp(sc->vs_mode, "proxy") == 0 || strcmp(sc->as_mode, "proxy") == 0)
        && !sc->next_hop[0]) {
        snprintf(c->err, sizeof(c->err),
            "stir.next_hop: required when stir.vs_mode or stir.as_mode is "
            "proxy (e.g. udp:192.0.2.10:5060)");
        return CONF_E_BAD_VALUE;
    }
    if (sc->next_hop[0]) {
        struct transport_listener hop;
        size_t n = 0;
        char why[200];
        if (transport_listeners_parse(
                sc->next_hop, &hop, 1, &n, why, sizeof(why))
                != 0
            || n != 1 || hop.proto == TRANSPORT_TLS) {
            snprintf(c->err, sizeof(c->err),
                "stir.next_hop: '%s' is not one udp:IP:PORT or tcp:IP:PORT",
                sc->next_hop);
            return CONF_E_BAD_VALUE;
        }
    }
    if (strlen(sc->attest) != 1 || !strchr("ABC", sc->attest[0])) {
        snprintf(c->err, sizeof(c->err),
            "stir.attest: '%s' is not one of A, B, C", sc->attest);
        return CONF_E_BAD_VALUE;
    }
    if (!sc->key[0] != !sc->cert[0]) {
        snprintf(c->err, sizeof(c->err),
            "stir.key and stir.cert: set both or neither (neither: a test "
            "PKI is used)");
        return CONF_E_BAD_VALUE;
    }
    if (strchr(sc->cert_name, '/') || strchr(sc->cert_name, '.')) {
        snprintf(c->err, sizeof(c->err),
            "stir.cert_name: '%s' must not contain '/' or '.'", sc->cert_name);
        return CONF_E_BAD_VALUE;
    }
    if (sc->x5u[0] && strncmp(sc->x5u, "https://", 8) != 0
        && strncmp(sc->x5u, "http://", 7) != 0) {
        snprintf(c->err, sizeof(c->err), "stir.x5u: '%s' is not an http(s) URL",
            sc->x5u);
        return CONF_E_BAD_VALUE;
    }
    return 0;
}

/* ---- sources ---- */

static int
src_parse(struct sti_src *s, const char *spec, const char *opt,
    const struct transport_listener *ls, size_t nls)
{
    char buf[4096], *save = NULL;

    memset(s, 0, sizeof(*s));
    snprintf(buf, sizeof(buf), "%s", spec);
    for (char *t = strtok_r(buf, ", ", &save); t;
         t = strtok_r(NULL, ", ", &save)) {
        if (strcmp(t, "*") == 0) {
            s->any = true;
            continue;
        }
        if (s->n == STI_MAX_SRC) {
            log_error("stir.%s: more than %d sources", opt, STI_MAX_SRC);
            return -E2BIG;
        }
        bool found = false;
        for (size_t i = 0; i < nls; i++) {
            if (strcmp(ls[i].text, t) == 0) {
                s->e[s->n].listener = true;
                s->e[s->n].index = (uint16_t) i;
                found = true;
                break;
            }
        }
        if (!found) {
            char *slash = strchr(t, '/');
            int bits = -1;
            if (slash) {
                *slash = '\0';
                bits = atoi(slash + 1);
            }
            if (inet_pton(AF_INET, t, s->e[s->n].addr) == 1) {
                s->e[s->n].family = AF_INET;
                bits = bits < 0 || bits > 32 ? 32 : bits;
            } else if (inet_pton(AF_INET6, t, s->e[s->n].addr) == 1) {
                s->e[s->n].family = AF_INET6;
                bits = bits < 0 || bits > 128 ? 128 : bits;
            } else {
                log_error("stir.%s: '%s' is neither an address, a prefix nor "
                          "one of the sip.listen listeners",
                    opt, t);
                return -EINVAL;
            }
            s->e[s->n].bits = bits;
        }
        s->n++;
    }
    return 0;
}

static bool
prefix_eq(const uint8_t *a, const uint8_t *b, int bits)
{
    int full = bits / 8, rest = bits % 8;

    if (memcmp(a, b, (size_t) full) != 0) {
        return false;
    }
    if (rest == 0) {
        return true;
    }
    uint8_t mask = (uint8_t) (0xff << (8 - rest));
    return (a[full] & mask) == (b[full] & mask);
}

bool
sti__src_match(const struct sti_src *src, const struct transport_ep *ep)
{
    if (src->any) {
        return true;
    }
    for (size_t i = 0; i < src->n; i++) {
        if (src->e[i].listener) {
            if (src->e[i].index == ep->listener) {
                return true;
            }
            continue;
        }
        const uint8_t *a = NULL;
        if (src->e[i].family == AF_INET && ep->addr.sa.sa_family == AF_INET) {
            a = (const uint8_t *) &ep->addr.in.sin_addr;
        } else if (src->e[i].family == AF_INET6
            && ep->addr.sa.sa_family == AF_INET6) {
            a = ep->addr.in6.sin6_addr.s6_addr;
        }
        if (a && prefix_eq(a, src->e[i].addr, src->e[i].bits)) {
            return true;
        }
    }
    return false;
}

/* ---- replay cache ---- */

static uint64_t
fnv(struct slice s)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < s.len; i++) {
        h = (h ^ (unsigned char) s.p[i]) * 1099511628211ull;
    }
    return h | 1; /* 0 marks an empty slot */
}

bool
sti__replay_seen(
    struct sti *s, struct slice sig, struct slice call_id, time_t now)
{
    uint64_t h = fnv(sig), c = fnv(call_id);
    size_t victim = h & s->rmask;
    bool replay = false;

    pthread_mutex_lock(&s->rlock);
    for (size_t k = 0; k < 8; k++) {
        struct sti_replay_slot *e = &s->rslots[(h + k) & s->rmask];
        if (e->sig == h && e->expires > now) {
            replay = e->call != c;
            goto out;
        }
        if (e->expires < s->rslots[victim].expires) {
            victim = (h + k) & s->rmask;
        }
    }
    /* A PASSporT is fresh for the window on either side of its iat: keep
     * it for twice that. */
    s->rslots[victim] = (struct sti_replay_slot){ h, c,
        now + 2 * (time_t) s->pol.freshness + (time_t) s->pol.skew };
out:
    pthread_mutex_unlock(&s->rlock);
    return replay;
}

/* ---- helpers ---- */

void
sti__fmt_date(time_t t, char *dst, size_t size)
{
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(dst, size, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

int
sti__parse_date(struct slice d, time_t *out)
{
    char tmp[64];
    struct tm tm;

    memset(&tm, 0, sizeof(tm));
    if (slice_copy(tmp, sizeof(tmp), slice_trim(d)) != 0) {
        return -EINVAL;
    }
    char *e = strptime(tmp, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (!e) {
        return -EINVAL;
    }
    *out = timegm(&tm);
    return 0;
}

void
sti__reason(char *dst, size_t size, int code, const char *text)
{
    /* a cut text still makes a well-formed header */
    (void) stir_reason_fmt(dst, size, false, code, text);
}

/* ---- files and the test PKI ---- */

static char *
read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "re");
    char *buf = NULL;
    long n;

    if (!f) {
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && n < (1 << 24)
        && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t) n + 1))) {
        if (fread(buf, 1, (size_t) n, f) != (size_t) n) {
            free(buf);
            buf = NULL;
        } else {
            buf[n] = '\0';
            *len = (size_t) n;
        }
    }
    fclose(f);
    return buf;
}

static int
write_file(const char *path, const char *buf, size_t len, int mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    int rc = 0;

    if (fd < 0) {
        return -errno;
    }
    if (write(fd, buf, len) != (ssize_t) len || fsync(fd) != 0) {
        rc = -EIO;
    }
    close(fd);
    return rc;
}

static int
trust_load_dir(struct stir_trust *t, const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int total = 0;

    if (!d) {
        return -errno;
    }
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        char path[4096];
        size_t len;

        if (e->d_name[0] == '.' || n < 5
            || (strcmp(e->d_name + n - 4, ".pem") != 0
                && strcmp(e->d_name + n - 4, ".crt") != 0
                && strcmp(e->d_name + n - 4, ".cer") != 0
                && strcmp(e->d_name + n - 4, ".crl") != 0)) {
            continue;
        }
        if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name)
            >= (int) sizeof(path)) {
            continue;
        }
        char *buf = read_file(path, &len);
        int k = buf ? stir_trust_add_pem(t, buf, len) : -(errno ? errno : EIO);
        if (k > 0) {
            total += k;
        } else {
            log_warn("stir.trust: %s: %s", path,
                k == 0 ? "no certificate or CRL" : err_str(k));
        }
        free(buf);
    }
    closedir(d);
    return total;
}

static uint64_t
serial(void)
{
    uint64_t s = 0;
    RAND_bytes((unsigned char *) &s, sizeof(s));
    return (s >> 1) | 1;
}

/* Appends PEM text to a file under dir. */
static int
put(const char *dir, const char *name, char *buf, size_t len, int mode)
{
    char path[4096];

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return write_file(path, buf, len, mode);
}

/*
 * The layout `sipward pki init` + `pki issue` make: root.pem root.key
 * inter.pem inter.key trust/root.pem NAME.key NAME.pem NAME-chain.pem.
 * The end entity is a SHAKEN certificate with SPC "TEST" (covers any TN).
 */
static int
pki_create(const char *dir, const char *name)
{
    EVP_PKEY *rk = stir_pki_key_new("P-256"), *ik = stir_pki_key_new("P-256"),
             *lk = stir_pki_key_new("P-256");
    X509 *root = NULL, *inter = NULL, *leaf = NULL;
    time_t now = time(NULL);
    char path[4096], file[128];
    struct {
        char *p;
        size_t len;
    } b[7];
    int rc = -EIO;

    memset(b, 0, sizeof(b));
    snprintf(path, sizeof(path), "%s", dir);
    /* parents too (var/ may not exist yet with a database store) */
    for (char *q = strchr(path + 1, '/'); q; q = strchr(q + 1, '/')) {
        *q = '\0';
        mkdir(path, 0750);
        *q = '/';
    }
    if (snprintf(path, sizeof(path), "%s/trust", dir) >= (int) sizeof(path)) {
        rc = -ENAMETOOLONG;
        goto out;
    }
    if ((mkdir(dir, 0750) != 0 && errno != EEXIST)
        || (mkdir(path, 0755) != 0 && errno != EEXIST)) {
        rc = -errno;
        log_error("stir: cannot create %s: %s", path, strerror(errno));
        goto out;
    }
    if (!rk || !ik || !lk) {
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
    struct stir_tnauth tn = { .n = 1 };
    tn.e[0].type = STIR_TNAUTH_SPC;
    snprintf(tn.e[0].value, sizeof(tn.e[0].value), "TEST");
    struct stir_pki_opts l = { 0 };
    l.cn = "sipward test SHAKEN SPC TEST";
    l.not_before = now - 86400;
    l.not_after = now + 365L * 86400;
    l.pathlen = -1;
    l.tn = &tn;
    l.shaken_policy = true;
    l.serial = serial();
    leaf = inter ? stir_pki_issue(lk, &l, inter, ik) : NULL;
    if (!leaf || stir_pki_pem_key(rk, &b[0].p, &b[0].len)
        || stir_pki_pem_key(ik, &b[1].p, &b[1].len)
        || stir_pki_pem_key(lk, &b[2].p, &b[2].len)
        || stir_pki_pem_cert(root, &b[3].p, &b[3].len)
        || stir_pki_pem_cert(inter, &b[4].p, &b[4].len)
        || stir_pki_pem_cert(leaf, &b[5].p, &b[5].len)
        || stir_pki_pem_cert(leaf, &b[6].p, &b[6].len)
        || stir_pki_pem_cert(inter, &b[6].p, &b[6].len)) {
        log_error("stir: test PKI creation failed");
        goto out;
    }
    rc = put(dir, "root.key", b[0].p, b[0].len, 0600);
    rc = rc ? rc : put(dir, "inter.key", b[1].p, b[1].len, 0600);
    rc = rc ? rc : put(dir, "root.pem", b[3].p, b[3].len, 0644);
    rc = rc ? rc : put(dir, "trust/root.pem", b[3].p, b[3].len, 0644);
    rc = rc ? rc : put(dir, "inter.pem", b[4].p, b[4].len, 0644);
    snprintf(file, sizeof(file), "%s.pem", name);
    rc = rc ? rc : put(dir, file, b[5].p, b[5].len, 0644);
    snprintf(file, sizeof(file), "%s-chain.pem", name);
    rc = rc ? rc : put(dir, file, b[6].p, b[6].len, 0644);
    /* The key last: its presence means the PKI is complete. */
    snprintf(file, sizeof(file), "%s.key", name);
    rc = rc ? rc : put(dir, file, b[2].p, b[2].len, 0600);
    if (rc) {
        log_error(
            "stir: cannot write the test PKI in %s: %s", dir, strerror(-rc));
    }
out:
    for (size_t i = 0; i < 7; i++) {
        if (b[i].p) {
            OPENSSL_cleanse(b[i].p, b[i].len);
            free(b[i].p);
        }
    }
    X509_free(root);
    X509_free(inter);
    X509_free(leaf);
    EVP_PKEY_free(rk);
    EVP_PKEY_free(ik);
    EVP_PKEY_free(lk);
    return rc;
}

static int
load_keys(struct sti *s, const struct sti_conf *c, const char *store_path,
    char *trust_dir, size_t trust_size)
{
    char dir[4096], key[4200], chain[4200];

    if (c->key[0]) {
        snprintf(key, sizeof(key), "%s", c->key);
        snprintf(chain, sizeof(chain), "%s", c->cert);
        snprintf(trust_dir, trust_size, "%s", c->trust);
    } else {
        if (c->pki_dir[0]) {
            snprintf(dir, sizeof(dir), "%s", c->pki_dir);
        } else {
            const char *slash = strrchr(store_path, '/');
            if (strstr(store_path, "://")
                || strncmp(store_path, "host=", 5) == 0
                || strncmp(store_path, "postgres", 8) == 0) {
                /* a database URL, not a file: the default data directory */
                snprintf(dir, sizeof(dir), "var/pki");
            } else if (slash) {
                snprintf(dir, sizeof(dir), "%.*s/pki",
                    (int) (slash - store_path), store_path);
            } else {
                snprintf(dir, sizeof(dir), "pki");
            }
        }
        snprintf(key, sizeof(key), "%s/%s.key", dir, c->cert_name);
        snprintf(chain, sizeof(chain), "%s/%s-chain.pem", dir, c->cert_name);
        if (c->trust[0]) {
            snprintf(trust_dir, trust_size, "%s", c->trust);
        } else {
            if (snprintf(trust_dir, trust_size, "%s/trust", dir)
                >= (int) trust_size) {
                return -ENAMETOOLONG;
            }
        }
        if (access(key, R_OK) != 0) {
            int rc = pki_create(dir, c->cert_name);
            if (rc) {
                return rc;
            }
            log_info("stir: created a test STI PKI in %s (root CA, "
                     "intermediate, SHAKEN certificate %s for SPC TEST); "
                     "verification trusts %s",
                dir, c->cert_name, trust_dir);
        }
    }
    s->key_pem = read_file(key, &s->key_len);
    s->chain_pem = read_file(chain, &s->chain_len);
    if (!s->key_pem || !s->chain_pem) {
        log_error("stir: cannot read %s: %s", s->key_pem ? chain : key,
            strerror(errno));
        return -ENOENT;
    }
    return 0;
}

int
sti_new(struct sti **sp, const struct sti_conf *c, const char *store_path,
    const struct transport_listener *ls, size_t nls)
{
    struct sti *s = calloc(1, sizeof(*s));
    char trust_dir[4096];
    int rc;

    if (!s) {
        return -ENOMEM;
    }
    stir_err_init();
    pthread_mutex_init(&s->rlock, NULL);
    pthread_mutex_init(&s->trust_reload, NULL);
    rc = src_parse(&s->vsrc, c->verify_from, "verify_from", ls, nls);
    rc = rc ? rc : src_parse(&s->asrc, c->sign_from, "sign_from", ls, nls);
    if (rc) {
        goto fail;
    }
    s->fail_policy = (enum sti_policy) one_of(c->policy, policy_names);
    s->no_identity = (enum sti_policy) one_of(c->no_identity, noid_names);
    s->replay = (enum sti_replay) one_of(c->replay, replay_names);
    s->vs_inline = strcmp(c->vs_mode, "proxy") == 0;
    s->as_inline = strcmp(c->as_mode, "proxy") == 0;
    s->attest = c->attest[0];
    stir_policy_default(&s->pol);
    s->pol.freshness = (uint32_t) c->freshness;
    snprintf(s->cert_name, sizeof(s->cert_name), "%s", c->cert_name);
    snprintf(s->x5u, sizeof(s->x5u), "%s", c->x5u);
    rc = load_keys(s, c, store_path, trust_dir, sizeof(trust_dir));
    if (rc) {
        goto fail;
    }
    rc = stir_trust_new(&s->trust);
    if (rc) {
        goto fail;
    }
    int n = trust_dir[0] ? trust_load_dir(s->trust, trust_dir) : 0;
    if (n < 0) {
        log_error("stir.trust: cannot read %s: %s", trust_dir, strerror(-n));
        rc = n;
        goto fail;
    }
    if (stir_trust_anchors(s->trust) == 0) {
        log_warn("stir: no trust anchors in %s: every certificate will be "
                 "refused (437)",
            trust_dir);
    }
    snprintf(s->trust_dir, sizeof(s->trust_dir), "%s", trust_dir);
    size_t slots = 1024;
    while (slots < (size_t) c->replay_max) {
        slots <<= 1;
    }
    s->rslots = calloc(slots, sizeof(*s->rslots));
    if (!s->rslots) {
        rc = -ENOMEM;
        goto fail;
    }
    s->rmask = slots - 1;
    struct certcache_conf cc = {
        .timeout_ms = c->fetch_timeout_ms,
        .max_bytes = c->fetch_max_bytes,
        .ttl_min = c->cache_ttl_min,
        .ttl_max = c->cache_ttl_max,
        .neg_ttl = c->cache_neg_ttl,
        .max_entries = c->cache_max,
        .http_hosts = c->http_hosts,
        .private_hosts = c->private_hosts,
        .trust = s->trust,
    };
    rc = certcache_new(&s->cache, &cc);
    if (rc) {
        goto fail;
    }
    log_info("stir: STI-VS for %s, STI-AS for %s; %zu trust anchors from %s",
        c->verify_from[0] ? c->verify_from : "nobody",
        c->sign_from[0] ? c->sign_from : "nobody", stir_trust_anchors(s->trust),
        trust_dir);
    *sp = s;
    return 0;
fail:
    sti_free(s);
    return rc;
}

void
sti_free(struct sti *s)
{
    if (!s) {
        return;
    }
    certcache_free(s->cache);
    stir_trust_free(s->trust);
    if (s->key_pem) {
        OPENSSL_cleanse(s->key_pem, s->key_len);
    }
    free(s->key_pem);
    free(s->chain_pem);
    free(s->rslots);
    pthread_mutex_destroy(&s->rlock);
    pthread_mutex_destroy(&s->trust_reload);
    free(s);
}

struct certcache *
sti_certcache(struct sti *s)
{
    return s->cache;
}

int
sti_trust_reload(struct sti *s, const char *dir, struct sti_trust_info *out,
    char *why, size_t why_size)
{
    struct stir_trust *t = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&s->trust_reload);
    snprintf(out->dir, sizeof(out->dir), "%s", dir ? dir : s->trust_dir);
    rc = stir_trust_new(&t);
    if (rc) {
        snprintf(why, why_size, "out of memory");
        goto out;
    }
    if (!out->dir[0]) {
        rc = -ENOENT;
        snprintf(why, why_size, "no trust anchor directory is configured");
        goto out;
    }
    rc = trust_load_dir(t, out->dir);
    if (rc < 0) {
        snprintf(why, why_size, "cannot read %s: %s", out->dir, strerror(-rc));
        goto out;
    }
    if (stir_trust_anchors(t) == 0) {
        rc = -ENOENT;
        snprintf(why, why_size, "no trust anchor in %s", out->dir);
        goto out;
    }
    /* Waits for validations against the old store, then frees it. */
    stir_trust_free(
        (struct stir_trust *) certcache_set_trust(s->cache, t, &out->flushed));
    s->trust = t;
    t = NULL;
    snprintf(s->trust_dir, sizeof(s->trust_dir), "%s", out->dir);
    out->anchors = stir_trust_anchors(s->trust);
    out->crls = stir_trust_crls(s->trust);
    rc = 0;
    log_info("stir: %zu trust anchors and %zu CRLs loaded from %s; %zu "
             "cached certificates dropped",
        out->anchors, out->crls, out->dir, out->flushed);
out:
    if (rc) {
        log_warn("stir: trust reload failed, the running trust store stays: "
                 "%s",
            why);
    }
    stir_trust_free(t);
    pthread_mutex_unlock(&s->trust_reload);
    return rc;
}

int
sti_set_self(struct sti *s, const char *base_url, const char *host)
{
    if (!s->x5u[0]) {
        snprintf(
            s->x5u, sizeof(s->x5u), "%s/certs/%s.pem", base_url, s->cert_name);
        log_info("stir: signing with x5u %s", s->x5u);
    }
    return certcache_allow_host(s->cache, host);
}

bool
sti_inline(const struct sti *s)
{
    return s->vs_inline || s->as_inline;
}

const char *
sti_x5u(const struct sti *s)
{
    return s->x5u;
}

bool
sti_chain(const struct sti *s, const char *name, struct slice *pem)
{
    if (strcmp(name, s->cert_name) != 0) {
        return false;
    }
    *pem = slice_make(s->chain_pem, s->chain_len);
    return true;
}

/* ---- REST ---- */

int
sti_rest_sign(struct sti *s, const struct sti_sign_req *r, char *dst,
    size_t size, const char **why)
{
    struct stir_signer *sg = NULL;
    struct stir_call call;
    char from[64], to[64];
    int rc;

    memset(&call, 0, sizeof(call));
    if (!s->x5u[0]) {
        *why = "no x5u: set stir.x5u or http.listen";
        return -EINVAL;
    }
    snprintf(from, sizeof(from), "<tel:+%s>", r->orig_tn);
    snprintf(to, sizeof(to), "<tel:+%s>", r->dest_tn);
    call.from = slice_cstr(from);
    call.to = slice_cstr(to);
    rc = stir_signer_new(&sg, s->key_pem, s->key_len, slice_cstr(s->x5u));
    if (rc) {
        *why = "cannot load the signing key";
        return rc;
    }
    struct stir_sign_opts o = {
        .attest = r->attest,
        .origid = r->origid,
        .iat = r->iat,
        .orig_from_pai = false,
    };
    rc = stir_sign(sg, &call, &o, dst, size);
    if (rc == STIR_E_NOT_TN) {
        *why = "orig and dest must be telephone numbers";
    } else if (rc < 0) {
        *why = err_str(rc);
    }
    stir_signer_free(sg);
    return rc;
}

struct rest_cred {
    struct sti *s;
    time_t now;
    struct stir_cert *held[STIR_MAX_IDENTITY];
    size_t nheld;
};

static const struct stir_cert *
rest_cred_cb(
    void *arg, struct slice info, int *code, char *why, size_t why_size)
{
    struct rest_cred *rc = arg;
    struct stir_cert *c = NULL;

    if (rc->nheld == STIR_MAX_IDENTITY) {
        return NULL;
    }
    if (certcache_fetch_sync(
            rc->s->cache, info, rc->now, &c, code, why, why_size)
        != CERTCACHE_OK) {
        return NULL;
    }
    rc->held[rc->nheld++] = c;
    return c;
}

void
sti_rest_verify(struct sti *s, const char *orig_tn, const char *dest_tn,
    const char *identity, time_t date, struct stir_verdict *out)
{
    struct stir_vctx *v = NULL;
    struct stir_call call;
    char from[64], to[64], dbuf[64];
    struct rest_cred rc = { .s = s, .now = time(NULL) };

    memset(&call, 0, sizeof(call));
    snprintf(from, sizeof(from), "<tel:+%s>", orig_tn);
    snprintf(to, sizeof(to), "<tel:+%s>", dest_tn);
    call.from = slice_cstr(from);
    call.to = slice_cstr(to);
    if (date > 0) {
        sti__fmt_date(date, dbuf, sizeof(dbuf));
        call.date = slice_cstr(dbuf);
    }
    call.identity[0] = slice_cstr(identity);
    call.nidentity = 1;
    if (stir_vctx_new(&v) != 0) {
        memset(out, 0, sizeof(*out));
        out->code = STIR_BAD_CRED;
        snprintf(out->reason, sizeof(out->reason), "out of memory");
        return;
    }
    stir_verify(v, &call, rest_cred_cb, &rc, &s->pol, rc.now, out);
    for (size_t i = 0; i < rc.nheld; i++) {
        stir_cert_deref(rc.held[i]);
    }
    stir_vctx_free(v);
}
