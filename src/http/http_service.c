#define LOG_MODULE "http"
#include "http/http_service.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app/config.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "http/http_int.h"

#define OPT(k, type, field, min, max, def, help, flags)                        \
    {                                                                          \
        "http", k, type, offsetof(struct http_conf, field), min, max, def,     \
            help, flags                                                        \
    }

static const struct conf_opt http_opts[] = {
    OPT("listen", CONF_STR, listen, 0, 256, "127.0.0.1:8080",
        "HTTP listener (host:port, [v6]:port) for the admin API, metrics, "
        "status page, REST and certificate repository; empty disables HTTP",
        0),
    OPT("token_file", CONF_STR, token_file, 0, 4096, "var/admin.token",
        "file holding the admin API bearer token; created with a random "
        "token on first start when missing; empty disables the admin API",
        0),
    OPT("token", CONF_STR, token, 0, 256, "",
        "the admin API bearer token itself, instead of token_file (never "
        "printed)",
        CONF_SECRET),
    OPT("threads", CONF_INT, threads, 1, 16, "2", "HTTP server threads", 0),
    OPT("max_body", CONF_INT, max_body, 1024, 16777216, "65536",
        "largest request body accepted, in bytes (larger: 413)", 0),
    OPT("public_status", CONF_BOOL, public_status, 0, 1, "true",
        "serve the status page and /metrics without the token (the "
        "admin API always needs it)",
        0),
};

void
http_conf_register(struct conf *c, struct http_conf *hc)
{
    conf_add(c, http_opts, sizeof(http_opts) / sizeof(http_opts[0]), hc);
}

static void
ext_conf_register(struct conf *c, void *cf)
{
    http_conf_register(c, cf);
}

static int
ext_conf_validate(struct conf *c, const void *cf)
{
    const struct http_conf *hc = cf;
    const char *l = hc->listen;

    if (l[0] && !strchr(l, ':')) {
        snprintf(c->err, sizeof(c->err),
            "http.listen: '%s' is not host:port or [address]:port", l);
        return CONF_E_BAD_VALUE;
    }
    if (hc->token[0] && strlen(hc->token) < 16) {
        snprintf(c->err, sizeof(c->err),
            "http.token: too short (at least 16 characters)");
        return CONF_E_BAD_VALUE;
    }
    return 0;
}

/* Creates the directory holding path, one level only (like ./var). */
static int
make_parent(const char *path)
{
    char dir[4096];

    if (snprintf(dir, sizeof(dir), "%s", path) >= (int) sizeof(dir)) {
        return -ENAMETOOLONG;
    }
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir) {
        return 0;
    }
    *slash = '\0';
    if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
        return -errno;
    }
    return 0;
}

static int
token_create(const char *path, char *err, size_t errlen)
{
    unsigned char rnd[32];
    char hex[sizeof(rnd) * 2 + 2];
    int rc = make_parent(path), fd = -1;

    if (rc) {
        goto out;
    }
    if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t) sizeof(rnd)) {
        rc = -EIO;
        goto out;
    }
    for (size_t i = 0; i < sizeof(rnd); i++) {
        snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
    }
    hex[sizeof(rnd) * 2] = '\n';
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = -errno;
        goto out;
    }
    if (write(fd, hex, sizeof(rnd) * 2 + 1) != (ssize_t) sizeof(rnd) * 2 + 1
        || fsync(fd) != 0) {
        rc = -EIO;
        unlink(path);
        goto out;
    }
    log_info("created the admin API token file %s (mode 0600)", path);
out:
    if (fd >= 0) {
        close(fd);
    }
    OPENSSL_cleanse(rnd, sizeof(rnd));
    OPENSSL_cleanse(hex, sizeof(hex));
    if (rc) {
        snprintf(err, errlen, "http.token_file: cannot create %s: %s", path,
            strerror(-rc));
    }
    return rc;
}

int
http_token_load(const struct http_conf *hc, bool create, char *out,
    size_t outlen, char *err, size_t errlen)
{
    struct stat st;
    int rc = 0;
    FILE *f = NULL;

    out[0] = '\0';
    if (hc->token && hc->token[0]) {
        if (snprintf(out, outlen, "%s", hc->token) >= (int) outlen) {
            snprintf(err, errlen, "http.token: too long");
            return -ENAMETOOLONG;
        }
        return 0;
    }
    if (!hc->token_file || !hc->token_file[0]) {
        return 0;
    }
    if (create && stat(hc->token_file, &st) != 0 && errno == ENOENT) {
        rc = token_create(hc->token_file, err, errlen);
        if (rc) {
            return rc;
        }
    }
    f = fopen(hc->token_file, "re");
    if (!f) {
        rc = -errno;
        snprintf(err, errlen, "http.token_file: %s: %s", hc->token_file,
            strerror(-rc));
        return rc;
    }
    if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077)) {
        log_warn("http.token_file %s is readable by other users: chmod 600 it",
            hc->token_file);
    }
    if (!fgets(out, (int) outlen, f)) {
        out[0] = '\0';
    }
    fclose(f);
    out[strcspn(out, "\r\n")] = '\0';
    /* Surrounding blanks are never part of a token. */
    size_t n = strlen(out);
    while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '\t')) {
        out[--n] = '\0';
    }
    if (strlen(out) < 16) {
        OPENSSL_cleanse(out, outlen);
        out[0] = '\0';
        snprintf(err, errlen,
            "http.token_file: %s: the token must be one line of at least 16 "
            "characters",
            hc->token_file);
        return CONF_E_BAD_VALUE;
    }
    return 0;
}

