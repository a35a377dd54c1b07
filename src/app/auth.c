#define LOG_MODULE "auth"
#include "app/auth.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"

enum {
    NONCE_RAW = 24, /* 8 time + 4 counter + 12 MAC */
    NONCE_MAC = 12,
    NSHARD = 64,
    NONCE_SLOTS = 4096, /* per shard: 262144 live nonces */
    SRC_SLOTS = 256,    /* per shard */
    PROBE = 8,
};

/* An issued nonce, whole: one found here needs no MAC check. */
struct nonce_slot {
    uint64_t key; /* MAC bytes 0-7; 0: empty */
    int64_t issued;
    uint32_t ctr, tail; /* the counter, MAC bytes 8-11 */
    uint32_t nc;
};

struct src_slot {
    uint64_t key;
    uint64_t last_ms;
    double tokens;
};

struct nonce_shard {
    pthread_mutex_t lock;
    struct nonce_slot slot[NONCE_SLOTS];
};

struct src_shard {
    pthread_mutex_t lock;
    struct src_slot slot[SRC_SLOTS];
};

struct auth {
    uint64_t gen; /* tells the per-thread MAC contexts which key they hold */
    struct auth_conf c;
    char realm[256];
    unsigned char secret[16]; /* the nonces' SipHash key */
    atomic_uint counter;
    struct nonce_shard nonces[NSHARD];
    struct src_shard srcs[NSHARD];
};

size_t
auth_hex_len(enum auth_alg alg)
{
    return alg == AUTH_SHA256 ? 64 : 32;
}

static void
to_hex(const unsigned char *d, size_t n, char *out)
{
    static const char hx[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[d[i] >> 4];
        out[2 * i + 1] = hx[d[i] & 15];
    }
    out[2 * n] = '\0';
}

static int
from_hex(struct slice s, unsigned char *out, size_t n)
{
    if (s.len != 2 * n) {
        return -EINVAL;
    }
    /* A digit's value plus one: 0 is no hex digit. */
    static const unsigned char val1[256] = {
        ['0'] = 1,
        ['1'] = 2,
        ['2'] = 3,
        ['3'] = 4,
        ['4'] = 5,
        ['5'] = 6,
        ['6'] = 7,
        ['7'] = 8,
        ['8'] = 9,
        ['9'] = 10,
        ['a'] = 11,
        ['b'] = 12,
        ['c'] = 13,
        ['d'] = 14,
        ['e'] = 15,
        ['f'] = 16,
        ['A'] = 11,
        ['B'] = 12,
        ['C'] = 13,
        ['D'] = 14,
        ['E'] = 15,
        ['F'] = 16,
    };
    bool bad = false;
    for (size_t i = 0; i < n; i++) {
        unsigned h = val1[(unsigned char) s.p[2 * i]];
        unsigned l = val1[(unsigned char) s.p[2 * i + 1]];
        bad |= !h || !l;
        out[i] = (unsigned char) ((h - 1) << 4 | (l - 1));
    }
    return bad ? -EINVAL : 0;
}

/*
 * OpenSSL's one-shot calls (HMAC(), EVP_Digest()) fetch the algorithm and
 * build a context on every call: 36k instructions for the MAC of one nonce.
 * Each thread keeps its own contexts instead, made on first use and freed
 * when the thread ends; the algorithms are fetched once per process.
 */
struct auth_tls {
    uint64_t gen; /* struct auth whose secret keys mac; 0: none */
    EVP_MAC_CTX *mac;
    EVP_MD_CTX *md;
};

static pthread_once_t algs_once = PTHREAD_ONCE_INIT;
static pthread_key_t tls_key;
static EVP_MAC *alg_mac;
static EVP_MD *alg_md5, *alg_sha256;
static atomic_uint_fast64_t auth_gens;

static void
tls_free(void *p)
{
    struct auth_tls *t = p;

    EVP_MAC_CTX_free(t->mac);
    EVP_MD_CTX_free(t->md);
    free(t);
}

