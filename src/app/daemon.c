#define LOG_MODULE "daemon"
#include "app/daemon.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "app/config.h"
#include "app/daemon_config.h"
#include "app/location.h"
#include "app/pipeline.h"
#include "app/sti.h"
#include "app/worker.h"
#include "base/clock.h"
#include "base/log.h"
#include "store/store.h"
#include "transport/listen.h"
#include "transport/transport.h"
#include "txn/txn.h"

struct daemon {
    const struct daemon_opts *opts;
    struct daemon_config *cfg;
    struct transport_listener listeners[TRANSPORT_MAX_LISTENERS];
    size_t nlisteners;
    struct worker *workers;
    size_t nworkers;
    struct transport_tls *tls;
    struct app_pipeline *pipeline;
    /* Copies taken at start: workers keep these for their lifetime, while a
     * reload swaps d->cfg (transport and txn changes need a restart). */
    struct transport_conf tc;
    struct txn_conf xc;
    struct store *store;
    struct sti *sti;           /* STIR services, shared with the HTTP layer */
    struct location *location; /* registrar + redirect service */
    void *ext_state[DAEMON_MAX_EXTS];
    atomic_bool ready;
    uint64_t start_ms;
};

/*
 * Loads defaults, the file and the overrides into a fresh config. On error
 * the message is printed to stderr (at start) or logged (on reload).
 */
static struct daemon_config *
config_load(const struct daemon_opts *o, bool at_start)
{
    struct daemon_config *dc = daemon_config_new(o->exts, o->nexts);
    struct conf *c;
    int err = 0;

    if (!dc) {
        return NULL;
    }
    c = &dc->conf;
    if (o->config_path) {
        err = conf_load_file(c, o->config_path);
    }
    for (size_t i = 0; !err && i < o->nsets; i++) {
        err = conf_set_kv(c, o->sets[i]);
    }
    if (!err && o->log_format) {
        err = conf_set(c, "log", "format", o->log_format);
    }
    if (!err) {
        err = daemon_config_validate(dc, o->exts, o->nexts);
    }
    if (err) {
        if (at_start) {
            fprintf(stderr, "sipward: %s\n", conf_error(c));
        } else {
            log_error("reload failed, keeping the running configuration: %s",
                conf_error(c));
        }
        daemon_config_free(dc);
        return NULL;
    }
    return dc;
}

static void
apply_logging(const struct app_conf *ac)
{
    log_set_level((enum log_level) log_level_parse(ac->log_level));
    log_set_format(strcmp(ac->log_format, "json") == 0 ? LOG_FORMAT_JSON
                                                       : LOG_FORMAT_TEXT);
}

/* Opens the store (creating ./var and the database on first start). */
static int
open_store(struct daemon *d, const char *path)
{
    struct store_conf sc = { .path = path, .mode = STORE_MODE_SERVE };

    return store_open(&d->store, &sc);
}

/*
 * The trust anchors are files an operator replaces (a new STI-PA list, a
 * CRL): re-read on every SIGHUP, from a changed stir.trust when the new
 * config names one. A bad directory keeps the running store (logged).
 */
static void
reload_trust(struct daemon *d, const struct sti_conf *sc)
{
    struct sti_trust_info ti;
    char why[512];

    (void) sti_trust_reload(
        d->sti, sc && sc->trust[0] ? sc->trust : NULL, &ti, why, sizeof(why));
}

/* SIGHUP: re-read the file; a bad file is reported and the old config kept. */
static void
reload(struct daemon *d)
{
    if (!d->opts->config_path) {
        log_info("SIGHUP: no config file given, reloading the trust anchors");
        reload_trust(d, NULL);
        return;
    }
    sd_notify(0, "RELOADING=1");
    struct daemon_config *dc = config_load(d->opts, false);
    if (!dc) {
        reload_trust(d, NULL);
        sd_notify(0, "READY=1");
        return;
    }
    reload_trust(d, &dc->stc);
    if (strcmp(dc->ac.sip_listen, d->cfg->ac.sip_listen) != 0
        || strcmp(dc->ac.store_path, d->cfg->ac.store_path) != 0
        || dc->ac.workers != d->cfg->ac.workers) {
        log_warn("listeners, workers and store take effect after a restart");
    }
    apply_logging(&dc->ac);
    daemon_config_free(d->cfg);
    d->cfg = dc;
    for (size_t i = 0; i < d->opts->nexts && i < DAEMON_MAX_EXTS; i++) {
        if (d->opts->exts[i]->reload) {
            d->opts->exts[i]->reload(d->ext_state[i], dc->ext_conf[i]);
        }
    }
    log_info("configuration reloaded from %s", d->opts->config_path);
    sd_notify(0, "READY=1");
}

