#define LOG_MODULE "admin"
/*
 * The admin API under /api/v1: JSON in and out, every route behind the
 * bearer token. Each resource adds its rows to admin_routes[]; errors are
 * http_resp_error() JSON with the precise reason. Writes go through the
 * store thread and are answered only once durable (store_submit_wait), so
 * a 200 means the change survives a crash; they run on the HTTP threads,
 * never on a SIP worker.
 *
 *   GET    /api/v1                      this index
 *   GET    /api/v1/log                  PUT {"level": "debug"}
 *   GET    /api/v1/moved                POST {"aor", "uri", "note"}
 *   GET    /api/v1/moved/AOR            PUT {"uri", "note"}, DELETE
 *   GET    /api/v1/users                POST {"aor", "password" | "ha1_*"}
 *   GET    /api/v1/users/AOR            PUT {...}, DELETE
 *   GET    /api/v1/bindings/AOR         DELETE (all, or ?contact=URI)
 *   GET    /api/v1/certs                DELETE (all, or ?url=URL)
 *   POST   /api/v1/trust/reload         re-read stir.trust
 *
 * AOR is any sip:/sips: URI (percent-encoded or not); it is canonicalized
 * as the store does (store_aor_canon).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/auth.h"
#include "app/certfetch.h"
#include "app/sti.h"
#include "base/clock.h"
#include "base/log.h"
#include "http/http_body.h"
#include "http/http_int.h"
#include "store/store.h"

static const char *const level_names[] = { "error", "warn", "info", "debug" };

static void api_index(
    void *arg, const struct http_req *rq, struct http_resp *rs);

/* ---- helpers ---- */

static json_t *
jslice(struct slice s)
{
    return json_stringn(s.p ? s.p : "", s.len);
}

/* The AOR in the path, canonical; answers 400 and returns false if bad. */
static bool
path_aor(
    const struct http_req *rq, struct http_resp *rs, char *aor, size_t size)
{
    if (store_aor_canon(aor, size, slice_cstr(rq->tail)) != 0) {
        http_resp_error(rs, 400,
            "'%s' is not a sip: or sips: address-of-record (sip:user@host)",
            rq->tail);
        return false;
    }
    return true;
}

enum {
    STORE_RETRY_S = 5 /* as the registrar's 500 says to phones */
};

static unsigned
store_status(int rc)
{
    switch (rc) {
    case STORE_E_NOT_FOUND:
        return 404;
    case STORE_E_ENCODING: /* the client sent text that is not UTF-8 */
        return 400;
    case STORE_E_TOO_LONG:
    case STORE_E_BAD_AOR:
    case STORE_E_TOO_MANY:
        return 422;
    case STORE_E_OUT_OF_ORDER:
        return 409;
    case STORE_E_CLOSED:
    case STORE_E_UNAVAILABLE: /* PostgreSQL away: the same write will
                                 succeed once it is back */
        return 503;
    default:
        return 500;
    }
}

static void
store_error(struct http_resp *rs, const char *what, int rc)
{
    unsigned status = store_status(rc);

    http_resp_error(rs, status, "%s: %s", what, err_str(rc));
    if (status == 503) {
        rs->retry_after = STORE_RETRY_S;
    }
}

static struct store *
need_store(struct http_service *svc, struct http_resp *rs)
{
    struct store *st = daemon_store(svc->d);

    if (!st) {
        http_resp_error(rs, 503, "the store is not open");
        rs->retry_after = STORE_RETRY_S;
    }
    return st;
}

static int
by_aor(const void *a, const void *b)
{
    json_t *const *x = a;
    json_t *const *y = b;

    return strcmp(json_string_value(json_object_get(*x, "aor")),
        json_string_value(json_object_get(*y, "aor")));
}

static int
by_url(const void *a, const void *b)
{
    json_t *const *x = a;
    json_t *const *y = b;

    return strcmp(json_string_value(json_object_get(*x, "url")),
        json_string_value(json_object_get(*y, "url")));
}

/* Sorts an array of objects with cmp (the index and the certificate cache
 * have no order; callers and diffs want one). */
