#include "app/daemon_config.h"

#include <stdlib.h>

void
daemon_config_free(struct daemon_config *dc)
{
    if (dc) {
        conf_release(&dc->conf);
        for (size_t i = 0; i < DAEMON_MAX_EXTS; i++) {
            free(dc->ext_conf[i]);
        }
        free(dc);
    }
}

struct daemon_config *
daemon_config_new(const struct daemon_ext *const *exts, size_t nexts)
{
    struct daemon_config *dc = calloc(1, sizeof(*dc));

    if (!dc) {
        return NULL;
    }
    conf_init(&dc->conf);
    app_conf_register(&dc->conf, &dc->ac);
    transport_conf_register(&dc->conf, &dc->tc);
    txn_conf_register(&dc->conf, &dc->xc);
    sti_conf_register(&dc->conf, &dc->stc);
    location_conf_register(&dc->conf, &dc->lc);
    for (size_t i = 0; i < nexts && i < DAEMON_MAX_EXTS; i++) {
        dc->ext_conf[i] = calloc(1, exts[i]->conf_size + 1);
        if (!dc->ext_conf[i]) {
            daemon_config_free(dc);
            return NULL;
        }
        exts[i]->conf_register(&dc->conf, dc->ext_conf[i]);
    }
    /* the tables' own defaults cannot fail but for a bug in a table */
    if (conf_apply_defaults(&dc->conf) != 0) {
        daemon_config_free(dc);
        return NULL;
    }
    return dc;
}

int
daemon_config_validate(struct daemon_config *dc,
    const struct daemon_ext *const *exts, size_t nexts)
{
    int err = app_conf_validate(&dc->conf, &dc->ac);

    if (!err) {
        err = sti_conf_validate(&dc->conf, &dc->stc);
    }
    if (!err) {
        err = location_conf_validate(&dc->conf, &dc->lc);
    }
    for (size_t i = 0; !err && i < nexts && i < DAEMON_MAX_EXTS; i++) {
        if (exts[i]->conf_validate) {
            err = exts[i]->conf_validate(&dc->conf, dc->ext_conf[i]);
        }
    }
    return err;
}
