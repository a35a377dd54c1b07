#define LOG_MODULE "admin"
/*
 * The admin API under /api/v1: JSON in and out, every route behind the
 * bearer token. Each resource adds its rows to admin_routes[]; errors are
 * http_resp_error() JSON with the precise reason.
 */
#include <string.h>

#include "base/log.h"
#include "http/http_int.h"

static const char *const level_names[] = { "error", "warn", "info", "debug" };

static void api_index(
    void *arg, const struct http_req *rq, struct http_resp *rs);

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
    json_t *v = json_object_get(j, "level");
    lvl = json_string_value(v);
    if (!lvl) {
        http_resp_error(rs, 400,
            "\"level\": expected a string, one of error, "
            "warn, info, debug");
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

static const struct http_route admin_routes[] = {
    { "GET", "/api/v1", HTTP_AUTH, api_index },
    { "GET", "/api/v1/log", HTTP_AUTH, log_get },
    { "PUT", "/api/v1/log", HTTP_AUTH, log_put },
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
