/*
 * The location service: configuration, served domains, and the redirect
 * half (the registrar half is registrar.c).
 */
#define LOG_MODULE "location"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_metrics.h"
#include "app/location_int.h"
#include "base/clock.h"
#include "base/log.h"
#include "sip/sip_hdr.h"
#include "sip/sip_uri.h"

#define OPT(k, type, field, min, max, def, help)                               \
    {                                                                          \
        "registrar", k, type, offsetof(struct location_conf, field), min, max, \
            def, help, 0                                                       \
    }

static const struct conf_opt location_opts[] = {
    OPT("auth", CONF_BOOL, auth, 0, 0, "true",
        "require digest authentication for REGISTER (users from 'sipward "
        "user add')"),
    OPT("algorithms", CONF_STR, algorithms, 0, 64, "sha256,md5",
        "digest algorithms offered, preferred first: sha256, md5"),
    OPT("use_domain", CONF_BOOL, use_domain, 0, 0, "true",
        "false: all served domains are aliases of the first one (user "
        "names are unique across them)"),
    OPT("min_expires", CONF_INT, min_expires, 1, 86400, "60",
        "shorter registrations are refused with 423 Interval Too Brief"),
    OPT("max_expires", CONF_INT, max_expires, 1, 604800, "7200",
        "longer registrations are shortened to this"),
    OPT("default_expires", CONF_INT, default_expires, 1, 604800, "3600",
        "expiry when the REGISTER gives none"),
    OPT("nonce_ttl", CONF_INT, nonce_ttl, 5, 86400, "300",
        "seconds a digest nonce stays fresh (then stale=true)"),
    OPT("fail_burst", CONF_INT, fail_burst, 1, 100000, "20",
        "bad credentials allowed per source address before it is answered "
        "403 without checking"),
    OPT("fail_per_min", CONF_INT, fail_per_min, 1, 100000, "10",
        "how fast that allowance refills, per minute"),
};

void
location_conf_register(struct conf *c, struct location_conf *lc)
{
    conf_add(
        c, location_opts, sizeof(location_opts) / sizeof(location_opts[0]), lc);
}

static int
parse_algorithms(const char *s, bool *sha, bool *md5)
{
    char buf[64];
    char *save = NULL;

    *sha = *md5 = false;
    snprintf(buf, sizeof(buf), "%s", s);
    for (char *t = strtok_r(buf, ", ", &save); t;
         t = strtok_r(NULL, ", ", &save)) {
        if (strcmp(t, "sha256") == 0) {
            *sha = true;
        } else if (strcmp(t, "md5") == 0) {
            *md5 = true;
        } else {
            return -EINVAL;
        }
    }
    return *sha || *md5 ? 0 : -EINVAL;
}

int
location_conf_validate(struct conf *c, const struct location_conf *lc)
{
    bool sha, md5;

    if (parse_algorithms(lc->algorithms, &sha, &md5) != 0) {
        snprintf(c->err, sizeof(c->err),
            "registrar.algorithms: '%s' is not a list of sha256, md5",
            lc->algorithms);
        return CONF_E_BAD_VALUE;
    }
    if (lc->min_expires > lc->max_expires
        || lc->default_expires < lc->min_expires
        || lc->default_expires > lc->max_expires) {
        snprintf(c->err, sizeof(c->err),
            "registrar: need min_expires <= default_expires <= max_expires");
        return CONF_E_BAD_VALUE;
    }
    return 0;
}

/* ---- domains ---- */

int
location_domains_parse(
    struct location_domains *d, const char *csv, bool use_domain)
{
    const char *p = csv;

