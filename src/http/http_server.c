#define LOG_MODULE "http"
#include "http/http_server.h"

#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.h"
#include "base/metrics.h"
#include "http/http_body.h"

enum {
    MAX_ROUTES = 64,
};

struct route_entry {
    struct http_route r;
    void *arg;
};

struct http_server {
    struct MHD_Daemon *mhd;
    char *listen;
    unsigned threads;
    size_t max_body;
    bool public_status;
    struct route_entry routes[MAX_ROUTES];
    size_t nroutes;
    /* Only a hash of the token is kept: compared in constant time, and
     * there is no plaintext in memory to leak into a log or a core. */
    pthread_mutex_t token_lock;
    unsigned char token_hash[SHA256_DIGEST_LENGTH];
    bool token_set;
};

/* Per connection: the request body as it arrives. */
struct conn_ctx {
    char *buf;
    size_t len;
    size_t cap;
    bool too_big;
};

static bool
class_labels(size_t i, char *buf, size_t len)
{
    snprintf(buf, len, "status=\"%zuxx\"", i + 1);
    return true;
}

static struct metric m_http_requests = {
    .name = "sipward_http_requests_total",
    .help = "HTTP requests answered, by status class",
    .type = METRIC_COUNTER,
    .nseries = 5,
    .labels = class_labels,
};
METRIC_REGISTER(m_http_requests)

void
http_resp_take(struct http_resp *rs, unsigned status, const char *content_type,
    char *body, size_t len)
{
    free(rs->body);
    rs->status = status;
    rs->content_type = content_type;
    rs->body = body;
    rs->len = body ? len : 0;
}

void
http_resp_text(struct http_resp *rs, unsigned status, const char *content_type,
    const char *text)
{
    char *dup = strdup(text);

    if (!dup) {
        http_resp_take(rs, 500, "text/plain", NULL, 0);
        return;
    }
    http_resp_take(rs, status, content_type, dup, strlen(dup));
}

void
http_resp_json(struct http_resp *rs, unsigned status, json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

    json_decref(j);
    if (!s) {
        http_resp_text(rs, 500, "application/json",
            "{\"error\":{\"status\":500,\"reason\":\"Internal Server "
            "Error\",\"message\":\"cannot encode the response\"}}");
        return;
    }
    size_t n = strlen(s);
    /* A trailing newline makes curl output and logs readable. */
    char *body = realloc(s, n + 2);
    if (!body) {
        free(s);
        http_resp_take(rs, 500, "application/json", NULL, 0);
        return;
    }
    body[n] = '\n';
    body[n + 1] = '\0';
    http_resp_take(rs, status, "application/json", body, n + 1);
}

/* JSON strings are UTF-8: every byte that is not becomes '?'. */
static void
utf8_scrub(char *s)
{
    size_t n = strlen(s);

    for (size_t i = slice_utf8_prefix(slice_make(s, n)); i < n;
         i += 1 + slice_utf8_prefix(slice_make(s + i + 1, n - i - 1))) {
        s[i] = '?';
    }
}

json_t *
http_json_text(const char *s)
{
    json_t *j = json_string(s ? s : "");
    char buf[2048];

    if (j) {
        return j;
    }
    snprintf(buf, sizeof(buf), "%s", s);
    utf8_scrub(buf);
    return json_string(buf);
}

void
http_resp_error(struct http_resp *rs, unsigned status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* The message may quote what the client sent. */
    utf8_scrub(msg);
    const char *reason = MHD_get_reason_phrase_for(status);
    json_t *j = json_pack("{s:{s:i,s:s,s:s}}", "error", "status", (int) status,
        "reason", reason && *reason ? reason : "Error", "message", msg);
    http_resp_json(rs, status, j);
}

const char *
http_req_arg(const struct http_req *rq, const char *name)
{
    return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *
http_req_header(const struct http_req *rq, const char *name)
{
    return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name);
}

json_t *
http_req_json(const struct http_req *rq, struct http_resp *rs)
{
    return http_body_json(
        http_req_header(rq, "Content-Type"), rq->body, rq->body_len, rs);
}

int
http_server_set_token(struct http_server *s, const char *token)
{
    pthread_mutex_lock(&s->token_lock);
    if (token && *token) {
        SHA256((const unsigned char *) token, strlen(token), s->token_hash);
        s->token_set = true;
    } else {
        OPENSSL_cleanse(s->token_hash, sizeof(s->token_hash));
        s->token_set = false;
    }
    pthread_mutex_unlock(&s->token_lock);
    return 0;
}

/*
 * RFC 6750 2.1: "Authorization: Bearer <token>". Both sides are hashed
 * first so the comparison takes the same time whatever the length or the
 * first differing byte.
 */
