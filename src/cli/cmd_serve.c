#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "app/daemon.h"
#include "cli/cli.h"
#include "http/http_service.h"

/* Services the daemon runs beside its SIP workers (see daemon_ext). */
static const struct daemon_ext *const serve_exts[] = { &http_daemon_ext };

const char cmd_serve_usage[] =
    "usage: sipward serve [OPTIONS]\n"
    "\n"
    "Runs the daemon in the foreground. With no options it listens for SIP\n"
    "on udp and tcp 127.0.0.1:5060, HTTP on 127.0.0.1:8080, and keeps its\n"
    "SQLite store under ./var/. Ctrl-C or SIGTERM stops it; SIGHUP reloads\n"
    "the configuration file.\n"
    "\n"
    "options:\n"
    "  -c, --config FILE        read an INI configuration file\n"
    "  -s, --set SECT.KEY=VAL   override one option (repeatable)\n"
    "      --log-format FMT     text (default) or json\n"
    "      --print-config       print the effective configuration and exit\n"
    "      --check-config       validate the configuration; exit 0 when it\n"
    "                           is valid, 2 (with the reason) when not\n"
    "  -h, --help               this text\n";

int
cmd_serve(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' },
        { "set", required_argument, NULL, 's' },
        { "log-format", required_argument, NULL, 'L' },
        { "print-config", no_argument, NULL, 'P' },
        { "check-config", no_argument, NULL, 'K' },
        { NULL, 0, NULL, 0 },
    };
    struct daemon_opts o;
    int opt, rc;

    memset(&o, 0, sizeof(o));
    o.exts = serve_exts;
    o.nexts = sizeof(serve_exts) / sizeof(serve_exts[0]);
    o.sets = calloc((size_t) argc, sizeof(*o.sets));
    if (!o.sets) {
        return 1;
    }
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, ":c:s:", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            o.config_path = optarg;
            break;
        case 's':
            o.sets[o.nsets++] = optarg;
            break;
        case 'L':
            o.log_format = optarg;
            break;
        case 'P':
            o.print_config = true;
            break;
        case 'K':
            o.check_config = true;
            break;
        default:
            free(o.sets);
            return cli_opt_error("serve", opt, argv);
        }
    }
    if (optind < argc) {
        free(o.sets);
        return cli_usage_error(
            "serve", "unexpected argument '%s'", argv[optind]);
    }
    rc = daemon_main(&o);
    free(o.sets);
    return rc;
}
