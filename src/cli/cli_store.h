/*
 * Opening the store from the CLI: --store PATH, or store.path from --config.
 * Without --store, when a daemon answers on http.listen with our admin
 * token, the commands go through its admin API instead (cli_api.h): the
 * change is applied at once and *stp is NULL. Use the cli_store_* calls
 * below, which take either path.
 */
#ifndef SW_CLI_CLI_STORE_H
#define SW_CLI_CLI_STORE_H

#include "store/store.h"

struct cli_store_opts {
    const char *config_path; /* -c FILE */
    const char *store_path;  /* --store PATH: wins over the config */
    const char *realm;       /* --realm: wins over server.realm */
    bool direct;             /* the database itself, never the daemon */
    bool no_migrate;         /* open an old schema as is (store check) */
    bool must_exist;         /* a SQLite file is not created */
};

/**
 * Opens the store in DIRECT mode. realm_out (may be NULL) receives the
 * effective realm (static or from opts; valid until cli_store_close).
 * Prints the reason and returns non-zero on failure.
 */
int cli_store_open(const char *cmd, const struct cli_store_opts *o,
    struct store **stp, const char **realm_out);
void cli_store_close(struct store *st);
/** store.path of the open store (a secret: print store_path_describe). */
const char *cli_store_path(void);

/** store_submit_wait(), or the admin API when the daemon is up. */
int cli_store_submit(struct store *st, struct store_req *r);
/** store_moved_list() / store_user_list(), or the admin API. */
int cli_store_moved_list(struct store *st, store_moved_cb *cb, void *arg);
int cli_store_user_list(struct store *st, store_user_cb *cb, void *arg);

struct cli_api;

/**
 * For the commands only a running daemon answers (certs, trust): reads
 * [http] from config_path (NULL: the defaults) and connects to the admin
 * API. Prints why and returns 1 when no daemon answers with the token, 2
 * for a bad config.
 */
int cli_daemon_open(
    const char *cmd, const char *config_path, struct cli_api **ap);
void cli_daemon_close(struct cli_api *a);

#endif
