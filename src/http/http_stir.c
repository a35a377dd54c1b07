/*
 * STIR over HTTP: the REST interface SBCs use for STI-AS and STI-VS
 * (ATIS-1000082 style JSON) and the certificate repository serving our own
 * chain, so the x5u we sign with resolves to this daemon.
 *
 *   POST /stir/v1/signing       {"signingRequest": {"attest": "A",
 *        (bearer token)          "dest": {"tn": ["12155551213"]}, "iat": N,
 *                                "orig": {"tn": "12155551212"}, "origid": ""}}
 *        -> {"signingResponse": {"identity": "<Identity header value>"}}
 *   POST /stir/v1/verification  {"verificationRequest": {"from": {"tn": ".."},
 *                                "to": {"tn": [".."]}, "time": N,
 *                                "identity": "<Identity header value>"}}
 *        -> {"verificationResponse": {"verstat": "TN-Validation-Passed",
 *             "attest": "A", "origid": ".."}}
 *           or verstat TN-Validation-Failed with "reasoncode" (the RFC 8224
 *           SIP code), "reasonstring" (its phrase), "reasontext" (why).
 *   GET  /certs/<name>.pem      our certificate chain (leaf first)
 */
#define LOG_MODULE "http"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/sti.h"
#include "base/log.h"
#include "http/http_int.h"

static void
certs_get(void *arg, const struct http_req *rq, struct http_resp *rs)
{
    struct sti *s = arg;
    char name[80];
    size_t n = strlen(rq->tail);
    struct slice pem;

    if (n < 5 || n - 4 >= sizeof(name) || strcmp(rq->tail + n - 4, ".pem")) {
        http_resp_error(rs, 404, "no certificate %s here", rq->tail);
        return;
    }
    memcpy(name, rq->tail, n - 4);
    name[n - 4] = '\0';
    if (!sti_chain(s, name, &pem)) {
        http_resp_error(rs, 404, "no certificate %s here", rq->tail);
        return;
    }
    char *body = malloc(pem.len + 1);
    if (!body) {
        http_resp_error(rs, 500, "out of memory");
        return;
    }
    memcpy(body, pem.p, pem.len);
    body[pem.len] = '\0';
    http_resp_take(rs, 200, "application/pem-certificate-chain", body, pem.len);
}

/* A canonical TN from a JSON string (digits, '#', '*'). */
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

static void
signing(void *arg, const struct http_req *rq, struct http_resp *rs)
{
    struct sti *s = arg;
    json_t *root = http_req_json(rq, rs), *sr;
    char orig[STIR_TN_MAX], dest[STIR_TN_MAX], out[2048];
    const char *why = NULL;

    if (!root) {
        return;
    }
    sr = json_object_get(root, "signingRequest");
    if (!json_is_object(sr)) {
        http_resp_error(rs, 400, "expected {\"signingRequest\": {...}}");
        goto out;
    }
    const char *attest = json_string_value(json_object_get(sr, "attest"));
    json_t *iat = json_object_get(sr, "iat");
    json_t *origid = json_object_get(sr, "origid");
    json_t *dtn = json_object_get(json_object_get(sr, "dest"), "tn");
    if (!attest || strlen(attest) != 1 || !strchr("ABC", attest[0])) {
        http_resp_error(rs, 400, "signingRequest.attest must be A, B or C");
        goto out;
    }
    if (!json_tn(json_object_get(json_object_get(sr, "orig"), "tn"), orig,
            sizeof(orig))) {
        http_resp_error(rs, 400,
            "signingRequest.orig.tn must be a telephone number string");
        goto out;
    }
    if (!json_is_array(dtn) || !json_tn(dtn, dest, sizeof(dest))) {
        http_resp_error(rs, 400,
            "signingRequest.dest.tn must be an array of one telephone "
            "number");
        goto out;
    }
    if (iat && !json_is_integer(iat)) {
        http_resp_error(rs, 400, "signingRequest.iat must be an integer");
        goto out;
    }
    if (origid && !json_is_string(origid)) {
        http_resp_error(rs, 400, "signingRequest.origid must be a string");
        goto out;
    }
    struct sti_sign_req r = {
        .attest = attest[0],
        .orig_tn = orig,
        .dest_tn = dest,
        .origid = origid ? json_string_value(origid) : NULL,
        .iat = iat ? (time_t) json_integer_value(iat) : time(NULL),
    };
    int n = sti_rest_sign(s, &r, out, sizeof(out), &why);
    if (n < 0) {
        http_resp_error(rs, n == -EINVAL ? 503 : 400, "cannot sign: %s",
            why ? why : err_str(n));
        goto out;
    }
    http_resp_json(
        rs, 200, json_pack("{s:{s:s}}", "signingResponse", "identity", out));
out:
    json_decref(root);
}