    memset(d, 0, sizeof(*d));
    d->use_domain = use_domain;
    while (*p) {
        size_t n = strcspn(p, ",");
        struct slice s = slice_trim(slice_make(p, n));
        if (s.len) {
            if (d->n == LOCATION_MAX_DOMAINS || s.len >= sizeof(d->name[0])) {
                return -EINVAL;
            }
            for (size_t i = 0; i < s.len; i++) {
                char c = s.p[i];
                d->name[d->n][i] = (c >= 'A' && c <= 'Z') ? (char) (c + 32) : c;
            }
            d->len[d->n++] = (uint8_t) s.len;
        }
        p += n;
        if (*p == ',') {
            p++;
        }
    }
    return d->n ? 0 : -EINVAL;
}

bool
location_domain_served(const struct location_domains *d, struct slice host)
{
    for (size_t i = 0; i < d->n; i++) {
        if (host.len == d->len[i]
            && slice_caseeq(host, slice_make(d->name[i], d->len[i]))) {
            return true;
        }
    }
    return false;
}

/* The key of uri into out, its length, and whether its host is served: the
 * key's host is already lower case, like the names, so bytes compare. */
static int
aor_key(const struct location_domains *d, char *out, size_t size,
    struct slice uri, size_t *len, bool *served)
{
    size_t host;
    int rc = store_aor_canon_ex(out, size, uri, len, &host);

    *served = false;
    if (rc) {
        return rc;
    }
    size_t hlen = *len - host;
    for (size_t i = 0; i < d->n && !*served; i++) {
        *served =
            hlen == d->len[i] && memcmp(out + host, d->name[i], hlen) == 0;
    }
    if (*served && !d->use_domain) {
        if (host + d->len[0] + 1 > size) {
            return -ENOSPC;
        }
        memcpy(out + host, d->name[0], d->len[0] + 1u);
        *len = host + d->len[0];
    }
    return 0;
}

int
location_aor_key(
    const struct location_domains *d, char *out, size_t size, struct slice uri)
{
    size_t len;
    bool served;

    return aor_key(d, out, size, uri, &len, &served);
}

/* ---- formatting ---- */

void
location__contact_fmt(
    struct sip_wbuf *w, const struct store_binding *b, int64_t now, bool full)
{
    int64_t left = b->expires - now;
    uint64_t secs = (uint64_t) (left > 0 ? left : 0);
    /* ">;expires=N;q=0.xyz" is put together here, then the whole value
     * is copied in one go (one call per binding of a 302). */
    char tail[48];
    char digits[20];
    size_t nd = 0, n = 10;

    memcpy(tail, ">;expires=", 10);
    do {
        digits[nd++] = (char) ('0' + secs % 10);
        secs /= 10;
    } while (secs);
    while (nd) {
        tail[n++] = digits[--nd];
    }
    if (b->q >= 1000) {
        memcpy(tail + n, ";q=1", 4);
        n += 4;
    } else {
        /* q/1000 with three decimals, trailing zeros dropped but one kept
         * (0.5, 0.25, 0.0). */
        char *q = tail + n;
        memcpy(q, ";q=0.", 5);
        q[5] = (char) ('0' + b->q / 100);
        q[6] = (char) ('0' + b->q / 10 % 10);
        q[7] = (char) ('0' + b->q % 10);
        size_t qn = 8;
        while (qn > 6 && q[qn - 1] == '0') {
            qn--;
        }
        n += qn;
    }
    char *p = sip_wbuf_room(w, 1 + b->contact.len + n);
    if (p) {
        p[0] = '<';
        memcpy(p + 1, b->contact.p, b->contact.len);
        memcpy(p + 1 + b->contact.len, tail, n);
        w->len += 1 + b->contact.len + n;
    }
    if (full && b->instance.len) {
        sip_wbuf_put(w, SLICE_LIT(";+sip.instance=\"<"));
        sip_wbuf_put(w, b->instance);
        sip_wbuf_put(w, SLICE_LIT(">\""));
    }
    if (full && b->reg_id) {
        sip_wbuf_put(w, SLICE_LIT(";reg-id="));
        sip_wbuf_putu(w, b->reg_id);
    }
}

/* ---- redirect ---- */

