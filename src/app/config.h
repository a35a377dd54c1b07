/* The daemon's own options (the [server], [log], [sip], [store] sections;
 * [http] belongs to the http layer: http/http_service.c). */
#ifndef SW_APP_CONFIG_H
#define SW_APP_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "base/conf.h"

struct app_conf {
    int64_t workers;
    char *domains; /* comma-separated served domains */
    char *log_level;
    char *log_format;
    char *sip_listen; /* comma-separated transport:host:port */
    char *store_path;
    char *realm;
};

/** Registers the app tables into c, pointing at ac. */
void app_conf_register(struct conf *c, struct app_conf *ac);
/** Cross-option checks after loading; message in c->err. */
int app_conf_validate(struct conf *c, const struct app_conf *ac);

#endif
