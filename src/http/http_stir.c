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
#include "http/http_body.h"
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

static void
signing(void *arg, const struct http_req *rq, struct http_resp *rs)
{
    struct sti *s = arg;
    json_t *root = http_req_json(rq, rs);
    struct http_sign_body b;
    char out[2048];
    const char *why = NULL;

    if (!root) {
        return;
    }
    if (!http_body_sign(&b, root, rs)) {
        goto out;
    }
    struct sti_sign_req r = {
        .attest = b.attest,
        .orig_tn = b.orig,
        .dest_tn = b.dest,
        .origid = b.origid,
        .iat = b.has_iat ? (time_t) b.iat : time(NULL),
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
    json_t *root = http_req_json(rq, rs);
    struct http_verify_body b;
    struct stir_verdict *v = NULL;

    if (!root) {
        return;
    }
    if (!http_body_verify(&b, root, rs)) {
        goto out;
    }
    v = malloc(sizeof(*v));
    if (!v) {
        http_resp_error(rs, 500, "out of memory");
        goto out;
    }
    sti_rest_verify(s, b.orig, b.dest, b.identity, (time_t) b.time, v);
    json_t *o = json_object();
    json_object_set_new(o, "verstat", json_string(stir_verstat(v)));
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