enum {
    REDIRECT_BUF = 16384,
    MAX_FIELDS = STORE_MAX_BINDINGS + 2,
};

struct redirect {
    int code;
    int64_t now;
    struct slice host; /* warn-agent */
    struct sip_wbuf w;
    struct sip_field f[MAX_FIELDS];
    size_t nf;
};

/* Appends one header whose value is what fmt wrote into r->w. */
static void
field_end(struct redirect *r, struct slice name, size_t start)
{
    if (r->w.err || r->nf == MAX_FIELDS) {
        return;
    }
    r->f[r->nf].name = name;
    r->f[r->nf++].value = slice_make(r->w.p + start, r->w.len - start);
}

/* RFC 3261 §20.43: 399 miscellaneous warning, for humans. */
#define MOVED_WARNING                                                          \
    " \"The user moved permanently: update your address book or routing to "   \
    "the new address\""

/* The 301's Contact and Warning values, written in one go: the moved URI
 * is at most STORE_MAX_FIELD and the host a Request-URI's, far below
 * REDIRECT_BUF. */
static void
moved_fields(struct redirect *r, struct slice uri)
{
    size_t need = uri.len + 2 + 4 + r->host.len + sizeof(MOVED_WARNING) - 1;
    char *p = r->w.p + r->w.len;

    if (r->w.err || need > r->w.size - r->w.len || r->nf + 2 > MAX_FIELDS) {
        r->w.err = -ENOSPC;
        return;
    }
    r->f[r->nf].name = SLICE_LIT("Contact");
    r->f[r->nf++].value = slice_make(p, uri.len + 2);
    *p++ = '<';
    memcpy(p, uri.p, uri.len);
    p += uri.len;
    *p++ = '>';
    r->f[r->nf].name = SLICE_LIT("Warning");
    r->f[r->nf++].value = slice_make(p, need - uri.len - 2);
    memcpy(p, "399 ", 4);
    memcpy(p + 4, r->host.p, r->host.len);
    memcpy(p + 4 + r->host.len, MOVED_WARNING, sizeof(MOVED_WARNING) - 1);
    r->w.len += need;
}

/* Runs under the AOR's shard read lock: copy out, nothing more. */
static void
redirect_view(void *arg, const struct store_aor_view *v)
{
    struct redirect *r = arg;

    if (v->moved) {
        /* Moved wins over registrations. */
        r->code = 301;
        moved_fields(r, v->moved_uri);
        return;
    }
    if (!v->nbindings) {
        r->code = 480; /* known, but nothing registered now */
        return;
    }
    r->code = 302;
    for (size_t i = 0; i < v->nbindings; i++) {
        size_t start = r->w.len;
        location__contact_fmt(&r->w, &v->bindings[i], r->now, false);
        field_end(r, SLICE_LIT("Contact"), start);
    }
}

static int
redirect(struct location *l, struct app_req *req)
{
    const struct sip_msg *m = req->msg;
    /* The parser checked the Request-URI already: no second parse. */
    const struct sip_uri *u = &m->uri;
    char key[STORE_MAX_AOR + 1];
    size_t klen;
    bool served;
    struct redirect r;

    /* Out-of-dialog only: a To tag means a dialog we are not part of. */
    if (m->to_tag.len) {
        return APP_PASS;
    }
    if ((u->scheme != SIP_URI_SIP && u->scheme != SIP_URI_SIPS) || !u->user.len
        || aor_key(&l->dom, key, sizeof(key), m->ruri, &klen, &served) != 0
        || !served) {
        return APP_PASS;
    }
    char *buf = arena_alloc(req->scratch, REDIRECT_BUF);
    if (!buf) {
        app_req_reply(req, 500, SLICE_NULL, NULL, 0);
        return APP_DONE;
    }
    /* Not zeroed as a whole: f[] is filled as far as nf says. */
    r.code = 404;
    r.now = (int64_t) clock_wall();
    r.host = u->host;
    r.nf = 0;
    sip_wbuf_init(&r.w, buf, REDIRECT_BUF);
    store_aor_read(l->st, slice_make(key, klen), r.now, redirect_view, &r);
    if (r.code == 301 || r.code == 302) {
        app_metrics_redirect(
            r.code == 301 ? APP_REDIRECT_MOVED : APP_REDIRECT_REGISTERED);
    }
    app_req_reply(req, r.code, SLICE_NULL, r.f, r.nf);
    return APP_DONE;
}

