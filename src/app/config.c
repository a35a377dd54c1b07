#include "app/config.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"

#define OPT(sect, k, type, field, min, max, def, help)                         \
    {                                                                          \
        sect, k, type, offsetof(struct app_conf, field), min, max, def, help,  \
            0                                                                  \
    }

static const struct conf_opt app_opts[] = {
    OPT("server", "workers", CONF_INT, workers, 0, 256, "0",
        "worker threads; 0 = one per CPU"),
    OPT("server", "domains", CONF_STR, domains, 0, 4096, "127.0.0.1,localhost",
        "served domains, comma-separated"),
    OPT("server", "realm", CONF_STR, realm, 0, 256, "sipward",
        "digest authentication realm"),
    OPT("log", "level", CONF_STR, log_level, 0, 16, "info",
        "error, warn, info or debug"),
    OPT("log", "format", CONF_STR, log_format, 0, 16, "text",
        "text (human-readable) or json (one object per line)"),
    OPT("sip", "listen", CONF_STR, sip_listen, 0, 4096,
        "udp:127.0.0.1:5060,tcp:127.0.0.1:5060",
        "SIP listeners: transport:host:port, comma-separated; IPv6 as [::1]"),
    OPT("store", "path", CONF_STR, store_path, 0, 4096, "var/sipward.db",
        "SQLite database file (relative to the working directory), or "
        "PostgreSQL: postgres://user@host/db or a libpq conninfo"),
};

void
app_conf_register(struct conf *c, struct app_conf *ac)
{
    conf_add(c, app_opts, sizeof(app_opts) / sizeof(app_opts[0]), ac);
}

int
app_conf_validate(struct conf *c, const struct app_conf *ac)
{
    if (log_level_parse(ac->log_level) < 0) {
        snprintf(c->err, sizeof(c->err),
            "log.level: '%s' is not one of error, warn, info, debug",
            ac->log_level);
        return CONF_E_BAD_VALUE;
    }
    if (strcmp(ac->log_format, "text") != 0
        && strcmp(ac->log_format, "json") != 0) {
        snprintf(c->err, sizeof(c->err),
            "log.format: '%s' is not one of text, json", ac->log_format);
        return CONF_E_BAD_VALUE;
    }
    if (!ac->store_path[0]) {
        snprintf(c->err, sizeof(c->err), "store.path: must not be empty");
        return CONF_E_BAD_VALUE;
    }
    return 0;
}