static void
algs_init(void)
{
    alg_mac = EVP_MAC_fetch(NULL, "SIPHASH", NULL);
    alg_md5 = EVP_MD_fetch(NULL, "MD5", NULL);
    alg_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    pthread_key_create(&tls_key, tls_free);
}

/* This thread's contexts, or NULL when they cannot be made. */
static struct auth_tls *
tls_get(void)
{
    pthread_once(&algs_once, algs_init);
    struct auth_tls *t = pthread_getspecific(tls_key);
    if (t) {
        return t;
    }
    t = calloc(1, sizeof(*t));
    if (!t) {
        return NULL;
    }
    t->md = EVP_MD_CTX_new();
    t->mac = alg_mac ? EVP_MAC_CTX_new(alg_mac) : NULL;
    if (!t->md || !t->mac || pthread_setspecific(tls_key, t) != 0) {
        tls_free(t);
        return NULL;
    }
    return t;
}

/* H(p0 ":" p1 ":" ...) as hex into out. */
static int
hash_parts(enum auth_alg alg, const struct slice *parts, size_t n, char *out)
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    struct auth_tls *t = tls_get();
    const EVP_MD *md = alg == AUTH_SHA256 ? alg_sha256 : alg_md5;

    /* The parts are joined here first: one update, not two per part,
     * unless they do not fit (a long URI or cnonce). */
    char buf[512];
    size_t used = 0;

    if (!t || !md || EVP_DigestInit_ex(t->md, md, NULL) != 1) {
        return -EIO;
    }
    for (size_t i = 0; i < n; i++) {
        size_t need = (i > 0) + parts[i].len;
        if (used + need > sizeof(buf)) {
            if (EVP_DigestUpdate(t->md, buf, used) != 1) {
                return -EIO;
            }
            used = 0;
        }
        if (i) {
            buf[used++] = ':';
        }
        if (parts[i].len > sizeof(buf) - used) {
            if (EVP_DigestUpdate(t->md, buf, used) != 1
                || EVP_DigestUpdate(t->md, parts[i].p, parts[i].len) != 1) {
                return -EIO;
            }
            used = 0;
        } else if (parts[i].len) {
            memcpy(buf + used, parts[i].p, parts[i].len);
            used += parts[i].len;
        }
    }
    if (EVP_DigestUpdate(t->md, buf, used) != 1
        || EVP_DigestFinal_ex(t->md, d, &dlen) != 1) {
        return -EIO;
    }
    to_hex(d, dlen, out);
    return 0;
}

int
auth_ha1(enum auth_alg alg, struct slice username, struct slice realm,
    struct slice password, char *out)
{
    const struct slice p[3] = { username, realm, password };

    return hash_parts(alg, p, 3, out);
}

/* ---- Authorization header ---- */

static bool
lws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static const char *
skip_lws(const char *p, const char *end)
{
    while (p < end && lws(*p)) {
        p++;
    }
    return p;
}

static const char *
trim_end(const char *p, const char *e)
{
    while (e > p && lws(e[-1])) {
        e--;
    }
    return e;
}

/* The field an auth-param name stands for (any case), or NULL. */
static struct slice *
creds_field(struct auth_creds *c, const char *n, size_t len)
{
    struct slice *f;
    const char *want;

    switch (len) {
    case 2:
        f = &c->nc_s, want = "nc";
        break;
    case 3:
        f = &c->qop, want = "qop";
        if ((n[0] | 0x20) == 'u') {
            f = &c->uri, want = "uri";
        }
        break;
    case 5:
        f = &c->nonce, want = "nonce";
        if ((n[0] | 0x20) == 'r') {
            f = &c->realm, want = "realm";
        }
        break;
    case 6:
        f = &c->cnonce, want = "cnonce";
        if ((n[0] | 0x20) == 'o') {
            f = &c->opaque, want = "opaque";
        }
        break;
    case 8:
        f = &c->username, want = "username";
        if ((n[0] | 0x20) == 'r') {
            f = &c->response, want = "response";
        }
        break;
    case 9:
        f = &c->algorithm, want = "algorithm";
        break;
    default:
        return NULL;
    }
    return slice_caseeq(slice_make(n, len), slice_make(want, len)) ? f : NULL;
}