static json_t *
sorted(json_t *arr, int (*cmp)(const void *, const void *))
{
    size_t n = json_array_size(arr);
    json_t **v = calloc(n + 1, sizeof(*v));
    json_t *out;

    if (!v) {
        return arr;
    }
    for (size_t i = 0; i < n; i++) {
        v[i] = json_incref(json_array_get(arr, i));
    }
    qsort(v, n, sizeof(*v), cmp);
    out = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(out, v[i]);
    }
    free(v);
    json_decref(arr);
    return out;
}

/* ---- log level ---- */

/* GET /api/v1/log: the running log level. */
static void
log_get(void *arg, const struct http_req *rq, struct http_resp *rs)
{
    (void) arg;
    (void) rq;
    int lvl = log_level_current;
    http_resp_json(rs, 200,
        json_pack("{s:s}", "level",
            lvl >= 0 && lvl <= 3 ? level_names[lvl] : "info"));
}

/* PUT /api/v1/log {"level": "debug"}: changes it until the next reload. */
static void
log_put(void *arg, const struct http_req *rq, struct http_resp *rs)
{
    json_t *j = http_req_json(rq, rs);
    const char *lvl;

    (void) arg;
    if (!j) {
        return;
    }
    lvl = json_string_value(json_object_get(j, "level"));
    if (!lvl) {
        http_resp_error(rs, 400,
            "\"level\": expected a string, one of error, warn, info, debug");
    } else if (log_level_parse(lvl) < 0) {
        http_resp_error(rs, 422,
            "\"level\": '%s' is not one of error, warn, info, debug", lvl);
    } else {
        log_set_level((enum log_level) log_level_parse(lvl));
        log_info("log level set to %s through the admin API", lvl);
        http_resp_json(rs, 200, json_pack("{s:s}", "level", lvl));
    }
    json_decref(j);
}

/* ---- moved directory ---- */

static json_t *
moved_json(struct slice aor, struct slice uri, struct slice note, int64_t at)
{
    return json_pack("{s:o,s:o,s:o,s:I}", "aor", jslice(aor), "uri",
        jslice(uri), "note", jslice(note), "since", (json_int_t) at);
}

static void
moved_row(void *arg, const struct store_moved_row *m)
{
    json_array_append_new(arg, moved_json(m->aor, m->uri, m->note, m->at));
}

static void
moved_list(void *arg, const struct http_req *rq, struct http_resp *rs)
{
    struct store *st = need_store(arg, rs);
    json_t *arr;

    (void) rq;
    if (!st) {
        return;
    }
    arr = json_array();
    int rc = store_moved_list(st, moved_row, arr);
    if (rc) {
        json_decref(arr);
        store_error(rs, "moved directory", rc);
        return;
    }
    http_resp_json(rs, 200, json_pack("{s:o}", "moved", sorted(arr, by_aor)));
}

struct view_ctx {
    json_t *out;
    int64_t now;
};

static void
moved_view(void *arg, const struct store_aor_view *v)
{
    struct view_ctx *vc = arg;

    if (v->moved) {
        vc->out = moved_json(v->aor, v->moved_uri, v->moved_note, v->moved_at);
    }
}

static void
moved_get(void *arg, const struct http_req *rq, struct http_resp *rs)
{
    struct store *st = need_store(arg, rs);
    char aor[STORE_MAX_AOR + 1];
    struct view_ctx vc = { NULL, (int64_t) clock_wall() };

    if (!st || !path_aor(rq, rs, aor, sizeof(aor))) {
        return;
    }
    store_aor_read(st, slice_cstr(aor), vc.now, moved_view, &vc);
    if (!vc.out) {
        http_resp_error(rs, 404, "%s is not in the moved directory", aor);
        return;
    }
    http_resp_json(rs, 200, vc.out);
}

static void
moved_put_common(struct http_service *svc, const char *aor, json_t *j,
    unsigned ok_status, struct http_resp *rs)
{
    struct store *st = need_store(svc, rs);
    struct http_moved_body m;

    if (!st || !http_body_moved(&m, j, rs)) {
        return;
    }
    struct store_req r = {
        .kind = STORE_REQ_MOVED_PUT,
        .aor = slice_cstr(aor),
        .uri = slice_cstr(m.uri),
        .note = slice_cstr(m.note ? m.note : ""),
    };
    int rc = store_submit_wait(st, &r);
    if (rc) {
        store_error(rs, aor, rc);
        return;
    }
    log_info("admin API: %s moved to %s", aor, m.uri);
    http_resp_json(rs, ok_status,
        moved_json(slice_cstr(aor), slice_cstr(m.uri),
            slice_cstr(m.note ? m.note : ""), (int64_t) clock_wall()));
}

