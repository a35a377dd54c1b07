#define LOG_MODULE "certfetch"
#include "app/certfetch.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "app/app_metrics.h"
#include "base/clock.h"
#include "base/log.h"
#include "transport/listen.h"

#define NBUCKETS 1024

struct entry {
    struct entry *next;
    uint64_t h;
    char *url;
    size_t url_len;
    struct stir_cert *cert; /* validated; NULL for a failure */
    int code;               /* 436 / 437 for a failure */
    char why[512];
    char subject[256]; /* of the leaf, also when it failed validation */
    time_t fetched, expires, not_after;
    uint64_t hits;
};

struct certcache {
    struct certcache_conf conf;
    char *http_hosts;    /* ",a,b," for cheap matching */
    char *private_hosts; /* same */
    /* Held for reading from validation until the result is cached, for
     * writing while the trust store is swapped: no entry validated against
     * a replaced store survives the swap. Taken before lock. */
    pthread_rwlock_t trust_lock;
    pthread_mutex_t lock;
    struct entry *b[NBUCKETS];
    size_t count;
    struct certcache_stats st;
};

/* One transfer: easy handle, body, caching headers, who waits. */
struct xfer {
    struct xfer *next;
    struct certcache *c;
    CURL *easy;
    char url[STIR_URI_MAX + 1];
    char host[256];
    bool private_ok; /* host of the current hop is in private_hosts */
    bool refused, too_big, bad_url;
    char refused_ip[INET6_ADDRSTRLEN];
    char hop_why[512]; /* a redirect hop failed check_url */
    uint64_t start_ms;
    char *body;
    size_t len;
    struct certcache_hdrs hdrs;
    struct certfetch_waiter *waiters;
};

struct sockw {
    struct ev_io io;
    struct certfetch *f;
    curl_socket_t fd;
};

struct certfetch {
    struct certcache *c;
    struct ev_loop *loop;
    CURLM *multi;
    struct ev_timer timer;
    struct xfer *xfers;
    size_t running;
};

static uint64_t
hash_url(struct slice s)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < s.len; i++) {
        h = (h ^ (unsigned char) s.p[i]) * 1099511628211ull;
    }
    return h;
}