/* One pass over `k=v, k="v", ...`: name = token up to '=', value a
 * quoted-string (kept as written between the quotes) or a token. */
static int
creds_params(struct auth_creds *c, const char *p, const char *end)
{
    for (;;) {
        while ((p = skip_lws(p, end)) < end && *p == ',') {
            p++;
        }
        if (p == end) {
            return 0;
        }
        const char *n = p;
        while (p < end && *p != '=' && *p != ',') {
            p++;
        }
        if (p == end || *p != '=') {
            return -EINVAL;
        }
        const char *ne = trim_end(n, p);
        p = skip_lws(p + 1, end);
        struct slice v;
        if (p < end && *p == '"') {
            /* The closing quote: the first '"' unless a backslash comes
             * before it, which sends the rest through the escape walk. */
            const char *q = memchr(p + 1, '"', (size_t) (end - p - 1));
            if (q && memchr(p + 1, '\\', (size_t) (q - p - 1))) {
                q = p + 1;
                while (q < end && *q != '"') {
                    /* A trailing backslash stops at end, not past it. */
                    q += *q == '\\' && end - q > 1 ? 2 : 1;
                }
            }
            if (!q || q >= end) {
                return -EINVAL;
            }
            v = slice_make(p + 1, (size_t) (q - p - 1));
            p = q + 1;
        } else {
            const char *q = memchr(p, ',', (size_t) (end - p));
            q = q ? q : end;
            v = slice_make(p, (size_t) (trim_end(p, q) - p));
            p = q;
        }
        struct slice *f = creds_field(c, n, (size_t) (ne - n));
        if (f) {
            *f = v;
        }
    }
}

int
auth_creds_parse(struct auth_creds *c, struct slice value)
{
    const char *p = value.p, *end = value.p + value.len;

    memset(c, 0, sizeof(*c));
    p = skip_lws(p, end);
    end = trim_end(p, end);
    if (end - p < 7 || !slice_caseeq(slice_make(p, 6), SLICE_LIT("Digest"))
        || (p[6] != ' ' && p[6] != '\t')) {
        return -EINVAL;
    }
    if (creds_params(c, p + 6, end) != 0 || !c->username.len || !c->realm.len
        || !c->nonce.len || !c->uri.len || !c->response.len) {
        return -EINVAL;
    }
    if (!c->algorithm.len || slice_caseeq(c->algorithm, SLICE_LIT("MD5"))) {
        c->alg = AUTH_MD5;
    } else if (slice_caseeq(c->algorithm, SLICE_LIT("SHA-256"))) {
        c->alg = AUTH_SHA256;
    } else {
        return -ENOTSUP;
    }
    if (!slice_caseeq(c->qop, SLICE_LIT("auth")) || !c->cnonce.len
        || c->nc_s.len != 8) {
        return -ENOTSUP;
    }
    unsigned char nc[4];
    if (from_hex(c->nc_s, nc, 4) != 0) {
        return -EINVAL;
    }
    c->nc = (uint32_t) nc[0] << 24 | (uint32_t) nc[1] << 16
        | (uint32_t) nc[2] << 8 | nc[3];
    return 0;
}

/* ---- nonces ---- */

