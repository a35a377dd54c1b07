/*
 * The CLI's way to a running daemon: the admin API (http.listen, bearer
 * token from http.token / http.token_file of the same config). The
 * directory commands use it when the daemon answers with our token, so a
 * change is applied at once and goes through the daemon's store thread;
 * otherwise they open the store file directly (cli_store.h decides).
 */
#ifndef SW_CLI_CLI_API_H
#define SW_CLI_CLI_API_H

#include <jansson.h>
#include <stdbool.h>

#include "http/http_service.h"
#include "store/store.h"

struct cli_api;

/**
 * Probes the daemon named by hc (GET /api/v1 with the token, 1 s timeout).
 * Returns NULL when there is no token, nothing listens, or it refuses the
 * token: the caller then works on the store file.
 */
struct cli_api *cli_api_connect(const struct http_conf *hc);
void cli_api_close(struct cli_api *a);

/**
 * A store write through the API: STORE_REQ_MOVED_PUT/DEL and
 * STORE_REQ_USER_PUT/DEL. Returns 0 once the daemon reports it durable,
 * STORE_E_NOT_FOUND for a 404, or -EPROTO after printing the API's error.
 */
int cli_api_submit(struct cli_api *a, const struct store_req *r);
int cli_api_moved_list(struct cli_api *a, store_moved_cb *cb, void *arg);

/**
 * One request to /api/v1 + path: *status gets the HTTP status, *out the
 * JSON body (NULL when none; json_decref it). 0, or -EIO after printing
 * that the daemon stopped answering.
 */
int cli_api_call(struct cli_api *a, const char *method, const char *path,
    json_t *body, long *status, json_t **out);
/** Prints the API's error message for status; returns -EPROTO. */
int cli_api_error(long status, json_t *j);
int cli_api_user_list(struct cli_api *a, store_user_cb *cb, void *arg);

#endif
