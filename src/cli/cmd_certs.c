#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "cli/cli.h"
#include "cli/cli_api.h"
#include "cli/cli_store.h"

const char cmd_certs_usage[] =
    "usage: sipward certs list [--json]\n"
    "       sipward certs flush [URL]\n"
    "\n"
    "The running daemon's cache of STIR certificates (the Identity info/x5u\n"
    "URLs it fetched), through its admin API. list prints one line per\n"
    "cached URL, tab-separated: state (pass: validated; fail: a cached\n"
    "failure), URL, hits, fetched, expires, the leaf's notAfter and subject,\n"
    "and for a failure its SIP code and reason. flush drops every entry, or\n"
    "the one of URL, so the next call fetches and validates it again (a\n"
    "certificate replaced or revoked at its URL).\n"
    "\n"
    "options:\n"
    "      --json           list: the API's JSON as it is\n"
    "  -c, --config FILE    read [http] (listen, token_file) from FILE\n"
    "  -h, --help           this text\n";

static void
put_time(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    time_t t = (time_t) json_integer_value(v);
    char when[32] = "-";
    struct tm tm;

    if (json_is_integer(v) && gmtime_r(&t, &tm)) {
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    }
    printf("\t%s", when);
}

static const char *
str_or_dash(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s && *s ? s : "-";
}

static void
print_cert(json_t *o)
{
    printf("%s\t%s\t%lld", str_or_dash(o, "state"), str_or_dash(o, "url"),
        (long long) json_integer_value(json_object_get(o, "hits")));
    put_time(o, "fetched_at");
    put_time(o, "expires_at");
    put_time(o, "not_after");
    printf("\t%s", str_or_dash(o, "subject"));
    if (json_is_integer(json_object_get(o, "code"))) {
        printf("\t%lld %s",
            (long long) json_integer_value(json_object_get(o, "code")),
            str_or_dash(o, "error"));
    }
    putchar('\n');
}

static int
certs_list(struct cli_api *a, bool as_json)
{
    json_t *resp = NULL, *o;
    long status = 0;
    size_t i;
    int rc = cli_api_call(a, "GET", "/certs", NULL, &status, &resp);

    if (!rc && status != 200) {
        rc = cli_api_error(status, resp);
    }
    if (!rc && as_json) {
        json_dumpf(resp, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
        putchar('\n');
    } else if (!rc) {
        json_array_foreach(json_object_get(resp, "certs"), i, o)
        {
            print_cert(o);
        }
    }
    json_decref(resp);
    return rc ? 1 : 0;
}

static int
certs_flush(struct cli_api *a, const char *url)
{
    char path[4200] = "/certs";
    json_t *resp = NULL;
    long status = 0;
    int rc;

    if (url) {
        char *esc = curl_easy_escape(NULL, url, 0);
        if (!esc) {
            return 1;
        }
        snprintf(path, sizeof(path), "/certs?url=%s", esc);
        curl_free(esc);
    }
    rc = cli_api_call(a, "DELETE", path, NULL, &status, &resp);
    if (!rc && status != 200) {
        rc = cli_api_error(status, resp);
    }
    if (!rc) {
        printf("%lld cached certificates flushed\n",
            (long long) json_integer_value(json_object_get(resp, "flushed")));
    }
    json_decref(resp);
    return rc ? 1 : 0;
}

int
cmd_certs(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "json", no_argument, NULL, 'j' },
        { "config", required_argument, NULL, 'c' },
        { NULL, 0, NULL, 0 },
    };
    const char *config = NULL;
    bool as_json = false;
    struct cli_api *a;
    int opt, rc;

    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, ":c:", longopts, NULL)) != -1) {
        switch (opt) {
        case 'j':
            as_json = true;
            break;
        case 'c':
            config = optarg;
            break;
        default:
            return cli_opt_error("certs", opt, argv);
        }
    }
    int nargs = argc - optind;
    const char *verb = nargs > 0 ? argv[optind] : NULL;
    if (!verb) {
        return cli_usage_error("certs", "missing list or flush");
    }
    bool list = strcmp(verb, "list") == 0;
    if (!list && strcmp(verb, "flush") != 0) {
        return cli_usage_error("certs", "unknown action '%s'", verb);
    }
    if (nargs > (list ? 1 : 2)) {
        return cli_usage_error(
            "certs", "too many arguments for %s (try --help)", verb);
    }
    rc = cli_daemon_open("certs", config, &a);
    if (rc) {
        return rc;
    }
    rc = list ? certs_list(a, as_json)
              : certs_flush(a, nargs == 2 ? argv[optind + 1] : NULL);
    cli_daemon_close(a);
    return rc;
}
