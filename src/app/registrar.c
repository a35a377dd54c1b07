/*
 * The registrar (RFC 3261 §10.3): checks a REGISTER in the RFC's order,
 * authenticates it (RFC 7616 digest), hands the binding changes to the
 * store thread and answers 200 OK, listing every current binding, only once
 * the store reports the write durable.
 */
#define LOG_MODULE "registrar"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/location_int.h"
#include "base/clock.h"
#include "base/log.h"
#include "sip/sip_hdr.h"
#include "sip/sip_uri.h"

enum {
    MAX_CONTACTS = STORE_MAX_BINDINGS,
    CTX_BUF = 8192,
    OUT_BUF = sizeof(((struct location_worker *) 0)->reply),
    FREE_KEEP = 256, /* contexts kept per worker for reuse */
};

/*
 * One REGISTER waiting for its store write. It owns copies of everything
 * the store request points to (the received message is gone by then).
 */
struct reg_ctx {
    struct reg_ctx *next_free;
    struct location_worker *lw;
    struct app_deferred *d;
    struct store_req req;
    struct store_contact contacts[MAX_CONTACTS];
    char aor[STORE_MAX_AOR + 1];
    struct sip_wbuf w; /* copies */
    char buf[CTX_BUF];
};

static struct reg_ctx *
ctx_get(struct location_worker *lw)
{
    struct reg_ctx *c = lw->free;

    if (c) {
        lw->free = c->next_free;
        lw->nfree--;
    } else {
        c = malloc(sizeof(*c));
        if (!c) {
            return NULL;
        }
    }
    memset(&c->req, 0, sizeof(c->req));
    c->lw = lw;
    c->d = NULL;
    sip_wbuf_init(&c->w, c->buf, sizeof(c->buf));
    return c;
}

static void
ctx_put(struct reg_ctx *c)
{
    struct location_worker *lw = c->lw;

    if (lw->nfree >= FREE_KEEP) {
        free(c);
        return;
    }
    c->next_free = lw->free;
    lw->free = c;
    lw->nfree++;
}

void
location__worker_release(struct location_worker *lw)
{
    while (lw->free) {
        struct reg_ctx *c = lw->free;
        lw->free = c->next_free;
        free(c);
    }
    lw->nfree = 0;
}

/* Copies s into the context; an empty slice when it does not fit. */
static struct slice
keep(struct sip_wbuf *w, struct slice s)
{
    size_t at = w->len;

    sip_wbuf_put(w, s);
    return w->err ? SLICE_NULL : slice_make(w->p + at, s.len);
}

/* ---- answering ---- */

struct reply {
    struct sip_wbuf w;
    struct sip_field f[MAX_CONTACTS + 4];
    size_t nf;
    int64_t now;
};

static void
reply_field(struct reply *r, const char *name, size_t start)
{
    if (!r->w.err && r->nf < sizeof(r->f) / sizeof(r->f[0])) {
        r->f[r->nf++] = (struct sip_field){ slice_cstr(name),
            slice_make(r->w.p + start, r->w.len - start) };
    }
}

/* One Warning header explaining a refusal (the reason phrase stays the
 * catalog's). */
static void
reply_warning(struct reply *r, const char *text)
{
    size_t start = r->w.len;

    sip_wbuf_puts(&r->w, "399 sipward \"");
    sip_wbuf_puts(&r->w, text);
    sip_wbuf_putc(&r->w, '"');
    reply_field(r, "Warning", start);
}

/* §10.3 step 8: every current binding, with its remaining expiry. */
static void
bindings_view(void *arg, const struct store_aor_view *v)
{
    struct reply *r = arg;

    for (size_t i = 0; i < v->nbindings; i++) {
        size_t start = r->w.len;
        location__contact_fmt(&r->w, &v->bindings[i], r->now, true);
        reply_field(r, "Contact", start);
    }
}

static void
reply_bindings(struct location *l, struct reply *r, const char *aor)
{
    store_aor_read(l->st, slice_cstr(aor), r->now, bindings_view, r);
}

static int
answer(struct app_req *req, int code, const char *warning)
{
    char buf[512];
    struct reply r = { .nf = 0 };

    sip_wbuf_init(&r.w, buf, sizeof(buf));
    if (warning) {
        reply_warning(&r, warning);
    }
    app_req_reply(req, code, SLICE_NULL, r.f, r.nf);
    return APP_DONE;
}

