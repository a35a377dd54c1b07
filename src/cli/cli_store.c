#include "cli/cli_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/config.h"
#include "base/conf.h"
#include "cli/cli_api.h"
#include "http/http_service.h"
#include "store/store_pg.h"

/* The effective config of the CLI call; one per process. */
static struct conf cli_conf;
static struct app_conf cli_ac;
static struct http_conf cli_hc;
static bool cli_conf_loaded;
static struct cli_api *cli_api; /* set when the daemon answered */
static const char *cli_path;

/* The daemon's file, for the sections the CLI uses. */
static int
load_conf(const char *cmd, const char *config_path)
{
    int rc;

    conf_init(&cli_conf);
    cli_conf.other_sections_ok = true;
    app_conf_register(&cli_conf, &cli_ac);
    http_conf_register(&cli_conf, &cli_hc);
    cli_conf_loaded = true;
    rc = conf_apply_defaults(&cli_conf);
    if (!rc && config_path) {
        rc = conf_load_file(&cli_conf, config_path);
    }
    if (rc) {
        fprintf(stderr, "sipward %s: %s\n", cmd, conf_error(&cli_conf));
        return 2;
    }
    return 0;
}

int
cli_store_open(const char *cmd, const struct cli_store_opts *o,
    struct store **stp, const char **realm_out)
{
    int rc = load_conf(cmd, o->config_path);

    if (rc) {
        return rc;
    }
    if (realm_out) {
        *realm_out = o->realm ? o->realm : cli_ac.realm;
    }
    /* An explicit --store means that file, daemon or not. */
    if (!o->store_path && !o->direct
        && (cli_api = cli_api_connect(&cli_hc)) != NULL) {
        *stp = NULL;
        return 0;
    }
    struct store_conf sc = {
        .path = o->store_path ? o->store_path : cli_ac.store_path,
        .mode = STORE_MODE_DIRECT,
        .no_migrate = o->no_migrate,
    };
    char where[512]; /* a PostgreSQL password is masked */
    store_path_describe(where, sizeof(where), sc.path);
    if (o->must_exist && !store_pg_is_conninfo(sc.path)
        && access(sc.path, F_OK) != 0) {
        fprintf(stderr, "sipward %s: no store at %s\n", cmd, where);
        return 1;
    }
    rc = store_open(stp, &sc);
    if (rc) {
        fprintf(stderr, "sipward %s: cannot open the store %s: %s\n", cmd,
            where, err_str(rc));
        return 1;
    }
    cli_path = sc.path;
    if (realm_out) {
        *realm_out = o->realm ? o->realm : cli_ac.realm;
    }
    return 0;
}

void
cli_store_close(struct store *st)
{
    store_close(st);
    cli_api_close(cli_api);
    cli_api = NULL;
    if (cli_conf_loaded) {
        conf_release(&cli_conf);
        cli_conf_loaded = false;
    }
}

int
cli_store_submit(struct store *st, struct store_req *r)
{
    return cli_api ? cli_api_submit(cli_api, r) : store_submit_wait(st, r);
}

int
cli_store_moved_list(struct store *st, store_moved_cb *cb, void *arg)
{
    return cli_api ? cli_api_moved_list(cli_api, cb, arg)
                   : store_moved_list(st, cb, arg);
}

int
cli_store_user_list(struct store *st, store_user_cb *cb, void *arg)
{
    return cli_api ? cli_api_user_list(cli_api, cb, arg)
                   : store_user_list(st, cb, arg);
}

const char *
cli_store_path(void)
{
    return cli_path ? cli_path : "";
}

int
cli_daemon_open(const char *cmd, const char *config_path, struct cli_api **ap)
{
    int rc = load_conf(cmd, config_path);

    if (rc) {
        return rc;
    }
    *ap = cli_api_connect(&cli_hc);
    if (!*ap) {
        fprintf(stderr,
            "sipward %s: no daemon answers on http.listen (%s) with the "
            "admin token (http.token_file); is it running, and is this its "
            "config (-c)?\n",
            cmd, cli_hc.listen);
        cli_daemon_close(NULL);
        return 1;
    }
    return 0;
}

void
cli_daemon_close(struct cli_api *a)
{
    cli_api_close(a);
    if (cli_conf_loaded) {
        conf_release(&cli_conf);
        cli_conf_loaded = false;
    }
}