static int
apply_token(struct http_service *svc, const struct http_conf *hc)
{
    char tok[512], err[512];
    int rc = http_token_load(hc, true, tok, sizeof(tok), err, sizeof(err));

    if (rc) {
        log_error("%s", err);
        return rc;
    }
    http_server_set_token(svc->srv, tok);
    if (!tok[0]) {
        log_warn("no admin token configured: the admin API answers 403");
    }
    OPENSSL_cleanse(tok, sizeof(tok));
    return 0;
}

static void *
sampler_main(void *arg)
{
    struct http_service *svc = arg;
    struct timespec ts;

    pthread_mutex_lock(&svc->lock);
    while (!svc->stopping) {
        pthread_mutex_unlock(&svc->lock);
        http__sample(svc);
        pthread_mutex_lock(&svc->lock);
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        while (!svc->stopping
            && pthread_cond_timedwait(&svc->cond, &svc->lock, &ts) == 0) {
        }
    }
    pthread_mutex_unlock(&svc->lock);
    return NULL;
}

static void
ext_stop(void *state)
{
    struct http_service *svc = state;

    if (!svc) {
        return;
    }
    if (svc->sampler_running) {
        pthread_mutex_lock(&svc->lock);
        svc->stopping = true;
        pthread_cond_signal(&svc->cond);
        pthread_mutex_unlock(&svc->lock);
        pthread_join(svc->sampler, NULL);
    }
    http_server_free(svc->srv);
    pthread_cond_destroy(&svc->cond);
    pthread_mutex_destroy(&svc->lock);
    free(svc);
}

static int
ext_start(void **statep, struct daemon *d, const void *cf)
{
    const struct http_conf *hc = cf;
    struct http_service *svc = NULL;
    struct http_server_conf sc;
    char err[512];
    int rc;

    *statep = NULL;
    if (!hc->listen[0]) {
        log_info("http.listen is empty: no HTTP server");
        return 0;
    }
    svc = calloc(1, sizeof(*svc));
    if (!svc) {
        return -ENOMEM;
    }
    svc->d = d;
    snprintf(svc->listen, sizeof(svc->listen), "%s", hc->listen);
    snprintf(svc->realm, sizeof(svc->realm), "%s", daemon_app_conf(d)->realm);
    pthread_mutex_init(&svc->lock, NULL);
    pthread_cond_init(&svc->cond, NULL);
    sc = (struct http_server_conf){
        .listen = hc->listen,
        .threads = (unsigned) hc->threads,
        .max_body = (size_t) hc->max_body,
        .public_status = hc->public_status,
    };
    rc = http_server_new(&svc->srv, &sc, err, sizeof(err));
    if (rc) {
        log_error("%s", err);
        goto fail;
    }
    rc = apply_token(svc, hc);
    if (!rc) {
        rc = http__ops_routes(svc);
    }
    if (!rc) {
        rc = http__admin_routes(svc);
    }
    if (!rc) {
        rc = http__stir_routes(svc);
    }
    if (rc) {
        goto fail;
    }
    rc = http_server_start(svc->srv, err, sizeof(err));
    if (rc) {
        log_error("%s", err);
        goto fail;
    }
    http__sample(svc);
    if (pthread_create(&svc->sampler, NULL, sampler_main, svc) == 0) {
        svc->sampler_running = true;
    }
    log_info("HTTP on %s: status page /, metrics /metrics, admin API /api/v1",
        hc->listen);
    *statep = svc;
    return 0;
fail:
    ext_stop(svc);
    return rc ? rc : -1;
}

static void
ext_reload(void *state, const void *cf)
{
    struct http_service *svc = state;
    const struct http_conf *hc = cf;

    if (!svc) {
        return;
    }
    if (strcmp(svc->listen, hc->listen) != 0) {
        log_warn("http.listen takes effect after a restart");
    }
    pthread_mutex_lock(&svc->lock);
    snprintf(
        svc->realm, sizeof(svc->realm), "%s", daemon_app_conf(svc->d)->realm);
    pthread_mutex_unlock(&svc->lock);
    /* SIGHUP rotates the token: a bad new token file keeps the old one. */
    apply_token(svc, hc);
}

const struct daemon_ext http_daemon_ext = {
    .name = "http",
    .conf_size = sizeof(struct http_conf),
    .conf_register = ext_conf_register,
    .conf_validate = ext_conf_validate,
    .start = ext_start,
    .reload = ext_reload,
    .stop = ext_stop,
};