static void
check_auth(
    struct http_server *s, const struct http_req *rq, struct http_resp *rs)
{
    unsigned char h[SHA256_DIGEST_LENGTH];
    const char *a = http_req_header(rq, "Authorization");
    bool ok = false, enabled;

    if (a && strncasecmp(a, "Bearer ", 7) == 0) {
        a += 7;
        while (*a == ' ') {
            a++;
        }
        SHA256((const unsigned char *) a, strlen(a), h);
    } else {
        a = NULL;
    }
    pthread_mutex_lock(&s->token_lock);
    enabled = s->token_set;
    if (enabled && a) {
        ok = CRYPTO_memcmp(h, s->token_hash, sizeof(h)) == 0;
    }
    pthread_mutex_unlock(&s->token_lock);
    if (!enabled) {
        http_resp_error(rs, 403,
            "the admin API is disabled: set http.token_file (or http.token)");
    } else if (!a) {
        http_resp_error(rs, 401,
            "missing credentials: send 'Authorization: Bearer <token>'");
    } else if (!ok) {
        http_resp_error(rs, 401, "invalid bearer token");
    } else {
        rs->status = 0;
    }
}

static bool
route_matches(const struct http_route *r, const char *path, const char **tail)
{
    size_t n = strlen(r->pattern);

    if (n > 0 && r->pattern[n - 1] == '*') {
        if (strncmp(path, r->pattern, n - 1) == 0 && path[n - 1] != '\0') {
            *tail = path + n - 1;
            return true;
        }
        return false;
    }
    if (strcmp(path, r->pattern) == 0) {
        *tail = "";
        return true;
    }
    return false;
}

static void
dispatch(struct http_server *s, struct http_req *rq, struct http_resp *rs,
    char *allow, size_t allowlen)
{
    const struct route_entry *hit = NULL;
    const char *method = strcmp(rq->method, "HEAD") == 0 ? "GET" : rq->method;
    size_t an = 0;

    allow[0] = '\0';
    for (size_t i = 0; i < s->nroutes; i++) {
        const char *tail;
        if (!route_matches(&s->routes[i].r, rq->path, &tail)) {
            continue;
        }
        if (strcmp(s->routes[i].r.method, method) == 0) {
            hit = &s->routes[i];
            rq->tail = tail;
            break;
        }
        if (an < allowlen) {
            an += (size_t) snprintf(allow + an, allowlen - an, "%s%s",
                an ? ", " : "", s->routes[i].r.method);
        }
    }
    if (!hit) {
        if (allow[0]) {
            rs->allow = allow;
            http_resp_error(rs, 405, "%s is not allowed on %s (allowed: %s)",
                rq->method, rq->path, allow);
        } else {
            http_resp_error(rs, 404, "no such resource: %s", rq->path);
        }
        return;
    }
    if ((hit->r.flags & HTTP_AUTH)
        || ((hit->r.flags & HTTP_OPS) && !s->public_status)) {
        check_auth(s, rq, rs);
        if (rs->status) {
            return;
        }
    }
    hit->r.handler(hit->arg, rq, rs);
    if (rs->status == 0) {
        http_resp_error(rs, 500, "the handler produced no response");
    }
}

static enum MHD_Result
send_response(struct MHD_Connection *conn, struct http_resp *rs)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(rs->len,
        rs->body ? rs->body : (void *) "",
        rs->body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret;

    if (!r) {
        free(rs->body);
        return MHD_NO;
    }
    rs->body = NULL; /* owned by the response now */
    if (rs->content_type) {
        MHD_add_response_header(
            r, MHD_HTTP_HEADER_CONTENT_TYPE, rs->content_type);
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (rs->status == 401) {
        MHD_add_response_header(
            r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"sipward\"");
    }
    if (rs->allow) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, rs->allow);
    }
    if (rs->retry_after) {
        char secs[16];
        snprintf(secs, sizeof(secs), "%u", rs->retry_after);
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, secs);
    }
    ret = MHD_queue_response(conn, rs->status, r);
    MHD_destroy_response(r);
    if (rs->status >= 100 && rs->status < 600) {
        metric_inc(&m_http_requests, rs->status / 100 - 1);
    }
    return ret;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
    struct http_server *s = cls;
    struct conn_ctx *cx = *con_cls;

    (void) version;
    if (!cx) {
        cx = calloc(1, sizeof(*cx));
        if (!cx) {
            return MHD_NO;
        }
        *con_cls = cx;
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (cx->too_big || cx->len + n > s->max_body) {
            /* Drain and answer 413 once the upload is over. */
            cx->too_big = true;
            return MHD_YES;
        }
        if (cx->len + n + 1 > cx->cap) {
            size_t cap = cx->cap ? cx->cap : 1024;
            while (cap < cx->len + n + 1) {
                cap *= 2;
            }
            char *b = realloc(cx->buf, cap);
            if (!b) {
                return MHD_NO;
            }
            cx->buf = b;
            cx->cap = cap;
        }
        memcpy(cx->buf + cx->len, upload_data, n);
        cx->len += n;
        cx->buf[cx->len] = '\0';
        return MHD_YES;
    }

    struct http_req rq = {
        .method = method,
        .path = url,
        .tail = "",
        .body = cx->buf ? cx->buf : "",
        .body_len = cx->len,
        .conn = conn,
    };
    struct http_resp rs = { 0 };
    char allow[64];

    if (cx->too_big) {
        http_resp_error(
            &rs, 413, "request body larger than %zu bytes", s->max_body);
    } else {
        dispatch(s, &rq, &rs, allow, sizeof(allow));
    }
    log_debug("%s %s -> %u", method, url, rs.status);
    return send_response(conn, &rs);
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
    struct conn_ctx *cx = *con_cls;

    (void) cls;
    (void) conn;
    (void) toe;
    if (cx) {
        /* Bodies may carry a password (admin API user add). */
        if (cx->buf) {
            explicit_bzero(cx->buf, cx->cap);
        }
        free(cx->buf);
        free(cx);
        *con_cls = NULL;
    }
}

