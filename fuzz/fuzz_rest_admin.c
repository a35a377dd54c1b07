/*
 * Bodies of the admin API's writes (POST/PUT /api/v1/moved and
 * /api/v1/users): the input is the request body, read as the handlers
 * read it, then checked as a moved-directory entry and as a user, with the
 * AOR from the body or a fixed one as from the path. A refusal is a 4xx
 * (or 500) with a JSON error; an accepted user has hex HA1 hashes.
 */
#include <string.h>

#include "fuzz_check.h"
#include "http/http_body.h"
#include "store/store.h"

static void
answered(struct http_resp *rs, bool ok)
{
    if (ok) {
        check(rs->status == 0 && !rs->body);
    } else {
        check(rs->status >= 400 && rs->status <= 500 && rs->body);
        json_t *e = json_loadb(rs->body, rs->len, 0, NULL);
        check(json_is_object(json_object_get(e, "error")));
        json_decref(e);
    }
    free(rs->body);
    memset(rs, 0, sizeof(*rs));
}

static void
hex(const char *s)
{
    size_t n = strlen(s);

    check((n == 0 || n == 32 || n == 64) && strspn(s, "0123456789abcdef") == n);
}

static void
user(json_t *j, const char *aor)
{
    struct http_resp rs = { 0 };
    struct http_user_body u;
    bool ok = http_body_user(&u, j, aor, "sipward", &rs);

    if (ok) {
        check(u.username.len > 0 && u.realm && u.realm[0]);
        hex(u.ha1_md5);
        hex(u.ha1_sha256);
        check(u.ha1_md5[0] || u.ha1_sha256[0]);
        http_user_body_wipe(&u);
    }
    answered(&rs, ok);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct http_resp rs = { 0 };
    struct http_moved_body m;
    char aor[STORE_MAX_AOR + 1];
    bool ok;

    json_t *j = http_body_json(NULL, (const char *) data, size, &rs);
    answered(&rs, j != NULL);
    if (!j) {
        return 0;
    }
    ok = http_body_moved(&m, j, &rs);
    if (ok) {
        check(m.uri && strlen(m.uri) <= STORE_MAX_FIELD);
    }
    answered(&rs, ok);
    ok = http_body_aor(j, aor, sizeof(aor), &rs);
    answered(&rs, ok);
    user(j, ok ? aor : "sips:alice@example.com");
    json_decref(j);
    return 0;
}
