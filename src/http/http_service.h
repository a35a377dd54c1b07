/*
 * The HTTP service as the daemon runs it: its [http] options, the bearer
 * token, and the routes every HTTP module contributes. `sipward serve`
 * hands http_daemon_ext to the daemon (daemon_opts.exts), which starts it
 * before the SIP workers and stops it at shutdown; app never includes this
 * header.
 */
#ifndef SW_HTTP_SERVICE_H
#define SW_HTTP_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/daemon.h"
#include "base/conf.h"

struct http_conf {
    char *listen;
    char *token_file;
    char *token; /* CONF_SECRET */
    int64_t threads;
    int64_t max_body;
    bool public_status;
};

extern const struct daemon_ext http_daemon_ext;

/** Registers the [http] options into c, pointing at hc. */
void http_conf_register(struct conf *c, struct http_conf *hc);

/**
 * The admin token the config names: http.token when set, else the first
 * line of http.token_file. With create, a missing token_file is created
 * with a fresh random token (mode 0600). Returns 0 (out is "" when no token
 * is configured), or -errno with the reason in err. The token is never
 * logged; callers wipe out after use.
 */
int http_token_load(const struct http_conf *hc, bool create, char *out,
    size_t outlen, char *err, size_t errlen);

#endif