/* Runs on the worker, after the store thread finished the write. */
static void
register_done(void *arg)
{
    struct reg_ctx *c = arg;
    struct location *l = c->lw->l;
    struct reply r = { .nf = 0, .now = (int64_t) clock_wall() };
    int code = 200;

    sip_wbuf_init(&r.w, c->lw->reply, sizeof(c->lw->reply));
    switch (c->req.result) {
    case 0:
        reply_bindings(l, &r, c->aor);
        if (c->req.path.len) {
            /* RFC 3327 §5.3: the Path as stored goes back in the 200. */
            size_t start = r.w.len;
            sip_wbuf_put(&r.w, c->req.path);
            reply_field(&r, "Path", start);
        }
        break;
    case STORE_E_OUT_OF_ORDER:
        /* §10.3 step 7: "the update MUST be aborted and the request fails" */
        code = 500;
        reply_warning(&r, "Call-ID/CSeq not newer than the existing binding");
        break;
    case STORE_E_TOO_MANY:
        code = 403;
        reply_warning(&r, "too many registered contacts for this AOR");
        break;
    case STORE_E_TOO_LONG:
        code = 400;
        reply_warning(&r, "a contact field is too long");
        break;
    default: {
        /* The write is not durable: never a 200. */
        code = 500;
        size_t start = r.w.len;
        sip_wbuf_puts(&r.w, "5");
        reply_field(&r, "Retry-After", start);
        /* A database failure is logged by the store, once per outage: not
         * once per REGISTER while it lasts. */
        if (c->req.result != STORE_E_DB
            && c->req.result != STORE_E_UNAVAILABLE) {
            log_warn(
                "REGISTER %s not stored: %s", c->aor, err_str(c->req.result));
        }
        break;
    }
    }
    app_deferred_reply(c->d, code, SLICE_NULL, r.f, r.nf);
    ctx_put(c);
}

/* ---- authentication (§10.3 steps 3 and 4, RFC 7616) ---- */

static int
challenge(struct location *l, struct app_req *req, bool stale)
{
    char buf[1024];
    struct slice vals[2];
    struct sip_field f[2];
    int n = auth_challenge(l->auth, stale, buf, sizeof(buf), vals);

    if (n <= 0) {
        return answer(req, 500, NULL);
    }
    for (int i = 0; i < n; i++) {
        f[i] = (struct sip_field){ SLICE_LIT("WWW-Authenticate"), vals[i] };
    }
    app_req_reply(req, 401, SLICE_NULL, f, (size_t) n);
    return APP_DONE;
}

struct ha1_copy {
    struct slice want; /* the digest user name the credentials carry */
    bool user;         /* the AOR has a user of that name */
    char md5[33], sha256[65];
};

static void
ha1_view(void *arg, const struct store_aor_view *v)
{
    struct ha1_copy *h = arg;

    h->user = v->user && slice_eq(v->username, h->want);
    if (h->user) {
        memcpy(h->md5, v->ha1_md5, sizeof(h->md5));
        memcpy(h->sha256, v->ha1_sha256, sizeof(h->sha256));
    }
}

/* The stored hashes of the user the credentials name, in key, when that
 * user's digest name is username. */
static bool
ha1_lookup(struct location *l, const char *key, struct slice username,
    struct ha1_copy *ha1)
{
    *ha1 = (struct ha1_copy){ .want = username };
    store_aor_read(l->st, slice_cstr(key), 0, ha1_view, ha1);
    return ha1->user;
}

/*
 * Returns 0 when the request carries valid credentials of the user whose
 * AOR is aor; otherwise answers (401, 403) and returns APP_DONE.
 */