/* ",a,b," from "a, b" (lowercase, blanks dropped). */
static char *
host_list(const char *in)
{
    size_t n = in ? strlen(in) : 0;
    char *out = malloc(n + 3), *o = out;

    if (!out) {
        return NULL;
    }
    *o++ = ',';
    for (size_t i = 0; i < n; i++) {
        char ch = in[i];
        if (ch == ' ' || ch == '\t') {
            continue;
        }
        *o++ = (char) (ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
    }
    if (o[-1] != ',') {
        *o++ = ',';
    }
    *o = '\0';
    return out;
}

static bool
in_list(const char *list, const char *host)
{
    char key[300];
    size_t n = strlen(host);

    if (!list || n == 0 || n > 256) {
        return false;
    }
    key[0] = ',';
    for (size_t i = 0; i < n; i++) {
        char ch = host[i];
        key[i + 1] = (char) (ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
    }
    key[n + 1] = ',';
    key[n + 2] = '\0';
    return strstr(list, key) != NULL;
}

int
certcache_new(struct certcache **cp, const struct certcache_conf *conf)
{
    struct certcache *c = calloc(1, sizeof(*c));

    if (!c) {
        return -ENOMEM;
    }
    pthread_mutex_init(&c->lock, NULL);
    pthread_rwlock_init(&c->trust_lock, NULL);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    c->conf = *conf;
    c->http_hosts = host_list(conf->http_hosts);
    c->private_hosts = host_list(conf->private_hosts);
    if (!c->http_hosts || !c->private_hosts) {
        certcache_free(c);
        return -ENOMEM;
    }
    *cp = c;
    return 0;
}

static void
entry_free(struct entry *e)
{
    stir_cert_deref(e->cert);
    free(e->url);
    free(e);
}

void
certcache_free(struct certcache *c)
{
    if (!c) {
        return;
    }
    for (size_t i = 0; i < NBUCKETS; i++) {
        while (c->b[i]) {
            struct entry *e = c->b[i];
            c->b[i] = e->next;
            entry_free(e);
        }
    }
    metric_gauge_add(&app_m_cert_entries, 0, -(int64_t) c->count);
    pthread_mutex_destroy(&c->lock);
    pthread_rwlock_destroy(&c->trust_lock);
    free(c->http_hosts);
    free(c->private_hosts);
    free(c);
    curl_global_cleanup();
}

static int
list_add(char **list, const char *host)
{
    if (in_list(*list, host)) {
        return 0;
    }
    size_t n = strlen(*list), m = strlen(host);
    char *l = realloc(*list, n + m + 2);
    if (!l) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < m; i++) {
        char ch = host[i];
        l[n + i] = (char) (ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
    }
    l[n + m] = ',';
    l[n + m + 1] = '\0';
    *list = l;
    return 0;
}

int
certcache_allow_host(struct certcache *c, const char *host)
{
    int rc = list_add(&c->http_hosts, host);
    return rc ? rc : list_add(&c->private_hosts, host);
}

static struct entry *
find(struct certcache *c, struct slice url, uint64_t h)
{
    for (struct entry *e = c->b[h % NBUCKETS]; e; e = e->next) {
        if (e->h == h && e->url_len == url.len
            && memcmp(e->url, url.p, url.len) == 0) {
            return e;
        }
    }
    return NULL;
}

enum certcache_state
certcache_get(struct certcache *c, struct slice url, time_t now,
    struct stir_cert **cert, int *code, char *why, size_t why_size)
{
    uint64_t h = hash_url(url);
    enum certcache_state st = CERTCACHE_MISS;

    pthread_mutex_lock(&c->lock);
    struct entry *e = find(c, url, h);
    if (e && e->expires > now) {
        if (e->cert) {
            *cert = stir_cert_ref(e->cert);
            st = CERTCACHE_OK;
        } else {
            *code = e->code;
            snprintf(why, why_size, "%s", e->why);
            st = CERTCACHE_FAIL;
        }
        c->st.hits++;
        e->hits++;
    } else {
        c->st.misses++;
    }
    pthread_mutex_unlock(&c->lock);
    return st;
}

/* Drops expired entries; when still full, the bucket being filled. */
static void
make_room(struct certcache *c, size_t bucket, time_t now)
{
    for (size_t i = 0; i < NBUCKETS; i++) {
        for (struct entry **pp = &c->b[i]; *pp;) {
            if ((*pp)->expires <= now) {
                struct entry *e = *pp;
                *pp = e->next;
                entry_free(e);
                c->count--;
                metric_gauge_add(&app_m_cert_entries, 0, -1);
            } else {
                pp = &(*pp)->next;
            }
        }
    }
    while (c->count >= (size_t) c->conf.max_entries && c->b[bucket]) {
        struct entry *e = c->b[bucket];
        c->b[bucket] = e->next;
        entry_free(e);
        c->count--;
        metric_gauge_add(&app_m_cert_entries, 0, -1);
    }
}

/* Takes the reference to cert; seen (may be NULL) is what was parsed,
 * validated or not, for the listing. */
static void
insert(struct certcache *c, struct slice url, struct stir_cert *cert,
    const struct stir_cert *seen, int code, const char *why, time_t expires,
    time_t now)
{
    uint64_t h = hash_url(url);

    pthread_mutex_lock(&c->lock);
    struct entry *e = find(c, url, h);
    if (!e) {
        if (c->count >= (size_t) c->conf.max_entries) {
            make_room(c, h % NBUCKETS, now);
        }
        e = calloc(1, sizeof(*e));
        char *u = e ? malloc(url.len + 1) : NULL;
        if (!u) {
            free(e);
            pthread_mutex_unlock(&c->lock);
            stir_cert_deref(cert);
            return;
        }
        memcpy(u, url.p, url.len);
        u[url.len] = '\0';
        e->url = u;
        e->url_len = url.len;
        e->h = h;
        e->next = c->b[h % NBUCKETS];
        c->b[h % NBUCKETS] = e;
        c->count++;
        metric_gauge_add(&app_m_cert_entries, 0, 1);
    }
    stir_cert_deref(e->cert);
    e->cert = cert;
    e->code = code;
    snprintf(e->why, sizeof(e->why), "%s", why ? why : "");
    e->subject[0] = '\0';
    e->not_after = 0;
    if (seen) {
        stir_cert_subject(seen, e->subject, sizeof(e->subject));
        e->not_after = stir_cert_not_after(seen);
    }
    e->fetched = now;
    e->expires = expires;
    e->hits = 0;
    c->st.entries = c->count;
    pthread_mutex_unlock(&c->lock);
}

size_t
certcache_list(struct certcache *c, time_t now, certcache_row_cb *cb, void *arg)
{
    size_t n = 0;

    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < NBUCKETS; i++) {
        for (const struct entry *e = c->b[i]; e; e = e->next) {
            if (e->expires <= now) {
                continue;
            }
            struct certcache_row r = {
                .url = e->url,
                .ok = e->cert != NULL,
                .code = e->code,
                .why = e->why,
                .subject = e->subject,
                .fetched = e->fetched,
                .expires = e->expires,
                .not_after = e->not_after,
                .hits = e->hits,
            };
            cb(arg, &r);
            n++;
        }
    }
    pthread_mutex_unlock(&c->lock);
    return n;
}

/* Under c->lock. */
static size_t
drop(struct certcache *c, const char *url)
{
    size_t n = 0;

    for (size_t i = 0; i < NBUCKETS; i++) {
        for (struct entry **pp = &c->b[i]; *pp;) {
            struct entry *e = *pp;
            if (url && strcmp(e->url, url) != 0) {
                pp = &e->next;
                continue;
            }
            *pp = e->next;
            entry_free(e);
            c->count--;
            n++;
        }
    }
    c->st.entries = c->count;
    metric_gauge_add(&app_m_cert_entries, 0, -(int64_t) n);
    return n;
}

size_t
certcache_flush(struct certcache *c, const char *url)
{
    pthread_mutex_lock(&c->lock);
    size_t n = drop(c, url);
    pthread_mutex_unlock(&c->lock);
    return n;
}

const struct stir_trust *
certcache_set_trust(
    struct certcache *c, const struct stir_trust *t, size_t *flushed)
{
    pthread_rwlock_wrlock(&c->trust_lock);
    const struct stir_trust *old = c->conf.trust;
    c->conf.trust = t;
    pthread_mutex_lock(&c->lock);
    size_t n = drop(c, NULL);
    pthread_mutex_unlock(&c->lock);
    pthread_rwlock_unlock(&c->trust_lock);
    if (flushed) {
        *flushed = n;
    }
    return old;
}

void
certcache_stats_get(struct certcache *c, struct certcache_stats *s)
{
    pthread_mutex_lock(&c->lock);
    *s = c->st;
    s->entries = c->count;
    pthread_mutex_unlock(&c->lock);
}

/* ---- RFC 6890 special-purpose address registries ---- */

static bool
v4_special(uint32_t a)
{
    static const struct {
        uint32_t net;
        int bits;
    } v4[] = {
        { 0x00000000, 8 },  /* "this network" */
        { 0x0a000000, 8 },  /* private */
        { 0x64400000, 10 }, /* shared address space */
        { 0x7f000000, 8 },  /* loopback */
        { 0xa9fe0000, 16 }, /* link local */
        { 0xac100000, 12 }, /* private */
        { 0xc0000000, 24 }, /* IETF protocol assignments */
        { 0xc0000200, 24 }, /* TEST-NET-1 */
        { 0xc0586300, 24 }, /* 6to4 relay anycast */
        { 0xc0a80000, 16 }, /* private */
        { 0xc6120000, 15 }, /* benchmarking */
        { 0xc6336400, 24 }, /* TEST-NET-2 */
        { 0xcb007100, 24 }, /* TEST-NET-3 */
        { 0xe0000000, 4 },  /* multicast (RFC 5771) */
        { 0xf0000000, 4 },  /* reserved, and broadcast */
    };
    for (size_t i = 0; i < sizeof(v4) / sizeof(v4[0]); i++) {
        uint32_t mask = 0xffffffffu << (32 - v4[i].bits);
        if ((a & mask) == v4[i].net) {
            return true;
        }
    }
    return false;
}

bool
certfetch_addr_special(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *) sa;
        return v4_special(ntohl(in->sin_addr.s_addr));
    }
    if (sa->sa_family != AF_INET6) {
        return true;
    }
    const uint8_t *b = ((const struct sockaddr_in6 *) sa)->sin6_addr.s6_addr;
    static const uint8_t zero[16];
    if (memcmp(b, zero, 15) == 0 && (b[15] == 0 || b[15] == 1)) {
        return true; /* :: and ::1 */
    }
    if (memcmp(b, zero, 10) == 0 && b[10] == 0xff && b[11] == 0xff) {
        /* IPv4-mapped: judge the IPv4 address */
        uint32_t a = ((uint32_t) b[12] << 24) | ((uint32_t) b[13] << 16)
            | ((uint32_t) b[14] << 8) | b[15];
        return v4_special(a);
    }
    if ((b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b)
        || (b[0] == 0x01 && b[1] == 0x00 && memcmp(b + 2, zero, 6) == 0)
        || (b[0] == 0x20 && b[1] == 0x01 && b[2] < 0x02) /* 2001::/23 */
        || (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8)
        || (b[0] == 0x20 && b[1] == 0x02) || (b[0] & 0xfe) == 0xfc
        || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) || b[0] == 0xff) {
        return true;
    }
    return false;
}

