#include "cli/cli_api.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"

struct cli_api {
    CURL *curl;
    char base[300]; /* http://host:port/api/v1 */
    char auth[600]; /* "Authorization: Bearer ..." */
};

struct buf {
    char *p;
    size_t len;
};

static size_t
on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
    struct buf *b = arg;
    size_t n = size * nmemb;
    char *p = realloc(b->p, b->len + n + 1);

    if (!p) {
        return 0;
    }
    memcpy(p + b->len, ptr, n);
    b->p = p;
    b->len += n;
    b->p[b->len] = '\0';
    return n;
}

/*
 * One request; *status gets the HTTP status, *out the parsed JSON body
 * (NULL when none). Returns 0, or -EIO when the daemon did not answer.
 */
static int
call(struct cli_api *a, const char *method, const char *path, json_t *body,
    long *status, json_t **out)
{
    struct curl_slist *h = NULL;
    struct buf b = { NULL, 0 };
    char url[2048];
    char *payload = NULL;
    int rc = 0;

    *out = NULL;
    snprintf(url, sizeof(url), "%s%s", a->base, path);
    h = curl_slist_append(h, a->auth);
    h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_reset(a->curl);
    curl_easy_setopt(a->curl, CURLOPT_URL, url);
    curl_easy_setopt(a->curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(a->curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(a->curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(a->curl, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(a->curl, CURLOPT_CONNECTTIMEOUT_MS, 1000L);
    /* Writes wait for the daemon's fsync; be generous, but bounded. */
    curl_easy_setopt(a->curl, CURLOPT_TIMEOUT_MS, 15000L);
    curl_easy_setopt(a->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(a->curl, CURLOPT_PROTOCOLS_STR, "http");
    if (body) {
        payload = json_dumps(body, JSON_COMPACT);
        curl_easy_setopt(a->curl, CURLOPT_POSTFIELDS, payload ? payload : "");
    }
    if (curl_easy_perform(a->curl) != CURLE_OK) {
        rc = -EIO;
        goto out;
    }
    curl_easy_getinfo(a->curl, CURLINFO_RESPONSE_CODE, status);
    if (b.p) {
        *out = json_loadb(b.p, b.len, 0, NULL);
    }
out:
    if (payload) {
        explicit_bzero(payload, strlen(payload));
        free(payload);
    }
    curl_slist_free_all(h);
    free(b.p);
    return rc;
}

struct cli_api *
cli_api_connect(const struct http_conf *hc)
{
    char tok[512], err[512], host[256];
    struct cli_api *a = NULL;
    const char *port;
    long status = 0;
    json_t *j = NULL;

    if (!hc->listen || !hc->listen[0]
        || http_token_load(hc, false, tok, sizeof(tok), err, sizeof(err)) != 0
        || !tok[0]) {
        goto fail;
    }
    /* A wildcard listener is reached on loopback. */
    port = strrchr(hc->listen, ':');
    if (!port || (size_t) (port - hc->listen) >= sizeof(host)) {
        goto fail;
    }
    snprintf(host, sizeof(host), "%.*s", (int) (port - hc->listen), hc->listen);
    if (strcmp(host, "0.0.0.0") == 0 || host[0] == '\0') {
        snprintf(host, sizeof(host), "127.0.0.1");
    } else if (strcmp(host, "[::]") == 0) {
        snprintf(host, sizeof(host), "[::1]");
    }
    a = calloc(1, sizeof(*a));
    if (!a || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        goto fail;
    }
    a->curl = curl_easy_init();
    if (!a->curl) {
        goto fail;
    }
    snprintf(a->base, sizeof(a->base), "http://%s%s/api/v1", host, port);
    snprintf(a->auth, sizeof(a->auth), "Authorization: Bearer %s", tok);
    if (call(a, "GET", "", NULL, &status, &j) != 0 || status != 200) {
        goto fail;
    }
    json_decref(j);
    explicit_bzero(tok, sizeof(tok));
    return a;
fail:
    json_decref(j);
    explicit_bzero(tok, sizeof(tok));
    cli_api_close(a);
    return NULL;
}

void
cli_api_close(struct cli_api *a)
{
    if (!a) {
        return;
    }
    if (a->curl) {
        curl_easy_cleanup(a->curl);
        curl_global_cleanup();
    }
    explicit_bzero(a->auth, sizeof(a->auth));
    free(a);
}

/* "/moved/" + the AOR, percent-encoded. */
static int
aor_path(struct cli_api *a, const char *coll, struct slice aor, char *out,
    size_t len)
{
    char *esc = curl_easy_escape(a->curl, aor.p, (int) aor.len);

    if (!esc) {
        return -ENOMEM;
    }
    snprintf(out, len, "/%s/%s", coll, esc);
    curl_free(esc);
    return 0;
}

int
cli_api_error(long status, json_t *j)
{
    const char *msg = json_string_value(
        json_object_get(json_object_get(j, "error"), "message"));

    fprintf(stderr, "sipward: the daemon refused (HTTP %ld): %s\n", status,
        msg ? msg : "no reason given");
    return -EPROTO;
}

int
cli_api_submit(struct cli_api *a, const struct store_req *r)
{
    char path[1024];
    json_t *body = NULL, *resp = NULL;
    const char *method = "DELETE", *coll = "moved";
    long status = 0;
    int rc;

    switch (r->kind) {
    case STORE_REQ_MOVED_PUT:
        method = "PUT";
        body = json_pack("{s:s%,s:s%}", "uri", r->uri.p ? r->uri.p : "",
            r->uri.len, "note", r->note.p ? r->note.p : "", r->note.len);
        break;
    case STORE_REQ_MOVED_DEL:
        break;
    case STORE_REQ_USER_PUT:
        method = "PUT";
        coll = "users";
        /* Only the HA1 hashes travel, never the password. */
        body = json_pack("{s:s%,s:s%}", "username",
            r->username.p ? r->username.p : "", r->username.len, "realm",
            r->realm.p ? r->realm.p : "", r->realm.len);
        if (body && r->ha1_md5.len) {
            json_object_set_new(
                body, "ha1_md5", json_stringn(r->ha1_md5.p, r->ha1_md5.len));
        }
        if (body && r->ha1_sha256.len) {
            json_object_set_new(body, "ha1_sha256",
                json_stringn(r->ha1_sha256.p, r->ha1_sha256.len));
        }
        break;
    case STORE_REQ_USER_DEL:
        coll = "users";
        break;
    default:
        return -ENOTSUP;
    }
    rc = aor_path(a, coll, r->aor, path, sizeof(path));
    if (!rc) {
        rc = cli_api_call(a, method, path, body, &status, &resp);
    }
    if (!rc && status == 404) {
        rc = STORE_E_NOT_FOUND;
    } else if (!rc && status != 200 && status != 201) {
        rc = cli_api_error(status, resp);
    }
    json_decref(body);
    json_decref(resp);
    return rc;
}

static struct slice
member(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);

    return json_is_string(v)
        ? slice_make(json_string_value(v), json_string_length(v))
        : SLICE_NULL;
}

static int
list(struct cli_api *a, const char *coll, json_t **arr, json_t **resp)
{
    long status = 0;
    char path[64];

    snprintf(path, sizeof(path), "/%s", coll);
    if (cli_api_call(a, "GET", path, NULL, &status, resp) != 0) {
        return -EIO;
    }
    if (status != 200) {
        return cli_api_error(status, *resp);
    }
    *arr = json_object_get(*resp, coll);
    return json_is_array(*arr) ? 0 : -EPROTO;
}

int
cli_api_moved_list(struct cli_api *a, store_moved_cb *cb, void *arg)
{
    json_t *resp = NULL, *arr, *o;
    size_t i;
    int rc = list(a, "moved", &arr, &resp);

    if (!rc) {
        json_array_foreach(arr, i, o)
        {
            struct store_moved_row m = {
                .aor = member(o, "aor"),
                .uri = member(o, "uri"),
                .note = member(o, "note"),
                .at = (int64_t) json_integer_value(json_object_get(o, "since")),
            };
            cb(arg, &m);
        }
    }
    json_decref(resp);
    return rc;
}

int
cli_api_user_list(struct cli_api *a, store_user_cb *cb, void *arg)
{
    json_t *resp = NULL, *arr, *o, *h;
    size_t i, k;
    int rc = list(a, "users", &arr, &resp);

    if (!rc) {
        json_array_foreach(arr, i, o)
        {
            struct store_user_row u = {
                .aor = member(o, "aor"),
                .username = member(o, "username"),
                .realm = member(o, "realm"),
            };
            json_array_foreach(json_object_get(o, "hashes"), k, h)
            {
                const char *s = json_string_value(h);
                u.md5 |= s && strcmp(s, "md5") == 0;
                u.sha256 |= s && strcmp(s, "sha256") == 0;
            }
            cb(arg, &u);
        }
    }
    json_decref(resp);
    return rc;
}

int
cli_api_call(struct cli_api *a, const char *method, const char *path,
    json_t *body, long *status, json_t **out)
{
    int rc = call(a, method, path, body, status, out);

    if (rc) {
        fprintf(stderr, "sipward: the daemon stopped answering\n");
    }
    return rc;
}