int
auth_new(struct auth **ap, const struct auth_conf *c)
{
    struct auth *a = calloc(1, sizeof(*a));

    if (!a) {
        return -ENOMEM;
    }
    if (RAND_bytes(a->secret, sizeof(a->secret)) != 1) {
        free(a);
        return -EIO;
    }
    a->gen = atomic_fetch_add(&auth_gens, 1) + 1;
    a->c = *c;
    slice_copy(a->realm, sizeof(a->realm), c->realm);
    a->c.realm = slice_cstr(a->realm);
    for (int i = 0; i < NSHARD; i++) {
        pthread_mutex_init(&a->nonces[i].lock, NULL);
        pthread_mutex_init(&a->srcs[i].lock, NULL);
    }
    *ap = a;
    return 0;
}

void
auth_free(struct auth *a)
{
    if (!a) {
        return;
    }
    for (int i = 0; i < NSHARD; i++) {
        pthread_mutex_destroy(&a->nonces[i].lock);
        pthread_mutex_destroy(&a->srcs[i].lock);
    }
    OPENSSL_cleanse(a->secret, sizeof(a->secret));
    free(a);
}

/*
 * The first NONCE_MAC bytes of SipHash-2-4-128(secret, raw[0..12)); 0 or
 * -EIO. SipHash is a keyed PRF made for short inputs, which is all a nonce
 * needs (unpredictable, and recognised as ours): for 12 bytes it costs a
 * fraction of HMAC-SHA256's two compressions and context copies.
 */
static int
nonce_mac(const struct auth *a, const unsigned char *raw, unsigned char *mac)
{
    unsigned char full[EVP_MAX_MD_SIZE];
    size_t len = 0;
    struct auth_tls *t = tls_get();

    if (!t) {
        return -EIO;
    }
    if (t->gen != a->gen) {
        /* Keyed once per thread (and per struct auth); after that a NULL
         * key restarts the MAC with the same key. */
        size_t size = 16;
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size),
            OSSL_PARAM_construct_end(),
        };
        t->gen = 0;
        if (EVP_MAC_init(t->mac, a->secret, sizeof(a->secret), params) != 1) {
            return -EIO;
        }
        t->gen = a->gen;
    } else if (EVP_MAC_init(t->mac, NULL, 0, NULL) != 1) {
        return -EIO;
    }
    if (EVP_MAC_update(t->mac, raw, 12) != 1
        || EVP_MAC_final(t->mac, full, &len, sizeof(full)) != 1
        || len < NONCE_MAC) {
        return -EIO;
    }
    memcpy(mac, full, NONCE_MAC);
    OPENSSL_cleanse(full, sizeof(full));
    return 0;
}

static uint64_t
load64(const unsigned char *p)
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++) {
        v = v << 8 | p[i];
    }
    return v;
}

static uint32_t
load32(const unsigned char *p)
{
    uint32_t v;

    memcpy(&v, p, 4);
    return v;
}

/* Table key of a nonce: its MAC, which is unique per nonce. */
static uint64_t
nonce_key(const unsigned char *raw)
{
    uint64_t k = load64(raw + 12);
    return k ? k : 1;
}

static bool
slot_is(const struct nonce_slot *s, uint64_t key, const unsigned char *raw)
{
    return s->key == key && s->issued == (int64_t) load64(raw)
        && s->ctr == load32(raw + 8) && s->tail == load32(raw + 20);
}

static void
nonce_remember(struct auth *a, const unsigned char *raw, int64_t issued)
{
    uint64_t key = nonce_key(raw);
    struct nonce_shard *sh = &a->nonces[key % NSHARD];
    size_t base = (size_t) (key / NSHARD) % NONCE_SLOTS;
    size_t victim = base;

    pthread_mutex_lock(&sh->lock);
    for (size_t i = 0; i < PROBE; i++) {
        struct nonce_slot *s = &sh->slot[(base + i) % NONCE_SLOTS];
        if (!s->key) {
            victim = (base + i) % NONCE_SLOTS;
            break;
        }
        if (s->issued < sh->slot[victim].issued) {
            victim = (base + i) % NONCE_SLOTS;
        }
    }
    sh->slot[victim] = (struct nonce_slot){ key, issued, load32(raw + 8),
        load32(raw + 20), 0 };
    pthread_mutex_unlock(&sh->lock);
}