/* ---- one transfer ---- */

/* Checks scheme and host of url (the info URL or a redirect hop) before
 * anything goes on the wire; sets x->host and x->private_ok. */
static int
check_url(struct xfer *x, const char *url, char *why, size_t why_size)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    int rc = -1;

    if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK
        || curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK
        || curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        snprintf(why, why_size, "info URL \"%s\" is not a valid URL", url);
        goto out;
    }
    snprintf(x->host, sizeof(x->host), "%s", host);
    /* IPv6 literal hosts come back in brackets. */
    size_t hl = strlen(x->host);
    if (hl > 2 && x->host[0] == '[' && x->host[hl - 1] == ']') {
        memmove(x->host, x->host + 1, hl - 2);
        x->host[hl - 2] = '\0';
    }
    if (strcasecmp(scheme, "https") != 0
        && !(strcasecmp(scheme, "http") == 0
            && in_list(x->c->http_hosts, x->host))) {
        snprintf(why, why_size,
            "info URL scheme %s not allowed for host %s (https only, http "
            "for allow-listed hosts)",
            scheme, x->host);
        goto out;
    }
    x->private_ok = in_list(x->c->private_hosts, x->host);
    rc = 0;
out:
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return rc;
}

static curl_socket_t
open_sock(void *clientp, curlsocktype purpose, struct curl_sockaddr *a)
{
    struct xfer *x = clientp;
    char ip[INET6_ADDRSTRLEN] = "";

    (void) purpose;
    /* A redirect hop passes the checks the info URL passed (curl limits
     * its scheme; the host and the address are ours to check). */
    char *hop = NULL;
    if (curl_easy_getinfo(x->easy, CURLINFO_EFFECTIVE_URL, &hop) == CURLE_OK
        && hop && strcmp(hop, x->url) != 0) {
        char why[256];
        if (check_url(x, hop, why, sizeof(why)) != 0) {
            snprintf(x->hop_why, sizeof(x->hop_why),
                "info URL %.200s redirects: %.250s", x->url, why);
            return CURL_SOCKET_BAD;
        }
    }
    if (certfetch_addr_special(&a->addr) && !x->private_ok) {
        (void) transport_ip_str(&a->addr, ip, sizeof(ip));
        if (!in_list(x->c->private_hosts, ip)) {
            x->refused = true;
            snprintf(x->refused_ip, sizeof(x->refused_ip), "%s", ip);
            return CURL_SOCKET_BAD;
        }
    }
    return socket(a->family, a->socktype, a->protocol);
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
    struct xfer *x = arg;
    size_t len = size * n;

    if (x->len + len > (size_t) x->c->conf.max_bytes) {
        x->too_big = true;
        return 0;
    }
    char *b = realloc(x->body, x->len + len + 1);
    if (!b) {
        return 0;
    }
    memcpy(b + x->len, p, len);
    x->body = b;
    x->len += len;
    b[x->len] = '\0';
    return len;
}

