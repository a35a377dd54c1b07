#include "http/http_body.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "store/store.h"

json_t *
http_body_json(const char *content_type, const char *body, size_t len,
    struct http_resp *rs)
{
    const char *ct = content_type;
    json_error_t je;

    if (ct && strncasecmp(ct, "application/json", 16) != 0
        && strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0) {
        http_resp_error(
            rs, 415, "expected Content-Type application/json, got %s", ct);
        return NULL;
    }
    if (len == 0) {
        http_resp_error(rs, 400, "expected a JSON object in the request body");
        return NULL;
    }
    json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (!j) {
        http_resp_error(rs, 400, "invalid JSON at line %d column %d: %s",
            je.line, je.column, je.text);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        http_resp_error(rs, 400, "expected a JSON object in the request body");
        return NULL;
    }
    return j;
}

/* A canonical TN from a JSON string (digits, '#', '*'), or an array of
 * exactly one. */
static bool
json_tn(json_t *v, char *dst, size_t size)
{
    if (json_is_array(v)) {
        if (json_array_size(v) != 1) {
            return false;
        }
        v = json_array_get(v, 0);
    }
    const char *s = json_string_value(v);
    return s && stir_tn_canon(dst, size, slice_cstr(s)) == 0 && dst[0];
}

bool
http_body_sign(struct http_sign_body *b, json_t *root, struct http_resp *rs)
{
    json_t *sr = json_object_get(root, "signingRequest");

    memset(b, 0, sizeof(*b));
    if (!json_is_object(sr)) {
        http_resp_error(rs, 400, "expected {\"signingRequest\": {...}}");
        return false;
    }
    const char *attest = json_string_value(json_object_get(sr, "attest"));
    json_t *iat = json_object_get(sr, "iat");
    json_t *origid = json_object_get(sr, "origid");
    json_t *dtn = json_object_get(json_object_get(sr, "dest"), "tn");
    if (!attest || strlen(attest) != 1 || !strchr("ABC", attest[0])) {
        http_resp_error(rs, 400, "signingRequest.attest must be A, B or C");
        return false;
    }
    if (!json_tn(json_object_get(json_object_get(sr, "orig"), "tn"), b->orig,
            sizeof(b->orig))) {
        http_resp_error(rs, 400,
            "signingRequest.orig.tn must be a telephone number string");
        return false;
    }
    if (!json_is_array(dtn) || !json_tn(dtn, b->dest, sizeof(b->dest))) {
        http_resp_error(rs, 400,
            "signingRequest.dest.tn must be an array of one telephone "
            "number");
        return false;
    }
    if (iat && !json_is_integer(iat)) {
        http_resp_error(rs, 400, "signingRequest.iat must be an integer");
        return false;
    }
    if (origid && !json_is_string(origid)) {
        http_resp_error(rs, 400, "signingRequest.origid must be a string");
        return false;
    }
    b->attest = attest[0];
    b->origid = origid ? json_string_value(origid) : NULL;
    b->has_iat = iat != NULL;
    b->iat = iat ? (int64_t) json_integer_value(iat) : 0;
    return true;
}

bool
http_body_verify(struct http_verify_body *b, json_t *root, struct http_resp *rs)
{
    json_t *vr = json_object_get(root, "verificationRequest");

    memset(b, 0, sizeof(*b));
    if (!json_is_object(vr)) {
        http_resp_error(rs, 400, "expected {\"verificationRequest\": {...}}");
        return false;
    }
    const char *identity = json_string_value(json_object_get(vr, "identity"));
    json_t *t = json_object_get(vr, "time");
    if (!identity || !identity[0]) {
        http_resp_error(
            rs, 400, "verificationRequest.identity must be a string");
        return false;
    }
    if (!json_tn(json_object_get(json_object_get(vr, "from"), "tn"), b->orig,
            sizeof(b->orig))
        || !json_tn(json_object_get(json_object_get(vr, "to"), "tn"), b->dest,
            sizeof(b->dest))) {
        http_resp_error(rs, 400,
            "verificationRequest.from.tn and to.tn must be telephone "
            "numbers");
        return false;
    }
    if (t && !json_is_integer(t)) {
        http_resp_error(rs, 400, "verificationRequest.time must be an integer");
        return false;
    }
    b->identity = identity;
    b->time = t ? (int64_t) json_integer_value(t) : 0;
    return true;
}

bool
http_body_aor(json_t *j, char *aor, size_t size, struct http_resp *rs)
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
 * An optional string member: NULL when absent or null; answers 400 and
 * sets *bad when present with another type. Once *bad is set the later
 * members are not looked at, so the first wrong one is named.
 */
static const char *
opt_string(json_t *j, const char *key, struct http_resp *rs, bool *bad)
{
    json_t *v = json_object_get(j, key);

    if (*bad || !v || json_is_null(v)) {
        return NULL;
    }
    if (!json_is_string(v)) {
        http_resp_error(rs, 400, "\"%s\": expected a string", key);
        *bad = true;
        return NULL;
    }
    return json_string_value(v);
}

