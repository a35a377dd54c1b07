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
 *
 * AOR is any sip:/sips: URI (percent-encoded or not); it is canonicalized
 * as the store does (store_aor_canon).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/auth.h"
#include "base/clock.h"
#include "base/log.h"
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

static bool
body_aor(json_t *j, struct http_resp *rs, char *aor, size_t size)
{
    const char *s = json_string_value(json_object_get(j, "aor"));

    if (!s) {
        http_resp_error(rs, 400, "\"aor\": expected a string (sip:user@host)");
        return false;
    }
    if (store_aor_canon(aor, size, slice_cstr(s)) != 0) {
        http_resp_error(rs, 400,
            "\"aor\": '%s' is not a sip: or sips: address-of-record", s);
        return false;
    }
    return true;
}

/*
 * An optional string member: NULL when absent; answers 400 and sets *bad
 * when present with another type.
 */
static const char *
opt_string(json_t *j, const char *key, struct http_resp *rs, bool *bad)
{
    json_t *v = json_object_get(j, key);

    if (!v || json_is_null(v)) {
        return NULL;
    }
    if (!json_is_string(v)) {
        http_resp_error(rs, 400, "\"%s\": expected a string", key);
        *bad = true;
        return NULL;
    }
    return json_string_value(v);
}

static unsigned
store_status(int rc)
{
    switch (rc) {
    case STORE_E_NOT_FOUND:
        return 404;
    case STORE_E_TOO_LONG:
    case STORE_E_BAD_AOR:
    case STORE_E_TOO_MANY:
        return 422;
    case STORE_E_OUT_OF_ORDER:
        return 409;
    case STORE_E_CLOSED:
        return 503;
    default:
        return 500;
    }
}

static void
store_error(struct http_resp *rs, const char *what, int rc)
{
    http_resp_error(rs, store_status(rc), "%s: %s", what, err_str(rc));
}