void
certcache_hdrs_init(struct certcache_hdrs *h)
{
    h->ttl = -1;
    h->date = 0;
    h->expires = 0;
}

void
certcache_hdrs_line(struct certcache_hdrs *h, const char *p, size_t len)
{
    char line[512];

    if (len >= sizeof(line)) {
        return;
    }
    memcpy(line, p, len);
    line[len] = '\0';
    line[strcspn(line, "\r\n")] = '\0';
    char *v = strchr(line, ':');
    if (!v) {
        return;
    }
    *v++ = '\0';
    while (*v == ' ' || *v == '\t') {
        v++;
    }
    if (strcasecmp(line, "Cache-Control") == 0) {
        const char *m = strcasestr(v, "s-maxage=");
        if (m) {
            m += 9;
        } else if ((m = strcasestr(v, "max-age="))) {
            m += 8;
        }
        if (m) {
            h->ttl = strtoll(m, NULL, 10);
        }
        if (strcasestr(v, "no-store") || strcasestr(v, "no-cache")) {
            h->ttl = 0;
        }
    } else if (strcasecmp(line, "Expires") == 0) {
        h->expires = curl_getdate(v, NULL);
    } else if (strcasecmp(line, "Date") == 0) {
        h->date = curl_getdate(v, NULL);
    }
}