/*
 * The systemd watchdog (WatchdogSec=): WATCHDOG=1 every half interval, but
 * only while every worker's loop stamped its heartbeat within that half
 * interval. A worker stuck in a loop or a blocking call stops the pings,
 * and systemd restarts the service instead of letting it answer nothing.
 */
struct watchdog {
    uint64_t interval_ms; /* 0: no watchdog */
    uint64_t next_ms;     /* next ping due */
    bool starved;         /* a stuck worker was logged */
};

static void
watchdog_init(struct watchdog *wd)
{
    uint64_t usec = 0;

    memset(wd, 0, sizeof(*wd));
    /* > 0 only when WATCHDOG_USEC is set for this very process. */
    if (sd_watchdog_enabled(0, &usec) > 0 && usec >= 2000) {
        wd->interval_ms = usec / 1000;
        log_info("systemd watchdog: %llu ms; pinging every %llu ms while "
                 "every worker runs",
            (unsigned long long) wd->interval_ms,
            (unsigned long long) wd->interval_ms / 2);
    }
}

/* Milliseconds poll() may sleep before the next ping is due (-1: none). */
static int
watchdog_wait_ms(const struct watchdog *wd)
{
    if (!wd->interval_ms) {
        return -1;
    }
    uint64_t now = clock_mono_ms();
    return wd->next_ms > now ? (int) (wd->next_ms - now) : 0;
}

static void
watchdog_tick(struct watchdog *wd, const struct daemon *d)
{
    uint64_t now = clock_mono_ms(), half = wd->interval_ms / 2;

    if (!wd->interval_ms || now < wd->next_ms) {
        return;
    }
    wd->next_ms = now + half;
    for (size_t i = 0; i < d->nworkers; i++) {
        uint64_t beat = worker_beat_ms(&d->workers[i]);
        if (now > beat && now - beat > half) {
            if (!wd->starved) {
                log_error("worker %zu: no heartbeat for %llu ms: not "
                          "pinging the systemd watchdog",
                    i, (unsigned long long) (now - beat));
            }
            wd->starved = true;
            return;
        }
    }
    if (wd->starved) {
        log_info("every worker runs again: pinging the systemd watchdog");
        wd->starved = false;
    }
    sd_notify(0, "WATCHDOG=1");
}