/* PUT /api/v1/moved/AOR {"uri": ..., "note": ...}: add or replace. */
static void
moved_put(void *arg, const struct http_req *rq, struct http_resp *rs)
{
    char aor[STORE_MAX_AOR + 1];
    json_t *j;

    if (!path_aor(rq, rs, aor, sizeof(aor)) || !(j = http_req_json(rq, rs))) {
        return;
    }
    moved_put_common(arg, aor, j, 200, rs);
    json_decref(j);
}

/* POST /api/v1/moved {"aor": ..., "uri": ..., "note": ...}. */
static void
moved_post(void *arg, const struct http_req *rq, struct http_resp *rs)
{
    char aor[STORE_MAX_AOR + 1];
    json_t *j = http_req_json(rq, rs);

    if (!j) {
        return;
    }
    if (http_body_aor(j, aor, sizeof(aor), rs)) {
        moved_put_common(arg, aor, j, 201, rs);
    }
    json_decref(j);
}

static void
moved_delete(void *arg, const struct http_req *rq, struct http_resp *rs)
{
    struct store *st = need_store(arg, rs);
    char aor[STORE_MAX_AOR + 1];

    if (!st || !path_aor(rq, rs, aor, sizeof(aor))) {
        return;
    }
    struct store_req r = { .kind = STORE_REQ_MOVED_DEL,
        .aor = slice_cstr(aor) };
    int rc = store_submit_wait(st, &r);
    if (rc == STORE_E_NOT_FOUND) {
        http_resp_error(rs, 404, "%s is not in the moved directory", aor);
        return;
    }
    if (rc) {
        store_error(rs, aor, rc);
        return;
    }
    log_info("admin API: %s removed from the moved directory", aor);
    http_resp_json(rs, 200, json_pack("{s:s}", "removed", aor));
}

/* ---- users ---- */

static json_t *
user_json(struct slice aor, struct slice username, struct slice realm,
    bool sha256, bool md5)
{
    json_t *h = json_array();

    if (sha256) {
        json_array_append_new(h, json_string("sha256"));
    }
    if (md5) {
        json_array_append_new(h, json_string("md5"));
    }
    return json_pack("{s:o,s:o,s:o,s:o}", "aor", jslice(aor), "username",
        jslice(username), "realm", jslice(realm), "hashes", h);
}

static void
user_row(void *arg, const struct store_user_row *u)
{
    json_array_append_new(
        arg, user_json(u->aor, u->username, u->realm, u->sha256, u->md5));
}

static void
users_list(void *arg, const struct http_req *rq, struct http_resp *rs)
{
    struct store *st = need_store(arg, rs);
    json_t *arr;

    (void) rq;
    if (!st) {
        return;
    }
    arr = json_array();
    int rc = store_user_list(st, user_row, arr);
    if (rc) {
        json_decref(arr);
        store_error(rs, "users", rc);
        return;
    }
    http_resp_json(rs, 200, json_pack("{s:o}", "users", sorted(arr, by_aor)));
}

static void
user_view(void *arg, const struct store_aor_view *v)
{
    struct view_ctx *vc = arg;

    if (v->user) {
        vc->out = user_json(v->aor, v->username, v->realm,
            v->ha1_sha256[0] != '\0', v->ha1_md5[0] != '\0');
    }
}

static void
user_get(void *arg, const struct http_req *rq, struct http_resp *rs)
{
    struct store *st = need_store(arg, rs);
    char aor[STORE_MAX_AOR + 1];
    struct view_ctx vc = { NULL, (int64_t) clock_wall() };

    if (!st || !path_aor(rq, rs, aor, sizeof(aor))) {
        return;
    }
    store_aor_read(st, slice_cstr(aor), vc.now, user_view, &vc);
    if (!vc.out) {
        http_resp_error(rs, 404, "no such user: %s", aor);
        return;
    }
    http_resp_json(rs, 200, vc.out);
}