time_t
certcache_hdrs_expiry(const struct certcache_hdrs *h, time_t now,
    int64_t ttl_min, int64_t ttl_max)
{
    int64_t ttl = ttl_max;

    if (h->ttl >= 0) {
        ttl = h->ttl;
    } else if (h->expires > 0) {
        ttl = (int64_t) h->expires - (h->date > 0 ? h->date : now);
    }
    if (ttl < ttl_min) {
        ttl = ttl_min;
    }
    if (ttl > ttl_max) {
        ttl = ttl_max;
    }
    return now + (time_t) ttl;
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
    struct xfer *x = arg;

    certcache_hdrs_line(&x->hdrs, p, size * n);
    return size * n;
}

static CURL *
easy_setup(struct xfer *x)
{
    CURL *e = curl_easy_init();
    const struct certcache_conf *cf = &x->c->conf;

    if (!e) {
        return NULL;
    }
    curl_easy_setopt(e, CURLOPT_URL, x->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, x);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long) cf->timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long) cf->timeout_ms);
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) cf->max_bytes);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    /* Redirects stay on the scheme the URL was allowed with. */
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, 3L);
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR,
        strncasecmp(x->url, "https:", 6) == 0 ? "https" : "http");
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_sock);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, x);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "sipward/" SIPWARD_VERSION);
    curl_easy_setopt(e, CURLOPT_FAILONERROR, 0L);
    return e;
}

static struct xfer *
xfer_new(struct certcache *c, struct slice url)
{
    struct xfer *x = calloc(1, sizeof(*x));

    if (!x) {
        return NULL;
    }
    x->c = c;
    certcache_hdrs_init(&x->hdrs);
    x->start_ms = clock_mono_ms();
    if (url.len >= sizeof(x->url)) {
        x->bad_url = true;
        url.len = sizeof(x->url) - 1;
    }
    memcpy(x->url, url.p, url.len);
    x->url[url.len] = '\0';
    return x;
}

static void
xfer_free(struct xfer *x)
{
    if (x->easy) {
        curl_easy_cleanup(x->easy);
    }
    free(x->body);
    free(x);
}

/* Turns the outcome of a transfer into a cache entry. */
static void
xfer_finish(struct xfer *x, CURLcode rc, time_t now)
{
    struct certcache *c = x->c;
    struct stir_cert *cert = NULL, *seen = NULL;
    char why[512] = "";
    long status = 0;
    int code = 436;

    if (x->easy) {
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    }
    /* Validation and caching are one step for a trust-store swap. */
    pthread_rwlock_rdlock(&c->trust_lock);
    if (x->hop_why[0]) {
        snprintf(why, sizeof(why), "%s", x->hop_why);
    } else if (x->refused) {
        snprintf(why, sizeof(why),
            "info URL %s resolves to a special-purpose address (RFC 6890) "
            "not allow-listed (%s)",
            x->url, x->refused_ip);
    } else if (x->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
        snprintf(why, sizeof(why),
            "certificate at %s is larger than %lld bytes", x->url,
            (long long) c->conf.max_bytes);
    } else if (rc == CURLE_OPERATION_TIMEDOUT) {
        snprintf(why, sizeof(why), "fetching %s timed out after %lld ms",
            x->url, (long long) c->conf.timeout_ms);
    } else if (rc != CURLE_OK) {
        snprintf(why, sizeof(why), "cannot fetch %s: %s", x->url,
            curl_easy_strerror(rc));
    } else if (status != 200) {
        snprintf(
            why, sizeof(why), "fetching %s: HTTP status %ld", x->url, status);
    } else if (stir_cert_parse(&seen, x->body ? x->body : "", x->len) != 0) {
        code = 437;
        snprintf(
            why, sizeof(why), "content of %s is not a PEM certificate", x->url);
    } else {
        char vwhy[160] = "";
        if (stir_cert_validate(seen, c->conf.trust, now, vwhy, sizeof(vwhy))
            != 0) {
            code = 437;
            snprintf(why, sizeof(why), "certificate from %s: %s", x->url,
                vwhy[0] ? vwhy : "untrusted");
        } else {
            cert = stir_cert_ref(seen);
        }
    }
    app_metrics_cert_fetch(cert ? APP_CERT_MISS : APP_CERT_FAILURE,
        (clock_mono_ms() - x->start_ms) * 1000000ull);
    pthread_mutex_lock(&c->lock);
    c->st.fetches++;
    if (!cert) {
        c->st.fetch_fail++;
    }
    pthread_mutex_unlock(&c->lock);
    if (cert) {
        time_t exp = certcache_hdrs_expiry(
            &x->hdrs, now, c->conf.ttl_min, c->conf.ttl_max);
        if (stir_cert_not_after(cert) < exp) {
            exp = stir_cert_not_after(cert);
        }
        log_debug("cached %s until %lld", x->url, (long long) exp);
        insert(c, slice_cstr(x->url), cert, seen, 0, NULL, exp, now);
    } else {
        log_info("%s", why);
        insert(c, slice_cstr(x->url), NULL, seen, code, why,
            now + (time_t) c->conf.neg_ttl, now);
    }
    pthread_rwlock_unlock(&c->trust_lock);
    stir_cert_deref(seen);
}

