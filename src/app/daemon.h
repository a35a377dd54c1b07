/* The daemon process: configuration, workers, signals. */
#ifndef SW_APP_DAEMON_H
#define SW_APP_DAEMON_H

#include <stdbool.h>
#include <stddef.h>

struct daemon_opts {
    const char *config_path; /* NULL: built-in defaults only */
    const char **sets;       /* "section.key=value" overrides */
    size_t nsets;
    bool print_config;
    const char *log_format; /* --log-format, overrides log.format */
};

/**
 * Runs `sipward serve` and returns the process exit code: 0 after a clean
 * shutdown, 1 on a runtime failure, 2 on a configuration error.
 */
int daemon_main(const struct daemon_opts *o);

#endif