static int
authenticate(struct location *l, struct app_req *req, const char *aor,
    struct slice to_host)
{
    const struct sip_msg *m = req->msg;
    const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_AUTHORIZATION);
    const void *src = req->src->addr.sa.sa_family == AF_INET6
        ? (const void *) &req->src->addr.in6.sin6_addr
        : (const void *) &req->src->addr.in.sin_addr;
    size_t srclen = req->src->addr.sa.sa_family == AF_INET6
        ? sizeof(req->src->addr.in6.sin6_addr)
        : sizeof(req->src->addr.in.sin_addr);
    struct auth_creds c;
    bool found = false;

    /* The credentials for our realm (a request may carry several). */
    for (; h && !found; h = sip_msg_hdr_next(m, h)) {
        int rc = auth_creds_parse(&c, h->value);
        if (rc == -EINVAL) {
            return answer(req, 400, "malformed Authorization header");
        }
        found = rc == 0 && slice_eq(c.realm, slice_cstr(l->realm));
    }
    if (!found) {
        return challenge(l, req, false);
    }
    /* A source that keeps failing gets a cheap answer: no hashing. */
    if (!auth_source_allowed(l->auth, src, srclen)) {
        return answer(req, 403, "too many failed authentications; retry later");
    }

    /* The To AOR's user, when the credentials carry its digest name (which
     * `sipward user add --username` and the admin API may set apart from
     * the AOR's user part); else the user the name means in the To domain,
     * whose valid credentials for another AOR are refused below. */
    char uri[STORE_MAX_AOR + 16], key[STORE_MAX_AOR + 1];
    struct ha1_copy ha1;
    snprintf(key, sizeof(key), "%s", aor);
    if (!ha1_lookup(l, key, c.username, &ha1)) {
        int n = snprintf(uri, sizeof(uri), "sip:%.*s@%.*s",
            SLICE_ARG(c.username), SLICE_ARG(to_host));
        if (n > 0 && (size_t) n < sizeof(uri)
            && location_aor_key(&l->dom, key, sizeof(key), slice_cstr(uri))
                == 0) {
            ha1_lookup(l, key, c.username, &ha1);
        }
    }
    enum auth_verdict v = AUTH_BAD;
    if (ha1.user) {
        v = auth_verify(l->auth, &c, req->msg->method_name,
            c.alg == AUTH_SHA256 ? ha1.sha256 : ha1.md5,
            (int64_t) clock_wall());
    }
    switch (v) {
    case AUTH_OK:
        break;
    case AUTH_STALE:
    case AUTH_REPLAY:
        /* Right password, old or reused nonce: retry with a fresh one. */
        return challenge(l, req, true);
    default:
        auth_source_failed(l->auth, src, srclen);
        log_info("REGISTER %s: bad credentials for '%.*s'", aor,
            SLICE_ARG(c.username));
        return challenge(l, req, false);
    }
    /* §10.3 step 4: a user may change only its own bindings. */
    if (strcmp(key, aor) != 0) {
        return answer(req, 403, "you may register only your own address");
    }
    return 0;
}

/* ---- the REGISTER ---- */

static void
received_str(struct sip_wbuf *w, const struct transport_ep *ep)
{
    char addr[64];

    transport_ep_str(ep, addr, sizeof(addr));
    sip_wbuf_puts(w,
        ep->proto == TRANSPORT_TCP       ? "tcp:"
            : ep->proto == TRANSPORT_TLS ? "tls:"
                                         : "udp:");
    sip_wbuf_puts(w, addr);
}

