#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_api.h"
#include "cli/cli_store.h"

const char cmd_trust_usage[] =
    "usage: sipward trust reload\n"
    "\n"
    "Makes the running daemon re-read its trust anchors and CRLs\n"
    "(stir.trust) through its admin API, and drop every cached certificate,\n"
    "since they were validated against the previous anchors. A directory\n"
    "that cannot be read or holds no trust anchor leaves the running\n"
    "anchors in place (exit 1, with the reason). SIGHUP does the same.\n"
    "\n"
    "options:\n"
    "  -c, --config FILE    read [http] (listen, token_file) from FILE\n"
    "  -h, --help           this text\n";

int
cmd_trust(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' },
        { NULL, 0, NULL, 0 },
    };
    const char *config = NULL;
    struct cli_api *a;
    json_t *resp = NULL;
    long status = 0;
    int opt, rc;

    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, ":c:", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            config = optarg;
            break;
        default:
            return cli_opt_error("trust", opt, argv);
        }
    }
    if (argc - optind != 1 || strcmp(argv[optind], "reload") != 0) {
        return cli_usage_error("trust", "expected: reload (try --help)");
    }
    rc = cli_daemon_open("trust", config, &a);
    if (rc) {
        return rc;
    }
    rc = cli_api_call(a, "POST", "/trust/reload", NULL, &status, &resp);
    if (!rc && status != 200) {
        rc = cli_api_error(status, resp);
    }
    if (!rc) {
        const char *dir = json_string_value(json_object_get(resp, "dir"));
        printf("%lld trust anchors and %lld CRLs loaded from %s; %lld cached "
               "certificates dropped\n",
            (long long) json_integer_value(json_object_get(resp, "anchors")),
            (long long) json_integer_value(json_object_get(resp, "crls")),
            dir ? dir : "-",
            (long long) json_integer_value(json_object_get(resp, "flushed")));
    }
    json_decref(resp);
    cli_daemon_close(a);
    return rc ? 1 : 0;
}
