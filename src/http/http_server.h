/*
 * The daemon's HTTP server (libmicrohttpd): one listener, a route table that
 * every HTTP service extends (ops endpoints, admin API, REST STI, certificate
 * repository), bearer-token auth for the routes that ask for it, request
 * bodies collected up to a limit, and JSON errors.
 *
 * A service adds its routes before the server starts:
 *
 *     static const struct http_route routes[] = {
 *         { "GET", "/api/v1/moved", HTTP_AUTH, moved_list },
 *         { "DELETE", "/api/v1/moved/" "*", HTTP_AUTH, moved_delete },
 *     };
 *     http_server_add_routes(srv, routes, 2, my_state);
 *
 * A trailing "*" matches the rest of the path (percent-decoded), which
 * rq->tail holds: AORs such as sip:alice@example.com go there.
 * Handlers run on the server's threads, several at once: they must be
 * thread-safe and must not block for long.
 */
#ifndef SW_HTTP_SERVER_H
#define SW_HTTP_SERVER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/slice.h"

struct http_server;
struct MHD_Connection;

struct http_req {
    const char *method;
    const char *path; /* decoded, without the query string */
    const char *tail; /* what a trailing "*" matched; "" otherwise */
    const char *body; /* NUL-terminated copy of the request body */
    size_t body_len;
    struct MHD_Connection *conn;
};

struct http_resp {
    unsigned status;
    const char *content_type; /* static string */
    char *body;               /* malloc'd; freed by the server */
    size_t len;
    const char *allow;    /* Allow header for 405, static */
    unsigned retry_after; /* seconds, for a 503; 0: no Retry-After */
};

typedef void http_handler(
    void *arg, const struct http_req *rq, struct http_resp *rs);

enum http_route_flags {
    HTTP_AUTH = 1, /* needs "Authorization: Bearer <token>" */
    HTTP_OPS = 2,  /* status page and metrics: token only when
                      http.public_status is off */
};

struct http_route {
    const char *method;  /* "GET", "POST", "PUT", "DELETE" */
    const char *pattern; /* exact path, or a prefix ending in "*" */
    unsigned flags;
    http_handler *handler;
};

struct http_server_conf {
    const char *listen; /* host:port, [v6]:port */
    unsigned threads;
    size_t max_body;
    bool public_status;
};

/**
 * Creates a server; routes are added next, then http_server_start(). On
 * failure writes why into err.
 */
int http_server_new(struct http_server **sp, const struct http_server_conf *c,
    char *err, size_t errlen);
/** Adds a service's routes; arg is passed to its handlers. */
int http_server_add_routes(
    struct http_server *s, const struct http_route *r, size_t n, void *arg);
/** Binds the listener and starts the threads. */
int http_server_start(struct http_server *s, char *err, size_t errlen);
/** Stops the threads and frees the server (NULL is fine). */
void http_server_free(struct http_server *s);

/**
 * Sets the bearer token (NULL or "" disables the routes that need one,
 * which then answer 403). Safe while running (SIGHUP rotation).
 */
int http_server_set_token(struct http_server *s, const char *token);

/** A query-string argument, or NULL. */
const char *http_req_arg(const struct http_req *rq, const char *name);
/** A request header, or NULL. */
const char *http_req_header(const struct http_req *rq, const char *name);

/** Sets the body from a string (copied). */
void http_resp_text(struct http_resp *rs, unsigned status,
    const char *content_type, const char *text);
/** Takes ownership of a malloc'd body. */
void http_resp_take(struct http_resp *rs, unsigned status,
    const char *content_type, char *body, size_t len);
/**
 * JSON body; takes the reference to j (json_decref'd here). 500 when it
 * cannot be encoded.
 */
void http_resp_json(struct http_resp *rs, unsigned status, json_t *j);
/**
 * A JSON string of s, which may come from the network: bytes that are not
 * UTF-8 become '?' (json_string() would refuse the whole string).
 */
json_t *http_json_text(const char *s);
/**
 * JSON error: {"error": {"status": 400, "reason": "Bad Request",
 * "message": "..."}}.
 */
void http_resp_error(struct http_resp *rs, unsigned status, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

/**
 * Parses the request body as a JSON object. On failure answers 400 (or 415
 * when the Content-Type is not JSON) and returns NULL.
 */
json_t *http_req_json(const struct http_req *rq, struct http_resp *rs);

#endif