enum certcache_state
certcache_fetch_sync(struct certcache *c, struct slice url, time_t now,
    struct stir_cert **cert, int *code, char *why, size_t why_size)
{
    enum certcache_state st =
        certcache_get(c, url, now, cert, code, why, why_size);
    if (st != CERTCACHE_MISS) {
        return st;
    }
    struct xfer *x = xfer_new(c, url);
    if (!x) {
        *code = 436;
        snprintf(why, why_size, "out of memory");
        return CERTCACHE_FAIL;
    }
    char uwhy[512];
    if (x->bad_url || check_url(x, x->url, uwhy, sizeof(uwhy)) != 0) {
        if (x->bad_url) {
            snprintf(uwhy, sizeof(uwhy), "info URL too long");
        }
        insert(
            c, url, NULL, NULL, 436, uwhy, now + (time_t) c->conf.neg_ttl, now);
    } else {
        x->easy = easy_setup(x);
        CURLcode rc =
            x->easy ? curl_easy_perform(x->easy) : CURLE_OUT_OF_MEMORY;
        xfer_finish(x, rc, time(NULL));
    }
    xfer_free(x);
    st = certcache_get(c, url, now, cert, code, why, why_size);
    if (st == CERTCACHE_MISS) { /* evicted at once: report plainly */
        *code = 436;
        snprintf(why, why_size, "certificate cache is full");
        st = CERTCACHE_FAIL;
    }
    return st;
}

/* ---- the multi interface on the worker's loop ---- */

static void check_done(struct certfetch *f);

static void
on_io(void *arg, uint32_t events)
{
    struct sockw *s = arg;
    struct certfetch *f = s->f;
    int flags = 0, running = 0;

    if (events & EPOLLIN) {
        flags |= CURL_CSELECT_IN;
    }
    if (events & EPOLLOUT) {
        flags |= CURL_CSELECT_OUT;
    }
    if (events & (EPOLLERR | EPOLLHUP)) {
        flags |= CURL_CSELECT_ERR;
    }
    /* s may be freed inside (CURL_POLL_REMOVE): use only f after this. */
    curl_multi_socket_action(f->multi, s->fd, flags, &running);
    check_done(f);
}

static int
sock_cb(CURL *e, curl_socket_t fd, int what, void *userp, void *socketp)
{
    struct certfetch *f = userp;
    struct sockw *s = socketp;

    (void) e;
    if (what == CURL_POLL_REMOVE) {
        if (s) {
            ev_io_stop(f->loop, &s->io);
            curl_multi_assign(f->multi, fd, NULL);
            free(s);
        }
        return 0;
    }
    uint32_t ev = ((what & CURL_POLL_IN) ? EPOLLIN : 0)
        | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0);
    if (!s) {
        s = calloc(1, sizeof(*s));
        if (!s) {
            return -1;
        }
        s->f = f;
        s->fd = fd;
        if (ev_io_start(f->loop, &s->io, fd, ev, on_io, s) != 0) {
            free(s);
            return -1;
        }
        curl_multi_assign(f->multi, fd, s);
        return 0;
    }
    ev_io_modify(f->loop, &s->io, ev);
    return 0;
}