static void
verification(void *arg, const struct http_req *rq, struct http_resp *rs)
{
    struct sti *s = arg;
    json_t *root = http_req_json(rq, rs), *vr;
    char orig[STIR_TN_MAX], dest[STIR_TN_MAX];
    struct stir_verdict *v = NULL;

    if (!root) {
        return;
    }
    vr = json_object_get(root, "verificationRequest");
    if (!json_is_object(vr)) {
        http_resp_error(rs, 400, "expected {\"verificationRequest\": {...}}");
        goto out;
    }
    const char *identity = json_string_value(json_object_get(vr, "identity"));
    json_t *t = json_object_get(vr, "time");
    if (!identity || !identity[0]) {
        http_resp_error(
            rs, 400, "verificationRequest.identity must be a string");
        goto out;
    }
    if (!json_tn(json_object_get(json_object_get(vr, "from"), "tn"), orig,
            sizeof(orig))
        || !json_tn(json_object_get(json_object_get(vr, "to"), "tn"), dest,
            sizeof(dest))) {
        http_resp_error(rs, 400,
            "verificationRequest.from.tn and to.tn must be telephone "
            "numbers");
        goto out;
    }
    if (t && !json_is_integer(t)) {
        http_resp_error(rs, 400, "verificationRequest.time must be an integer");
        goto out;
    }
    v = malloc(sizeof(*v));
    if (!v) {
        http_resp_error(rs, 500, "out of memory");
        goto out;
    }
    sti_rest_verify(
        s, orig, dest, identity, t ? (time_t) json_integer_value(t) : 0, v);
    json_t *o = json_object();
    json_object_set_new(o, "verstat", json_string(sti_verstat(v->code)));
    if (v->code == STIR_PASS) {
        json_object_set_new(o, "attest", json_string(v->pp.attest));
        json_object_set_new(o, "origid", json_string(v->pp.origid));
    } else {
        json_object_set_new(o, "reasoncode", json_integer(v->code));
        json_object_set_new(
            o, "reasonstring", json_string(stir_code_phrase(v->code)));
        json_object_set_new(o, "reasontext", json_string(v->reason));
    }
    http_resp_json(rs, 200, json_pack("{s:o}", "verificationResponse", o));
out:
    free(v);
    json_decref(root);
}

static const struct http_route stir_routes[] = {
    { "GET", "/certs/*", 0, certs_get },
    { "POST", "/stir/v1/signing", HTTP_AUTH, signing },
    { "POST", "/stir/v1/verification", 0, verification },
};

int
http__stir_routes(struct http_service *svc)
{
    struct sti *s = daemon_sti(svc->d);
    char host[256], base[300];

    if (!s) {
        return 0;
    }
    /* Our own URL: host:port of the listener (a wildcard address is
     * reached over loopback). */
    const char *colon = strrchr(svc->listen, ':');
    size_t hl = colon ? (size_t) (colon - svc->listen) : 0;
    snprintf(host, sizeof(host), "%.*s", (int) hl, svc->listen);
    const char *port = colon ? colon + 1 : "80";
    if (strcmp(host, "0.0.0.0") == 0 || host[0] == '\0') {
        snprintf(host, sizeof(host), "127.0.0.1");
    } else if (strcmp(host, "[::]") == 0) {
        snprintf(host, sizeof(host), "[::1]");
    }
    snprintf(base, sizeof(base), "http://%s:%s", host, port);
    /* allow-lists take the address without brackets */
    size_t n = strlen(host);
    if (n > 2 && host[0] == '[' && host[n - 1] == ']') {
        memmove(host, host + 1, n - 2);
        host[n - 2] = '\0';
    }
    int rc = sti_set_self(s, base, host);
    if (rc) {
        return rc;
    }
    return http_server_add_routes(
        svc->srv, stir_routes, sizeof(stir_routes) / sizeof(stir_routes[0]), s);
}