/* For a nonce we issued and still hold: 1 when nc is new (and now
 * recorded), 0 for a replay. -1: not in the table. */
static int
nonce_use(struct auth *a, const unsigned char *raw, uint32_t nc)
{
    uint64_t key = nonce_key(raw);
    struct nonce_shard *sh = &a->nonces[key % NSHARD];
    size_t base = (size_t) (key / NSHARD) % NONCE_SLOTS;
    int rc = -1;

    pthread_mutex_lock(&sh->lock);
    for (size_t i = 0; i < PROBE; i++) {
        struct nonce_slot *s = &sh->slot[(base + i) % NONCE_SLOTS];
        if (slot_is(s, key, raw)) {
            rc = nc > s->nc ? 1 : 0;
            if (rc) {
                s->nc = nc;
            }
            break;
        }
    }
    pthread_mutex_unlock(&sh->lock);
    return rc;
}

int
auth_challenge(
    struct auth *a, bool stale, char *buf, size_t size, struct slice vals[2])
{
    unsigned char raw[NONCE_RAW];
    char nonce[2 * NONCE_RAW + 1];
    int64_t now = (int64_t) clock_wall();
    uint32_t ctr = atomic_fetch_add(&a->counter, 1);
    size_t used = 0;
    int n = 0;

    for (int i = 0; i < 8; i++) {
        raw[i] = (unsigned char) ((uint64_t) now >> (56 - 8 * i));
    }
    memcpy(raw + 8, &ctr, 4);
    if (nonce_mac(a, raw, raw + 12) != 0) {
        return -EIO;
    }
    to_hex(raw, NONCE_RAW, nonce);
    nonce_remember(a, raw, now);

    /* RFC 8760 §2.4: one challenge per algorithm, the preferred first. */
    for (int alg = 0; alg < 2; alg++) {
        bool sha = alg == 0;
        if (sha ? !a->c.sha256 : !a->c.md5) {
            continue;
        }
        const struct slice part[] = {
            SLICE_LIT("Digest realm=\""),
            a->c.realm,
            SLICE_LIT("\", nonce=\""),
            slice_make(nonce, 2 * NONCE_RAW),
            SLICE_LIT("\", algorithm="),
            sha ? SLICE_LIT("SHA-256") : SLICE_LIT("MD5"),
            SLICE_LIT(", qop=\"auth\""),
            stale ? SLICE_LIT(", stale=true") : SLICE_NULL,
        };
        size_t start = used;
        for (size_t i = 0; i < sizeof(part) / sizeof(part[0]); i++) {
            if (part[i].len >= size - used) {
                return -ENOSPC;
            }
            if (part[i].len) {
                memcpy(buf + used, part[i].p, part[i].len);
                used += part[i].len;
            }
        }
        vals[n++] = slice_make(buf + start, used - start);
        buf[used++] = '\0';
    }
    return n;
}