static struct store *
need_store(struct http_service *svc, struct http_resp *rs)
{
    struct store *st = daemon_store(svc->d);

    if (!st) {
        http_resp_error(rs, 503, "the store is not open");
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

/* Sorts an array of objects by their "aor" member (the index has no
 * order; callers and diffs want one). */
static json_t *
sorted(json_t *arr)
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
    qsort(v, n, sizeof(*v), by_aor);
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
    http_resp_json(rs, 200, json_pack("{s:o}", "moved", sorted(arr)));
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

/* sip:, sips: or tel:, no blanks or delimiters (it goes into Contact). */
static bool
valid_target(const char *uri)
{
    size_t n = strlen(uri);

    if (n == 0 || n > STORE_MAX_FIELD || strpbrk(uri, " \t\r\n<>\"")) {
        return false;
    }
    return strncasecmp(uri, "sip:", 4) == 0 || strncasecmp(uri, "sips:", 5) == 0
        || strncasecmp(uri, "tel:", 4) == 0;
}

static void
moved_put_common(struct http_service *svc, const char *aor, json_t *j,
    unsigned ok_status, struct http_resp *rs)
{
    struct store *st = need_store(svc, rs);
    bool bad = false;
    const char *uri = opt_string(j, "uri", rs, &bad);
    const char *note = bad ? NULL : opt_string(j, "note", rs, &bad);

    if (!st || bad) {
        return;
    }
    if (!uri) {
        http_resp_error(rs, 400,
            "\"uri\": required: the new sip:, sips: or "
            "tel: URI callers should use");
        return;
    }
    if (!valid_target(uri)) {
        http_resp_error(
            rs, 422, "\"uri\": '%s' is not a sip:, sips: or tel: URI", uri);
        return;
    }
    if (note && strlen(note) > STORE_MAX_FIELD) {
        http_resp_error(
            rs, 422, "\"note\": longer than %d bytes", STORE_MAX_FIELD);
        return;
    }
    struct store_req r = {
        .kind = STORE_REQ_MOVED_PUT,
        .aor = slice_cstr(aor),
        .uri = slice_cstr(uri),
        .note = slice_cstr(note ? note : ""),
    };
    int rc = store_submit_wait(st, &r);
    if (rc) {
        store_error(rs, aor, rc);
        return;
    }
    log_info("admin API: %s moved to %s", aor, uri);
    http_resp_json(rs, ok_status,
        moved_json(slice_cstr(aor), slice_cstr(uri),
            slice_cstr(note ? note : ""), (int64_t) clock_wall()));
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
    if (body_aor(j, rs, aor, sizeof(aor))) {
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
    http_resp_json(rs, 200, json_pack("{s:o}", "users", sorted(arr)));
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

static bool
is_hex(const char *s, size_t len)
{
    if (strlen(s) != len) {
        return false;
    }
    for (; *s; s++) {
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f'))) {
            return false;
        }
    }
    return true;
}

/*
 * Add or replace a user. Either "password" (hashed here, never stored) or
 * the HA1 hashes the CLI computes ("ha1_sha256" and/or "ha1_md5", lower-case
 * hex). "username" defaults to the AOR's user part, "realm" to
 * server.realm.
 */
static void
user_put_common(struct http_service *svc, const char *aor, json_t *j,
    unsigned ok_status, struct http_resp *rs)
{
    struct store *st = need_store(svc, rs);
    char md5[AUTH_HEX_MAX] = "", sha[AUTH_HEX_MAX] = "", realm_buf[256];
    bool bad = false;
    const char *username = opt_string(j, "username", rs, &bad);
    const char *realm = bad ? NULL : opt_string(j, "realm", rs, &bad);
    const char *pw = bad ? NULL : opt_string(j, "password", rs, &bad);
    const char *h_md5 = bad ? NULL : opt_string(j, "ha1_md5", rs, &bad);
    const char *h_sha = bad ? NULL : opt_string(j, "ha1_sha256", rs, &bad);

    if (!st || bad) {
        goto out;
    }
    if (!realm) {
        pthread_mutex_lock(&svc->lock);
        snprintf(realm_buf, sizeof(realm_buf), "%s", svc->realm);
        pthread_mutex_unlock(&svc->lock);
        realm = realm_buf;
    }
    struct slice user = slice_cstr(username);
    if (!username) {
        const char *at = strchr(aor, '@');
        user = slice_make(aor + 4, (size_t) (at - aor - 4));
    }
    if (user.len == 0 || strlen(realm) == 0 || strlen(realm) > 255) {
        http_resp_error(
            rs, 422, "\"username\" and \"realm\" must not be empty");
        goto out;
    }
    if (pw && (h_md5 || h_sha)) {
        http_resp_error(rs, 400,
            "give either \"password\" or the \"ha1_*\" hashes, not both");
        goto out;
    }
    if (pw) {
        if (!*pw || strlen(pw) > 1023) {
            http_resp_error(rs, 422, "\"password\": 1 to 1023 bytes");
            goto out;
        }
        if (auth_ha1(AUTH_MD5, user, slice_cstr(realm), slice_cstr(pw), md5)
                != 0
            || auth_ha1(
                   AUTH_SHA256, user, slice_cstr(realm), slice_cstr(pw), sha)
                != 0) {
            http_resp_error(rs, 500, "hashing failed");
            goto out;
        }
    } else if (h_md5 || h_sha) {
        if ((h_md5 && !is_hex(h_md5, 32)) || (h_sha && !is_hex(h_sha, 64))) {
            http_resp_error(rs, 422,
                "\"ha1_md5\" is 32 and \"ha1_sha256\" 64 "
                "lower-case hex digits");
            goto out;
        }
        snprintf(md5, sizeof(md5), "%s", h_md5 ? h_md5 : "");
        snprintf(sha, sizeof(sha), "%s", h_sha ? h_sha : "");
    } else {
        http_resp_error(rs, 400,
            "\"password\" (or \"ha1_sha256\"/\"ha1_md5\") is required");
        goto out;
    }
    struct store_req r = {
        .kind = STORE_REQ_USER_PUT,
        .aor = slice_cstr(aor),
        .username = user,
        .realm = slice_cstr(realm),
        .ha1_md5 = slice_cstr(md5),
        .ha1_sha256 = slice_cstr(sha),
    };
    int rc = store_submit_wait(st, &r);
    if (rc) {
        store_error(rs, aor, rc);
        goto out;
    }
    log_info("admin API: user %s added", aor);
    http_resp_json(rs, ok_status,
        user_json(slice_cstr(aor), user, slice_cstr(realm), sha[0] != '\0',
            md5[0] != '\0'));
out:
    /* The password must not linger in freed memory. */
    if (pw) {
        explicit_bzero((char *) pw, strlen(pw));
    }
    explicit_bzero(md5, sizeof(md5));
    explicit_bzero(sha, sizeof(sha));
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
    if (body_aor(j, rs, aor, sizeof(aor))) {
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

/* Certificate cache list/flush and trust-anchor reload join here with the
 * STIR services: one row each. */
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