/* Add or replace a user (the body: http_body_user). */
static void
user_put_common(struct http_service *svc, const char *aor, json_t *j,
    unsigned ok_status, struct http_resp *rs)
{
    struct store *st = need_store(svc, rs);
    struct http_user_body u;
    char realm[256];

    if (!st) {
        return;
    }
    pthread_mutex_lock(&svc->lock);
    snprintf(realm, sizeof(realm), "%s", svc->realm);
    pthread_mutex_unlock(&svc->lock);
    if (!http_body_user(&u, j, aor, realm, rs)) {
        return;
    }
    struct store_req r = {
        .kind = STORE_REQ_USER_PUT,
        .aor = slice_cstr(aor),
        .username = u.username,
        .realm = slice_cstr(u.realm),
        .ha1_md5 = slice_cstr(u.ha1_md5),
        .ha1_sha256 = slice_cstr(u.ha1_sha256),
    };
    int rc = store_submit_wait(st, &r);
    if (rc) {
        store_error(rs, aor, rc);
    } else {
        log_info("admin API: user %s added", aor);
        http_resp_json(rs, ok_status,
            user_json(slice_cstr(aor), u.username, slice_cstr(u.realm),
                u.ha1_sha256[0] != '\0', u.ha1_md5[0] != '\0'));
    }
    http_user_body_wipe(&u);
}

static void
user_put(void *arg, const struct http_req *rq, struct http_resp *rs)
{
    char aor[STORE_MAX_AOR + 1];
    json_t *j;

    if (!path_aor(rq, rs, aor, sizeof(aor)) || !(j = http_req_json(rq, rs))) {
        return;
    }
    user_put_common(arg, aor, j, 200, rs);
    json_decref(j);
}

static void
user_post(void *arg, const struct http_req *rq, struct http_resp *rs)
{
    char aor[STORE_MAX_AOR + 1];
    json_t *j = http_req_json(rq, rs);

    if (!j) {
        return;
    }
    if (http_body_aor(j, aor, sizeof(aor), rs)) {
        user_put_common(arg, aor, j, 201, rs);
    }
    json_decref(j);
}

static void
user_delete(void *arg, const struct http_req *rq, struct http_resp *rs)
{
    struct store *st = need_store(arg, rs);
    char aor[STORE_MAX_AOR + 1];

    if (!st || !path_aor(rq, rs, aor, sizeof(aor))) {
        return;
    }
    struct store_req r = { .kind = STORE_REQ_USER_DEL, .aor = slice_cstr(aor) };
    int rc = store_submit_wait(st, &r);
    if (rc == STORE_E_NOT_FOUND) {
        http_resp_error(rs, 404, "no such user: %s", aor);
        return;
    }
    if (rc) {
        store_error(rs, aor, rc);
        return;
    }
    log_info("admin API: user %s removed", aor);
    http_resp_json(rs, 200, json_pack("{s:s}", "removed", aor));
}

/* ---- bindings ---- */

struct bindings_ctx {
    json_t *out;
    int64_t now;
    const char *contact; /* when looking for one */
    bool found;
};

static void
bindings_view(void *arg, const struct store_aor_view *v)
{
    struct bindings_ctx *bc = arg;
    json_t *arr = json_array();

    for (size_t i = 0; i < v->nbindings; i++) {
        const struct store_binding *b = &v->bindings[i];
        if (bc->contact && slice_eq(b->contact, slice_cstr(bc->contact))) {
            bc->found = true;
        }
        json_array_append_new(arr,
            json_pack("{s:o,s:I,s:I,s:f,s:o,s:I,s:o,s:I,s:o,s:o}", "contact",
                jslice(b->contact), "expires_in",
                (json_int_t) (b->expires - bc->now), "expires_at",
                (json_int_t) b->expires, "q", (double) b->q / 1000.0, "call_id",
                jslice(b->call_id), "cseq", (json_int_t) b->cseq, "instance",
                jslice(b->instance), "reg_id", (json_int_t) b->reg_id,
                "received", jslice(b->received), "path", jslice(b->path)));
    }
    bc->out = json_pack("{s:o,s:b,s:o}", "aor", jslice(v->aor), "moved",
        v->moved, "bindings", arr);
}