int
location__register(struct location *l, struct app_req *req)
{
    const struct sip_msg *m = req->msg;
    struct location_worker *lw = req->wstate;
    /* The parser checked both (a request without them got its 400). */
    const struct sip_uri *ru = &m->uri;
    const struct sip_addr *to = &m->to;
    char aor[STORE_MAX_AOR + 1];
    const struct sip_hdr *h;
    uint32_t hdr_expires = 0;
    bool has_expires = false;

    /* Step 1: the Request-URI names a domain we serve. */
    if (ru->scheme != SIP_URI_SIP && ru->scheme != SIP_URI_SIPS) {
        return answer(req, 416, NULL);
    }
    if (!location_domain_served(&l->dom, ru->host)) {
        return answer(req, 404, "domain not served here");
    }
    /* Step 5 (checked early, nothing depends on auth): To is an AOR of a
     * served domain. */
    if ((to->uri.scheme != SIP_URI_SIP && to->uri.scheme != SIP_URI_SIPS)
        || !to->uri.user.len) {
        return answer(req, 400, "To must be a sip or sips address-of-record");
    }
    if (!location_domain_served(&l->dom, to->uri.host)) {
        return answer(req, 404, "To domain not served here");
    }
    if (location_aor_key(&l->dom, aor, sizeof(aor), to->uri_s) != 0) {
        return answer(req, 400, "To must be a sip or sips address-of-record");
    }
    /* Steps 3-4. */
    if (l->auth) {
        int rc = authenticate(l, req, aor, to->uri.host);
        if (rc) {
            return rc;
        }
    }

    /* Step 6: the contacts and their expiry. */
    h = sip_msg_hdr(m, SIP_HDR_EXPIRES);
    if (h) {
        if (sip_expires_parse(&hdr_expires, h->value) != 0) {
            return answer(req, 400, "bad Expires header");
        }
        has_expires = true;
    }
    struct sip_contact ct[MAX_CONTACTS];
    size_t nct = 0;
    bool star = false;
    for (h = sip_msg_hdr(m, SIP_HDR_CONTACT); h; h = sip_msg_hdr_next(m, h)) {
        struct sip_contact c;
        if (sip_contact_parse(&c, h->value) != 0) {
            return answer(req, 400, "bad Contact header");
        }
        if (c.star) {
            star = true;
            continue;
        }
        if (nct == MAX_CONTACTS) {
            return answer(req, 403, "too many contacts");
        }
        ct[nct++] = c;
    }
    if (star && (nct || !has_expires || hdr_expires != 0)) {
        /* §10.3 step 6: "*" only alone and with Expires: 0. */
        return answer(
            req, 400, "Contact: * needs Expires: 0 and no other contact");
    }
    if (!star && !nct) {
        /* A query: the current bindings, nothing written. */
        char *buf = arena_alloc(req->scratch, OUT_BUF);
        struct reply r = { .nf = 0, .now = (int64_t) clock_wall() };
        if (!buf) {
            return answer(req, 500, NULL);
        }
        sip_wbuf_init(&r.w, buf, OUT_BUF);
        reply_bindings(l, &r, aor);
        app_req_reply(req, 200, SLICE_NULL, r.f, r.nf);
        return APP_DONE;
    }

    uint32_t exp[MAX_CONTACTS];
    for (size_t i = 0; i < nct; i++) {
        int64_t e = ct[i].expires >= 0 ? ct[i].expires
            : has_expires              ? (int64_t) hdr_expires
                                       : (int64_t) l->default_expires;
        if (e > 0 && e < (int64_t) l->min_expires) {
            /* §10.3 step 6: 423 with our minimum. */
            char v[16];
            snprintf(v, sizeof(v), "%u", l->min_expires);
            struct sip_field f = { SLICE_LIT("Min-Expires"), slice_cstr(v) };
            app_req_reply(req, 423, SLICE_NULL, &f, 1);
            return APP_DONE;
        }
        exp[i] = e > (int64_t) l->max_expires ? l->max_expires : (uint32_t) e;
    }

    /* Steps 7-8 run on the store thread; we answer when it is durable. */
    struct reg_ctx *c = lw ? ctx_get(lw) : NULL;
    if (!c) {
        return answer(req, 500, NULL);
    }
    memcpy(c->aor, aor, strlen(aor) + 1); /* both STORE_MAX_AOR + 1 */
    struct store_req *sr = &c->req;
    sr->kind = STORE_REQ_REGISTER;
    sr->aor = slice_cstr(c->aor);
    sr->call_id = keep(&c->w, m->call_id);
    sr->cseq = m->cseq;
    sr->wildcard = star;
    sr->now = (int64_t) clock_wall();
    for (size_t i = 0; i < nct; i++) {
        c->contacts[i] = (struct store_contact){
            .uri = keep(&c->w, ct[i].addr.uri_s),
            .instance = keep(&c->w, ct[i].instance),
            .expires = exp[i],
            .reg_id = ct[i].reg_id > 0 ? (uint32_t) ct[i].reg_id : 0,
            .q = (uint16_t) (ct[i].q >= 0 ? ct[i].q : 1000),
        };
    }
    sr->contacts = c->contacts;
    sr->ncontacts = nct;
    /* Path (RFC 3327): every value, in order, comma-joined. */
    size_t pstart = c->w.len;
    for (h = sip_msg_hdr(m, SIP_HDR_PATH); h; h = sip_msg_hdr_next(m, h)) {
        if (c->w.len > pstart) {
            sip_wbuf_puts(&c->w, ", ");
        }
        sip_wbuf_put(&c->w, h->value);
    }
    sr->path = slice_make(c->w.p + pstart, c->w.len - pstart);
    size_t rstart = c->w.len;
    received_str(&c->w, req->src);
    sr->received = slice_make(c->w.p + rstart, c->w.len - rstart);
    if (c->w.err) {
        ctx_put(c);
        return answer(req, 400, "REGISTER too large");
    }

    c->d = app_req_defer(req);
    if (!c->d) {
        ctx_put(c);
        return answer(req, 503, NULL);
    }
    sr->loop = app_deferred_loop(c->d);
    sr->done = register_done;
    sr->arg = c;
    int rc = store_submit(l->st, sr);
    if (rc) {
        sr->result = rc;
        register_done(c);
    }
    return APP_DEFER;
}