/* ---- the service ---- */

static int
location_handle(void *arg, struct app_req *req)
{
    struct location *l = arg;

    switch (req->msg->method) {
    case SIP_METHOD_REGISTER:
        return location__register(l, req);
    case SIP_METHOD_ACK:
    case SIP_METHOD_CANCEL:
        return APP_PASS;
    default:
        return redirect(l, req);
    }
}

static int
location_worker_start(void *arg, struct app_worker *w, void **wstate)
{
    struct location_worker *lw = calloc(1, sizeof(*lw));

    (void) w;
    if (!lw) {
        return -ENOMEM;
    }
    lw->l = arg;
    *wstate = lw;
    return 0;
}

static void
location_worker_stop(void *arg, struct app_worker *w, void *wstate)
{
    (void) arg;
    (void) w;
    location__worker_release(wstate);
    free(wstate);
}

static const char *const location_tags[] = { "path", NULL };

int
location_new(struct location **lp, struct store *st, const char *domains,
    const char *realm, const struct location_conf *lc, char *err, size_t errlen)
{
    struct location *l = calloc(1, sizeof(*l));
    int rc;

    if (!l) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    l->st = st;
    l->min_expires = (uint32_t) lc->min_expires;
    l->max_expires = (uint32_t) lc->max_expires;
    l->default_expires = (uint32_t) lc->default_expires;
    rc = location_domains_parse(&l->dom, domains, lc->use_domain);
    if (rc) {
        snprintf(err, errlen, "server.domains: '%s' is not a list of domains",
            domains);
        goto fail;
    }
    snprintf(l->realm, sizeof(l->realm), "%s", realm);
    if (lc->auth) {
        struct auth_conf ac = {
            .realm = slice_cstr(realm),
            .nonce_ttl_s = (uint32_t) lc->nonce_ttl,
            .fail_burst = (double) lc->fail_burst,
            .fail_per_sec = (double) lc->fail_per_min / 60.0,
        };
        if (parse_algorithms(lc->algorithms, &ac.sha256, &ac.md5) != 0) {
            rc = -EINVAL;
            snprintf(err, errlen, "registrar.algorithms: bad list");
            goto fail;
        }
        rc = auth_new(&l->auth, &ac);
        if (rc) {
            snprintf(err, errlen, "digest authentication: %s", strerror(-rc));
            goto fail;
        }
    }
    l->svc = (struct app_service){
        .name = "location",
        .methods = APP_METHOD(SIP_METHOD_REGISTER)
            | APP_METHOD(SIP_METHOD_INVITE) | APP_METHOD(SIP_METHOD_OPTIONS)
            | APP_METHOD(SIP_METHOD_MESSAGE) | APP_METHOD(SIP_METHOD_SUBSCRIBE)
            | APP_METHOD(SIP_METHOD_REFER) | APP_METHOD(SIP_METHOD_PUBLISH)
            | APP_METHOD(SIP_METHOD_NOTIFY) | APP_METHOD(SIP_METHOD_INFO),
        .option_tags = location_tags,
        .handle = location_handle,
        .arg = l,
        .worker_start = location_worker_start,
        .worker_stop = location_worker_stop,
    };
    *lp = l;
    return 0;
fail:
    free(l);
    return rc;
}

void
location_free(struct location *l)
{
    if (l) {
        auth_free(l->auth);
        free(l);
    }
}

const struct app_service *
location_service(const struct location *l)
{
    return &l->svc;
}
