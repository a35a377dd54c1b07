/* Everything a config file sets: the daemon's own tables and those of its
 * daemon_ext services, registered in one place so `serve` and the config
 * fuzz target load exactly the same options. */
#ifndef SW_APP_DAEMON_CONFIG_H
#define SW_APP_DAEMON_CONFIG_H

#include "app/config.h"
#include "app/daemon.h"
#include "app/location.h"
#include "app/sti.h"
#include "base/conf.h"
#include "transport/transport.h"
#include "txn/txn.h"

/* One object, so a reload swaps it whole. */
struct daemon_config {
    struct conf conf;
    struct app_conf ac;
    struct transport_conf tc;
    struct txn_conf xc;
    struct sti_conf stc;
    struct location_conf lc;
    void *ext_conf[DAEMON_MAX_EXTS]; /* one config struct per daemon_ext */
};

/**
 * Registers every table and applies the defaults; NULL when out of memory.
 * The file, overrides and daemon_config_validate() come next.
 */
struct daemon_config *daemon_config_new(
    const struct daemon_ext *const *exts, size_t nexts);
/** Cross-option checks of every table; message in dc->conf.err. */
int daemon_config_validate(struct daemon_config *dc,
    const struct daemon_ext *const *exts, size_t nexts);
void daemon_config_free(struct daemon_config *dc);

#endif