static int
run(struct daemon *d)
{
    sigset_t set;
    char err[256];
    int rc = 0;

    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    /* Blocked before the workers start so only signalfd sees them. */
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    int sfd = signalfd(-1, &set, SFD_CLOEXEC);
    if (sfd < 0) {
        log_error("signalfd: %s", strerror(errno));
        return 1;
    }

    d->nworkers = d->cfg->ac.workers > 0
        ? (size_t) d->cfg->ac.workers
        : (size_t) sysconf(_SC_NPROCESSORS_ONLN);
    if (d->nworkers == 0) {
        d->nworkers = 1;
    }
    d->workers = calloc(d->nworkers, sizeof(*d->workers));
    if (!d->workers) {
        close(sfd);
        return 1;
    }
    /* STIR state first: the HTTP service serves its certificates and
     * tells it its own URL before the workers sign with it. */
    if (sti_new(&d->sti, &d->cfg->stc, d->cfg->ac.store_path, d->listeners,
            d->nlisteners)
        != 0) {
        free(d->workers);
        close(sfd);
        return 1;
    }
    /* Services beside the workers start first, so a port already taken
     * stops the daemon before it answers SIP; readiness follows the
     * workers. */
    size_t exts_started = 0;
    for (; exts_started < d->opts->nexts && exts_started < DAEMON_MAX_EXTS;
         exts_started++) {
        const struct daemon_ext *x = d->opts->exts[exts_started];
        if (x->start(
                &d->ext_state[exts_started], d, d->cfg->ext_conf[exts_started])
            != 0) {
            rc = 1;
            break;
        }
    }
    /* Services plug into the pipeline here, before the workers start:
     * app_pipeline_add(d->pipeline, &some_service). The STIR services come
     * first: they take only the INVITEs of the sources [stir] names (with
     * the defaults: those carrying Identity), and pass everything else on
     * to the registrar / redirect service. */
    d->tc = d->cfg->tc;
    d->xc = d->cfg->xc;
    if (rc == 0 && app_pipeline_new(&d->pipeline) != 0) {
        rc = 1;
    }
    if (rc == 0 && sti_inline(d->sti)
        && app_pipeline_set_proxy(d->pipeline, d->cfg->stc.next_hop,
               d->cfg->stc.record_route, d->listeners, d->nlisteners, err,
               sizeof(err))
            != 0) {
        log_error("stir.next_hop: %s", err);
        rc = 1;
    }
    if (rc == 0
        && (app_pipeline_add(d->pipeline, sti_as_service(d->sti)) != 0
            || app_pipeline_add(d->pipeline, sti_vs_service(d->sti)) != 0)) {
        rc = 1;
    }
    if (rc == 0
        && (location_new(&d->location, d->store, d->cfg->ac.domains,
                d->cfg->ac.realm, &d->cfg->lc, err, sizeof(err))
                != 0
            || app_pipeline_add(d->pipeline, location_service(d->location))
                != 0)) {
        log_error("location service: %s", err);
        rc = 1;
    }
    struct watchdog wd;
    watchdog_init(&wd);
    struct worker_env env = {
        /* Several beats per half interval: a worker merely busy for a
         * moment still counts as alive. */
        .heartbeat_ms =
            wd.interval_ms ? (wd.interval_ms / 8 ? wd.interval_ms / 8 : 1) : 0,
        .listeners = d->listeners,
        .nlisteners = d->nlisteners,
        .tconf = &d->tc,
        .xconf = &d->xc,
        .tls = d->tls,
        .pipeline = d->pipeline,
    };
    size_t started = 0;
    for (; rc == 0 && started < d->nworkers; started++) {
        struct worker *w = &d->workers[started];
        if (worker_init(w, (int) started, &env, err, sizeof(err)) != 0) {
            log_error("%s", err);
            rc = 1;
            break;
        }
        if (worker_start(w) != 0) {
            log_error("cannot start worker %zu", started);
            worker_fini(w);
            rc = 1;
            break;
        }
    }

    if (rc == 0) {
        for (size_t i = 0; i < d->nlisteners; i++) {
            log_info("listening on %s", d->listeners[i].text);
        }
        struct store_stats ss;
        char where[512]; /* a PostgreSQL password is masked */
        store_stats_get(d->store, &ss);
        store_path_describe(where, sizeof(where), d->cfg->ac.store_path);
        log_info("sipward %s ready: %zu workers, store %s (%llu users, "
                 "%llu bindings, %llu moved)",
            SIPWARD_VERSION, d->nworkers, where, (unsigned long long) ss.users,
            (unsigned long long) ss.bindings, (unsigned long long) ss.moved);
        atomic_store(&d->ready, true);
        /* Type=notify: systemd starts dependents only now. A no-op
         * outside systemd (no NOTIFY_SOCKET). */
        sd_notifyf(0, "READY=1\nSTATUS=serving, %zu workers", d->nworkers);
    }

    while (rc == 0) {
        struct signalfd_siginfo si;
        struct pollfd pfd = { .fd = sfd, .events = POLLIN };
        int ready = poll(&pfd, 1, watchdog_wait_ms(&wd));
        watchdog_tick(&wd, d);
        if (ready == 0 || (ready < 0 && errno == EINTR)) {
            continue;
        }
        ssize_t n = read(sfd, &si, sizeof(si));
        if (n != (ssize_t) sizeof(si)) {
            if (n < 0 && errno == EINTR) {
                continue;
            }
            log_error("signalfd read: %s", strerror(errno));
            rc = 1;
            break;
        }
        if (si.ssi_signo == SIGHUP) {
            reload(d);
            continue;
        }
        log_info(
            "%s: shutting down", si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
        break;
    }

    atomic_store(&d->ready, false);
    sd_notify(0, "STOPPING=1");
    while (exts_started > 0) {
        exts_started--;
        d->opts->exts[exts_started]->stop(d->ext_state[exts_started]);
        d->ext_state[exts_started] = NULL;
    }
    for (size_t i = 0; i < started; i++) {
        worker_stop(&d->workers[i]);
    }
    /* The store drains its queue: each completion is posted to its
     * (stopped) worker loop, and worker_fini runs it before freeing the
     * worker, so a deferred REGISTER is answered or freed, never lost. */
    store_close(d->store);
    d->store = NULL;
    for (size_t i = 0; i < started; i++) {
        worker_log_stats(&d->workers[i]);
        worker_fini(&d->workers[i]);
    }
    free(d->workers);
    app_pipeline_free(d->pipeline);
    sti_free(d->sti);
    d->sti = NULL;
    location_free(d->location);
    d->location = NULL;
    close(sfd);
    if (rc == 0) {
        log_info("stopped");
    }
    return rc;
}

int
daemon_main(const struct daemon_opts *o)
{
    struct daemon d;
    char err[256];
    int rc;

    memset(&d, 0, sizeof(d));
    d.opts = o;
    d.start_ms = clock_mono_ms();
    d.cfg = config_load(o, true);
    if (!d.cfg) {
        return 2;
    }
    const struct app_conf *ac = &d.cfg->ac;
    if (o->print_config) {
        /* store.path may be a PostgreSQL conninfo with a password in it:
         * print it the way the logs do, password masked. */
        char masked[4096];
        char *path = d.cfg->ac.store_path;
        store_path_describe(masked, sizeof(masked), path);
        d.cfg->ac.store_path = masked;
        conf_print(&d.cfg->conf, stdout);
        d.cfg->ac.store_path = path;
        daemon_config_free(d.cfg);
        return 0;
    }
    apply_logging(ac);
    if (transport_listeners_parse(ac->sip_listen, d.listeners,
            TRANSPORT_MAX_LISTENERS, &d.nlisteners, err, sizeof(err))
        != 0) {
        fprintf(stderr, "sipward: sip.listen: %s\n", err);
        daemon_config_free(d.cfg);
        return 2;
    }
    for (size_t i = 0; i < d.nlisteners; i++) {
        if (d.listeners[i].proto == TRANSPORT_TLS && !d.tls
            && transport_tls_new(&d.tls, &d.cfg->tc, err, sizeof(err)) != 0) {
            fprintf(stderr, "sipward: %s\n", err);
            daemon_config_free(d.cfg);
            return 2;
        }
    }
    if (o->check_config) {
        printf("%s: configuration OK\n",
            o->config_path ? o->config_path : "built-in defaults");
        transport_tls_free(d.tls);
        daemon_config_free(d.cfg);
        return 0;
    }
    rc = open_store(&d, ac->store_path);
    if (rc) {
        char where[512];
        store_path_describe(where, sizeof(where), ac->store_path);
        fprintf(stderr, "sipward: store.path: cannot open %s: %s\n", where,
            err_str(rc));
        transport_tls_free(d.tls);
        daemon_config_free(d.cfg);
        return 1;
    }
    rc = run(&d);
    /* After the workers stopped: nothing submits any more. */
    store_close(d.store);
    transport_tls_free(d.tls);
    daemon_config_free(d.cfg);
    return rc;
}

bool
daemon_ready(const struct daemon *d)
{
    return atomic_load(&d->ready);
}

uint64_t
daemon_uptime_ms(const struct daemon *d)
{
    return clock_mono_ms() - d->start_ms;
}

size_t
daemon_nworkers(const struct daemon *d)
{
    return d->nworkers;
}

size_t
daemon_listeners(const struct daemon *d, const struct transport_listener **ls)
{
    *ls = d->listeners;
    return d->nlisteners;
}

struct store *
daemon_store(const struct daemon *d)
{
    return d->store;
}

struct sti *
daemon_sti(const struct daemon *d)
{
    return d->sti;
}

const struct app_conf *
daemon_app_conf(const struct daemon *d)
{
    return &d->cfg->ac;
}