bool
http_moved_target_valid(const char *uri)
{
    size_t n = strlen(uri);

    if (n == 0 || n > STORE_MAX_FIELD || strpbrk(uri, " \t\r\n<>\"")) {
        return false;
    }
    return strncasecmp(uri, "sip:", 4) == 0 || strncasecmp(uri, "sips:", 5) == 0
        || strncasecmp(uri, "tel:", 4) == 0;
}

bool
http_body_moved(struct http_moved_body *m, json_t *j, struct http_resp *rs)
{
    bool bad = false;

    m->uri = opt_string(j, "uri", rs, &bad);
    m->note = opt_string(j, "note", rs, &bad);
    if (bad) {
        return false;
    }
    if (!m->uri) {
        http_resp_error(rs, 400,
            "\"uri\": required: the new sip:, sips: or "
            "tel: URI callers should use");
        return false;
    }
    if (!http_moved_target_valid(m->uri)) {
        http_resp_error(
            rs, 422, "\"uri\": '%s' is not a sip:, sips: or tel: URI", m->uri);
        return false;
    }
    if (m->note && strlen(m->note) > STORE_MAX_FIELD) {
        http_resp_error(
            rs, 422, "\"note\": longer than %d bytes", STORE_MAX_FIELD);
        return false;
    }
    return true;
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

static bool
user_hashes(struct http_user_body *u, const char *pw, const char *h_md5,
    const char *h_sha, struct http_resp *rs)
{
    if (pw && (h_md5 || h_sha)) {
        http_resp_error(rs, 400,
            "give either \"password\" or the \"ha1_*\" hashes, not both");
        return false;
    }
    if (pw) {
        if (!*pw || strlen(pw) > 1023) {
            http_resp_error(rs, 422, "\"password\": 1 to 1023 bytes");
            return false;
        }
        if (auth_ha1(AUTH_MD5, u->username, slice_cstr(u->realm),
                slice_cstr(pw), u->ha1_md5)
                != 0
            || auth_ha1(AUTH_SHA256, u->username, slice_cstr(u->realm),
                   slice_cstr(pw), u->ha1_sha256)
                != 0) {
            http_resp_error(rs, 500, "hashing failed");
            return false;
        }
        return true;
    }
    if (h_md5 || h_sha) {
        if ((h_md5 && !is_hex(h_md5, 32)) || (h_sha && !is_hex(h_sha, 64))) {
            http_resp_error(rs, 422,
                "\"ha1_md5\" is 32 and \"ha1_sha256\" 64 "
                "lower-case hex digits");
            return false;
        }
        snprintf(u->ha1_md5, sizeof(u->ha1_md5), "%s", h_md5 ? h_md5 : "");
        snprintf(
            u->ha1_sha256, sizeof(u->ha1_sha256), "%s", h_sha ? h_sha : "");
        return true;
    }
    http_resp_error(
        rs, 400, "\"password\" (or \"ha1_sha256\"/\"ha1_md5\") is required");
    return false;
}

bool
http_body_user(struct http_user_body *u, json_t *j, const char *aor,
    const char *default_realm, struct http_resp *rs)
{
    bool bad = false, ok = false;
    const char *username = opt_string(j, "username", rs, &bad);
    const char *realm = opt_string(j, "realm", rs, &bad);
    const char *pw = opt_string(j, "password", rs, &bad);
    const char *h_md5 = opt_string(j, "ha1_md5", rs, &bad);
    const char *h_sha = opt_string(j, "ha1_sha256", rs, &bad);

    memset(u, 0, sizeof(*u));
    if (bad) {
        goto out;
    }
    u->realm = realm ? realm : default_realm;
    u->username = slice_cstr(username);
    if (!username) {
        /* aor is canonical: "sip:" or "sips:", a user part, '@'. */
        const char *colon = strchr(aor, ':');
        const char *at = strchr(aor, '@');
        if (colon && at && at > colon) {
            u->username = slice_make(colon + 1, (size_t) (at - colon - 1));
        }
    }
    if (u->username.len == 0 || strlen(u->realm) == 0
        || strlen(u->realm) > 255) {
        http_resp_error(
            rs, 422, "\"username\" and \"realm\" must not be empty");
        goto out;
    }
    ok = user_hashes(u, pw, h_md5, h_sha, rs);
out:
    /* The password must not linger in freed memory, also when an earlier
     * member was refused and pw was never looked up. */
    pw = json_string_value(json_object_get(j, "password"));
    if (pw) {
        explicit_bzero((char *) pw, strlen(pw));
    }
    if (!ok) {
        http_user_body_wipe(u);
    }
    return ok;
}

void
http_user_body_wipe(struct http_user_body *u)
{
    explicit_bzero(u->ha1_md5, sizeof(u->ha1_md5));
    explicit_bzero(u->ha1_sha256, sizeof(u->ha1_sha256));
}