static void
bindings_get(void *arg, const struct http_req *rq, struct http_resp *rs)
{
    struct store *st = need_store(arg, rs);
    char aor[STORE_MAX_AOR + 1];
    struct bindings_ctx bc = { .now = (int64_t) clock_wall() };

    if (!st || !path_aor(rq, rs, aor, sizeof(aor))) {
        return;
    }
    if (store_aor_read(st, slice_cstr(aor), bc.now, bindings_view, &bc) != 0
        || !bc.out) {
        http_resp_error(rs, 404, "%s: no user, binding or moved entry", aor);
        return;
    }
    http_resp_json(rs, 200, bc.out);
}

/*
 * DELETE /api/v1/bindings/AOR[?contact=URI]: removes every binding (as a
 * REGISTER with "Contact: *" would, RFC 3261 10.3) or the one whose
 * contact is URI. The request gets a Call-ID of its own so §10.3 step 7
 * never sees it as a replay of the phone's own REGISTER.
 */
static void
bindings_delete(void *arg, const struct http_req *rq, struct http_resp *rs)
{
    struct store *st = need_store(arg, rs);
    char aor[STORE_MAX_AOR + 1], callid[64];
    const char *contact = http_req_arg(rq, "contact");
    struct bindings_ctx bc = { .now = (int64_t) clock_wall(),
        .contact = contact };

    if (!st || !path_aor(rq, rs, aor, sizeof(aor))) {
        return;
    }
    if (store_aor_read(st, slice_cstr(aor), bc.now, bindings_view, &bc) != 0
        || !bc.out) {
        http_resp_error(rs, 404, "%s: no such address-of-record", aor);
        return;
    }
    json_decref(bc.out);
    if (contact && !bc.found) {
        http_resp_error(rs, 404, "%s has no binding for %s", aor, contact);
        return;
    }
    snprintf(callid, sizeof(callid), "admin-api-%llu",
        (unsigned long long) clock_wall_ns());
    struct store_contact c = { .uri = slice_cstr(contact), .expires = 0 };
    struct store_req r = {
        .kind = STORE_REQ_REGISTER,
        .aor = slice_cstr(aor),
        .call_id = slice_cstr(callid),
        .cseq = 1,
        .wildcard = contact == NULL,
        .contacts = contact ? &c : NULL,
        .ncontacts = contact ? 1 : 0,
        .now = bc.now,
    };
    int rc = store_submit_wait(st, &r);
    if (rc) {
        store_error(rs, aor, rc);
        return;
    }
    log_info(
        "admin API: %s: removed %s", aor, contact ? contact : "every binding");
    http_resp_json(rs, 200,
        contact ? json_pack("{s:s,s:s}", "aor", aor, "removed", contact)
                : json_pack("{s:s,s:s}", "aor", aor, "removed", "*"));
}

/* ---- certificate cache and trust anchors ---- */

static void
cert_row(void *arg, const struct certcache_row *r)
{
    /* The URL came in an Identity header: any bytes at all. */
    json_t *o = json_pack("{s:o,s:s,s:I,s:I,s:I}", "url",
        http_json_text(r->url), "state", r->ok ? "pass" : "fail", "fetched_at",
        (json_int_t) r->fetched, "expires_at", (json_int_t) r->expires, "hits",
        (json_int_t) r->hits);

    if (!o) {
        return;
    }
    if (!r->ok) {
        json_object_set_new(o, "code", json_integer(r->code));
        json_object_set_new(o, "error", http_json_text(r->why));
    }
    /* An untrusted certificate still names its subject: that is what an
     * operator looks for. */
    if (r->subject[0]) {
        json_object_set_new(o, "subject", http_json_text(r->subject));
        json_object_set_new(
            o, "not_after", json_integer((json_int_t) r->not_after));
    }
    json_array_append_new(arg, o);
}

/* GET /api/v1/certs: every certificate (or failure) the cache holds. */
static void
certs_list(void *arg, const struct http_req *rq, struct http_resp *rs)
{
    struct http_service *svc = arg;
    json_t *arr = json_array();

    (void) rq;
    certcache_list(
        sti_certcache(daemon_sti(svc->d)), time(NULL), cert_row, arr);
    /* Sorted after the cache's lock is released: workers wait on it. */
    http_resp_json(rs, 200, json_pack("{s:o}", "certs", sorted(arr, by_url)));
}