static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];

    (void) cls;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r')) {
        msg[--n] = '\0';
    }
    log_warn("%s", msg);
}

/* "host:port" or "[v6]:port" into a bound, listening socket. */
static int
open_listener(const char *spec, char *err, size_t errlen)
{
    char host[256];
    const char *port;
    struct addrinfo hints = { 0 }, *ai = NULL;
    int fd = -1, rc, one = 1;

    if (spec[0] == '[') {
        const char *end = strchr(spec, ']');
        if (!end || end[1] != ':'
            || (size_t) (end - spec - 1) >= sizeof(host)) {
            snprintf(
                err, errlen, "http.listen: '%s' is not [address]:port", spec);
            return -EINVAL;
        }
        memcpy(host, spec + 1, (size_t) (end - spec - 1));
        host[end - spec - 1] = '\0';
        port = end + 2;
    } else {
        const char *colon = strrchr(spec, ':');
        if (!colon || (size_t) (colon - spec) >= sizeof(host)) {
            snprintf(err, errlen, "http.listen: '%s' is not host:port", spec);
            return -EINVAL;
        }
        memcpy(host, spec, (size_t) (colon - spec));
        host[colon - spec] = '\0';
        port = colon + 1;
    }
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &ai);
    if (rc != 0) {
        snprintf(err, errlen, "http.listen: %s: %s", spec, gai_strerror(rc));
        return -EINVAL;
    }
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        rc = -errno;
        goto fail;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 128) != 0) {
        rc = -errno;
        goto fail;
    }
    freeaddrinfo(ai);
    return fd;
fail:
    snprintf(err, errlen, "cannot listen on http %s: %s", spec, strerror(-rc));
    if (fd >= 0) {
        close(fd);
    }
    freeaddrinfo(ai);
    return rc;
}

int
http_server_new(struct http_server **sp, const struct http_server_conf *c,
    char *err, size_t errlen)
{
    struct http_server *s = calloc(1, sizeof(*s));

    if (!s || !(s->listen = strdup(c->listen))) {
        free(s);
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    s->threads = c->threads ? c->threads : 1;
    s->max_body = c->max_body ? c->max_body : 65536;
    s->public_status = c->public_status;
    pthread_mutex_init(&s->token_lock, NULL);
    *sp = s;
    return 0;
}

int
http_server_add_routes(
    struct http_server *s, const struct http_route *r, size_t n, void *arg)
{
    if (s->mhd || s->nroutes + n > MAX_ROUTES) {
        return -ENOSPC;
    }
    for (size_t i = 0; i < n; i++) {
        s->routes[s->nroutes++] = (struct route_entry){ r[i], arg };
    }
    return 0;
}

int
http_server_start(struct http_server *s, char *err, size_t errlen)
{
    int fd = open_listener(s->listen, err, errlen);

    if (fd < 0) {
        return fd;
    }
    /* The logger goes first so that every MHD message reaches our log. */
    s->mhd = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG,
        0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,
        MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
        s, MHD_OPTION_THREAD_POOL_SIZE, s->threads, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned) 256, MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned) 64,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) 30, MHD_OPTION_END);
    if (!s->mhd) {
        close(fd);
        snprintf(err, errlen, "cannot start the HTTP server on %s", s->listen);
        return -EIO;
    }
    return 0;
}

void
http_server_free(struct http_server *s)
{
    if (!s) {
        return;
    }
    if (s->mhd) {
        MHD_stop_daemon(s->mhd);
    }
    OPENSSL_cleanse(s->token_hash, sizeof(s->token_hash));
    pthread_mutex_destroy(&s->token_lock);
    free(s->listen);
    free(s);
}
