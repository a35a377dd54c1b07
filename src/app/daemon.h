/* The daemon process: configuration, workers, signals. */
#ifndef SW_APP_DAEMON_H
#define SW_APP_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/conf.h"
#include "transport/listen.h"

struct app_conf;
struct daemon;
struct store;

/*
 * A service that runs beside the SIP workers and lives in a layer above app
 * (the HTTP server). The layer that owns it (cli's `serve`) passes it in
 * daemon_opts, so app never includes an upper layer's header. Its options
 * join the daemon's configuration: they are printed, checked, loaded from
 * the file and reloaded on SIGHUP like the daemon's own.
 */
struct daemon_ext {
    const char *name;
    size_t conf_size; /* bytes of the service's config struct */
    /** Adds the service's option table, pointing into cf. */
    void (*conf_register)(struct conf *c, void *cf);
    /** Cross-option checks; message in c->err. May be NULL. */
    int (*conf_validate)(struct conf *c, const void *cf);
    /**
     * Starts the service before the workers; *statep is its state. Logs
     * why and returns nonzero when it cannot start (the daemon exits 1).
     */
    int (*start)(void **statep, struct daemon *d, const void *cf);
    /** After a successful SIGHUP reload, with the new config. May be NULL. */
    void (*reload)(void *state, const void *cf);
    /** Stops the service at shutdown and frees its state. */
    void (*stop)(void *state);
};

enum {
    DAEMON_MAX_EXTS = 4
};

struct daemon_opts {
    const char *config_path; /* NULL: built-in defaults only */
    const char **sets;       /* "section.key=value" overrides */
    size_t nsets;
    bool print_config;
    const char *log_format; /* --log-format, overrides log.format */
    bool check_config;      /* validate, print "configuration OK", exit 0 */
    const struct daemon_ext *const *exts; /* services above app */
    size_t nexts;
};

/**
 * Runs `sipward serve` and returns the process exit code: 0 after a clean
 * shutdown, 1 on a runtime failure, 2 on a configuration error.
 */
int daemon_main(const struct daemon_opts *o);

/* What services beside the workers may ask the running daemon. */

/** True once every worker runs, false again when shutdown begins. */
bool daemon_ready(const struct daemon *d);
/** Milliseconds since daemon_main() started. */
uint64_t daemon_uptime_ms(const struct daemon *d);
size_t daemon_nworkers(const struct daemon *d);
/** The SIP listeners; returns how many. */
/**
 * The daemon's own options. Main thread only (a daemon_ext's start and
 * reload hooks): a reload frees the previous ones.
 */
const struct app_conf *daemon_app_conf(const struct daemon *d);
/**
 * The STIR services' shared state (app/sti.h), built before the daemon_ext
 * services start; for the REST and certificate routes.
 */
struct sti;
struct sti *daemon_sti(const struct daemon *d);
/** The daemon's store (open for the daemon's whole run). */
struct store *daemon_store(const struct daemon *d);
size_t daemon_listeners(
    const struct daemon *d, const struct transport_listener **ls);

#endif