/*
 * DELETE /api/v1/certs[?url=URL]: drops every entry, or the one of URL,
 * so the next call fetches and validates again (a certificate replaced at
 * its URL, a revoked one).
 */
static void
certs_flush(void *arg, const struct http_req *rq, struct http_resp *rs)
{
    struct http_service *svc = arg;
    const char *url = http_req_arg(rq, "url");

    if (url && !*url) {
        http_resp_error(rs, 400, "\"url\": expected the certificate URL");
        return;
    }
    size_t n = certcache_flush(sti_certcache(daemon_sti(svc->d)), url);
    if (url && n == 0) {
        http_resp_error(rs, 404, "%s is not in the certificate cache", url);
        return;
    }
    log_info("admin API: %zu cached certificates flushed%s%s", n,
        url ? " for " : "", url ? url : "");
    http_resp_json(rs, 200, json_pack("{s:I}", "flushed", (json_int_t) n));
}

/*
 * POST /api/v1/trust/reload: re-reads stir.trust. A directory that cannot
 * be read or holds no anchor keeps the running store: 500 with the reason
 * (the request was fine, the server's files are not).
 */
static void
trust_reload(void *arg, const struct http_req *rq, struct http_resp *rs)
{
    struct http_service *svc = arg;
    struct sti_trust_info ti;
    char why[512];

    (void) rq;
    if (sti_trust_reload(daemon_sti(svc->d), NULL, &ti, why, sizeof(why))
        != 0) {
        http_resp_error(rs, 500,
            "stir.trust: %s; the trust anchors loaded before stay in use", why);
        return;
    }
    http_resp_json(rs, 200,
        json_pack("{s:s,s:I,s:I,s:I}", "dir", ti.dir, "anchors",
            (json_int_t) ti.anchors, "crls", (json_int_t) ti.crls, "flushed",
            (json_int_t) ti.flushed));
}

static const struct http_route admin_routes[] = {
    { "GET", "/api/v1", HTTP_AUTH, api_index },
    { "GET", "/api/v1/log", HTTP_AUTH, log_get },
    { "PUT", "/api/v1/log", HTTP_AUTH, log_put },
    { "GET", "/api/v1/moved", HTTP_AUTH, moved_list },
    { "POST", "/api/v1/moved", HTTP_AUTH, moved_post },
    { "GET", "/api/v1/moved/*", HTTP_AUTH, moved_get },
    { "PUT", "/api/v1/moved/*", HTTP_AUTH, moved_put },
    { "DELETE", "/api/v1/moved/*", HTTP_AUTH, moved_delete },
    { "GET", "/api/v1/users", HTTP_AUTH, users_list },
    { "POST", "/api/v1/users", HTTP_AUTH, user_post },
    { "GET", "/api/v1/users/*", HTTP_AUTH, user_get },
    { "PUT", "/api/v1/users/*", HTTP_AUTH, user_put },
    { "DELETE", "/api/v1/users/*", HTTP_AUTH, user_delete },
    { "GET", "/api/v1/bindings/*", HTTP_AUTH, bindings_get },
    { "DELETE", "/api/v1/bindings/*", HTTP_AUTH, bindings_delete },
    { "GET", "/api/v1/certs", HTTP_AUTH, certs_list },
    { "DELETE", "/api/v1/certs", HTTP_AUTH, certs_flush },
    { "POST", "/api/v1/trust/reload", HTTP_AUTH, trust_reload },
};

#define NADMIN (sizeof(admin_routes) / sizeof(admin_routes[0]))

/* GET /api/v1: what this daemon serves, so clients can discover it. */
static void
api_index(void *arg, const struct http_req *rq, struct http_resp *rs)
{
    json_t *routes = json_array();

    (void) arg;
    (void) rq;
    for (size_t i = 0; i < NADMIN; i++) {
        json_array_append_new(routes,
            json_pack("{s:s,s:s}", "method", admin_routes[i].method, "path",
                admin_routes[i].pattern));
    }
    http_resp_json(rs, 200,
        json_pack("{s:s,s:o}", "version", SIPWARD_VERSION, "routes", routes));
}

int
http__admin_routes(struct http_service *svc)
{
    return http_server_add_routes(svc->srv, admin_routes, NADMIN, svc);
}