static void
on_timeout(void *arg)
{
    struct certfetch *f = arg;
    int running = 0;

    curl_multi_socket_action(f->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(f);
}

static int
timer_cb(CURLM *m, long timeout_ms, void *userp)
{
    struct certfetch *f = userp;

    (void) m;
    if (timeout_ms < 0) {
        ev_timer_stop(f->loop, &f->timer);
        return 0;
    }
    /* Never call socket_action from here (recursion): a 0 ms timer. */
    ev_timer_start(f->loop, &f->timer, (uint64_t) timeout_ms, on_timeout, f);
    return 0;
}

static void
unlink_xfer(struct certfetch *f, struct xfer *x)
{
    for (struct xfer **pp = &f->xfers; *pp; pp = &(*pp)->next) {
        if (*pp == x) {
            *pp = x->next;
            f->running--;
            metric_gauge_add(&app_m_cert_running, 0, -1);
            return;
        }
    }
}

static void
wake(struct certfetch_waiter *w)
{
    while (w) {
        struct certfetch_waiter *next = w->next;
        w->cb(w->arg);
        w = next;
    }
}

static void
check_done(struct certfetch *f)
{
    CURLMsg *msg;
    int left;

    while ((msg = curl_multi_info_read(f->multi, &left))) {
        if (msg->msg != CURLMSG_DONE) {
            continue;
        }
        struct xfer *x = NULL;
        CURL *e = msg->easy_handle;
        CURLcode rc = msg->data.result;
        curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **) &x);
        curl_multi_remove_handle(f->multi, e);
        xfer_finish(x, rc, time(NULL));
        unlink_xfer(f, x);
        struct certfetch_waiter *w = x->waiters;
        xfer_free(x);
        wake(w);
    }
}

int
certfetch_new(struct certfetch **fp, struct certcache *c, struct ev_loop *loop)
{
    struct certfetch *f = calloc(1, sizeof(*f));

    if (!f) {
        return -ENOMEM;
    }
    f->c = c;
    f->loop = loop;
    f->multi = curl_multi_init();
    if (!f->multi) {
        free(f);
        return -ENOMEM;
    }
    curl_multi_setopt(f->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
    curl_multi_setopt(f->multi, CURLMOPT_SOCKETDATA, f);
    curl_multi_setopt(f->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(f->multi, CURLMOPT_TIMERDATA, f);
    *fp = f;
    return 0;
}

void
certfetch_free(struct certfetch *f)
{
    if (!f) {
        return;
    }
    while (f->xfers) {
        struct xfer *x = f->xfers;
        f->xfers = x->next;
        curl_multi_remove_handle(f->multi, x->easy);
        xfer_free(x);
        metric_gauge_add(&app_m_cert_running, 0, -1);
    }
    ev_timer_stop(f->loop, &f->timer);
    curl_multi_cleanup(f->multi);
    free(f);
}

int
certfetch_want(struct certfetch *f, struct slice url,
    struct certfetch_waiter *w, certfetch_cb *cb, void *arg)
{
    struct xfer *x;
    char why[512];

    w->cb = cb;
    w->arg = arg;
    for (x = f->xfers; x; x = x->next) {
        if (strlen(x->url) == url.len && memcmp(x->url, url.p, url.len) == 0) {
            w->next = x->waiters;
            x->waiters = w;
            return 0;
        }
    }
    x = xfer_new(f->c, url);
    if (!x) {
        return -ENOMEM;
    }
    time_t now = time(NULL);
    if (x->bad_url || check_url(x, x->url, why, sizeof(why)) != 0) {
        if (x->bad_url) {
            snprintf(why, sizeof(why), "info URL too long");
        }
        /* Answered from the cache at once: nothing to wait for. */
        insert(f->c, url, NULL, NULL, 436, why,
            now + (time_t) f->c->conf.neg_ttl, now);
        xfer_free(x);
        return 1;
    }
    x->easy = easy_setup(x);
    if (!x->easy || curl_multi_add_handle(f->multi, x->easy) != CURLM_OK) {
        xfer_free(x);
        return -ENOMEM;
    }
    w->next = NULL;
    x->waiters = w;
    x->next = f->xfers;
    f->xfers = x;
    f->running++;
    metric_gauge_add(&app_m_cert_running, 0, 1);
    return 0;
}

size_t
certfetch_running(const struct certfetch *f)
{
    return f->running;
}