enum auth_verdict
auth_verify(struct auth *a, const struct auth_creds *c, struct slice method,
    const char *ha1, int64_t now)
{
    unsigned char raw[NONCE_RAW], mac[NONCE_MAC];
    char ha2[AUTH_HEX_MAX], expect[AUTH_HEX_MAX];

    if (!slice_eq(c->realm, a->c.realm)
        || from_hex(c->nonce, raw, NONCE_RAW) != 0) {
        return AUTH_BAD;
    }
    if (strlen(ha1) != auth_hex_len(c->alg)) {
        return AUTH_BAD; /* no hash stored for this algorithm */
    }
    /* RFC 7616 §3.4.1-3.4.3, qop=auth. */
    const struct slice p2[2] = { method, c->uri };
    const struct slice pr[6] = { slice_cstr(ha1), c->nonce, c->nc_s, c->cnonce,
        c->qop, slice_make(ha2, auth_hex_len(c->alg)) };
    if (hash_parts(c->alg, p2, 2, ha2) != 0
        || hash_parts(c->alg, pr, 6, expect) != 0
        || c->response.len != auth_hex_len(c->alg)) {
        return AUTH_BAD;
    }
    /* Lower-case hex is what RFC 7616 mandates; compare in constant time. */
    char resp[AUTH_HEX_MAX];
    for (size_t i = 0; i < c->response.len; i++) {
        char ch = c->response.p[i];
        resp[i] = (ch >= 'A' && ch <= 'Z') ? (char) (ch + 32) : ch;
    }
    if (CRYPTO_memcmp(resp, expect, c->response.len) != 0) {
        return AUTH_BAD;
    }
    /* A nonce still in the table is one we issued, byte for byte: only
     * one that left it (or a forgery) needs its MAC checked, to tell a
     * stale nonce from a bad one. One past its lifetime is not looked up,
     * so its nc is not taken (issued is not checked yet: no now - issued). */
    int64_t issued = (int64_t) load64(raw);
    bool fresh =
        issued >= now - (int64_t) a->c.nonce_ttl_s && issued <= now + 5;
    int used = fresh ? nonce_use(a, raw, c->nc) : -1;
    if (used < 0
        && (nonce_mac(a, raw, mac) != 0
            || CRYPTO_memcmp(mac, raw + 12, NONCE_MAC) != 0)) {
        return AUTH_BAD; /* not ours (or from before a restart) */
    }
    if (used < 0) {
        return AUTH_STALE;
    }
    return used > 0 ? AUTH_OK : AUTH_REPLAY;
}

/* ---- bad-credential budget per source ---- */

static uint64_t
src_key(const void *addr, size_t len)
{
    const unsigned char *p = addr;
    uint64_t h = 1469598103934665603ULL;

    for (size_t i = 0; i < len; i++) {
        h = (h ^ p[i]) * 1099511628211ULL;
    }
    return h ? h : 1;
}

/* Finds or makes the source's slot (shard locked); refills its bucket. */
static struct src_slot *
src_slot(struct auth *a, struct src_shard *sh, uint64_t key, uint64_t now_ms)
{
    size_t base = (size_t) (key / NSHARD) % SRC_SLOTS;
    struct src_slot *victim = &sh->slot[base];

    for (size_t i = 0; i < PROBE; i++) {
        struct src_slot *s = &sh->slot[(base + i) % SRC_SLOTS];
        if (s->key == key) {
            s->tokens +=
                (double) (now_ms - s->last_ms) / 1000.0 * a->c.fail_per_sec;
            if (s->tokens > a->c.fail_burst) {
                s->tokens = a->c.fail_burst;
            }
            s->last_ms = now_ms;
            return s;
        }
        if (!s->key || s->last_ms < victim->last_ms) {
            victim = s;
        }
    }
    *victim = (struct src_slot){ key, now_ms, a->c.fail_burst };
    return victim;
}

bool
auth_source_allowed(struct auth *a, const void *addr, size_t len)
{
    uint64_t key = src_key(addr, len);
    struct src_shard *sh = &a->srcs[key % NSHARD];
    bool ok;

    pthread_mutex_lock(&sh->lock);
    ok = src_slot(a, sh, key, clock_mono_ms())->tokens >= 1.0;
    pthread_mutex_unlock(&sh->lock);
    return ok;
}

void
auth_source_failed(struct auth *a, const void *addr, size_t len)
{
    uint64_t key = src_key(addr, len);
    struct src_shard *sh = &a->srcs[key % NSHARD];

    pthread_mutex_lock(&sh->lock);
    struct src_slot *s = src_slot(a, sh, key, clock_mono_ms());
    s->tokens = s->tokens >= 1.0 ? s->tokens - 1.0 : 0.0;
    pthread_mutex_unlock(&sh->lock);
}
