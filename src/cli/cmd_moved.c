#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/cli_store.h"
#include "http/http_body.h"

const char cmd_moved_usage[] =
    "usage: sipward moved add AOR NEW-URI [--note TEXT]\n"
    "       sipward moved remove AOR\n"
    "       sipward moved list\n"
    "\n"
    "The moved directory: a request for AOR is answered 301 Moved\n"
    "Permanently with NEW-URI in Contact, so callers update their routing.\n"
    "A moved entry wins over registrations. Changes are durable when the\n"
    "command returns. When a daemon answers on http.listen with the admin\n"
    "token (http.token_file), the change goes through its admin API and\n"
    "applies at once; otherwise the store file is changed directly and a\n"
    "running daemon applies it within a second. --store always means the\n"
    "file.\n"
    "\n"
    "options:\n"
    "      --note TEXT      a note kept with the entry (shown by list)\n"
    "  -c, --config FILE    read store.path and [http] from FILE\n"
    "      --store PATH     the SQLite store (default: var/sipward.db)\n"
    "  -h, --help           this text\n";

static void
print_moved(void *arg, const struct store_moved_row *m)
{
    char when[32];
    time_t t = (time_t) m->at;
    struct tm tm;

    (void) arg;
    gmtime_r(&t, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    printf(SLICE_FMT "\t" SLICE_FMT "\t%s\t" SLICE_FMT "\n", SLICE_ARG(m->aor),
        SLICE_ARG(m->uri), when, SLICE_ARG(m->note));
}

int
cmd_moved(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "note", required_argument, NULL, 'n' },
        { "config", required_argument, NULL, 'c' },
        { "store", required_argument, NULL, 'S' },
        { NULL, 0, NULL, 0 },
    };
    struct cli_store_opts so = { 0 };
    const char *note = "";
    char aor[STORE_MAX_AOR + 1];
    struct store *st;
    int opt, rc;

    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, ":c:", longopts, NULL)) != -1) {
        switch (opt) {
        case 'n':
            note = optarg;
            break;
        case 'c':
            so.config_path = optarg;
            break;
        case 'S':
            so.store_path = optarg;
            break;
        default:
            return cli_opt_error("moved", opt, argv);
        }
    }
    int nargs = argc - optind;
    const char *verb = nargs > 0 ? argv[optind] : NULL;
    int want;
    if (!verb) {
        return cli_usage_error("moved", "missing add, remove or list");
    } else if (strcmp(verb, "add") == 0) {
        want = 3;
    } else if (strcmp(verb, "remove") == 0) {
        want = 2;
    } else if (strcmp(verb, "list") == 0) {
        want = 1;
    } else {
        return cli_usage_error("moved", "unknown action '%s'", verb);
    }
    if (nargs != want) {
        return cli_usage_error("moved",
            "wrong number of arguments for %s (try "
            "--help)",
            verb);
    }
    if (want > 1
        && store_aor_canon(aor, sizeof(aor), slice_cstr(argv[optind + 1]))
            != 0) {
        return cli_usage_error("moved",
            "'%s' is not a sip: or sips: address-of-record", argv[optind + 1]);
    }
    if (want == 3 && !http_moved_target_valid(argv[optind + 2])) {
        return cli_usage_error(
            "moved", "'%s' is not a sip:, sips: or tel: URI", argv[optind + 2]);
    }
    if (strlen(note) > STORE_MAX_FIELD) {
        return cli_usage_error(
            "moved", "--note is longer than %d bytes", STORE_MAX_FIELD);
    }
    rc = cli_store_open("moved", &so, &st, NULL);
    if (rc) {
        return rc;
    }
    if (want == 1) {
        rc = cli_store_moved_list(st, print_moved, NULL) ? 1 : 0;
        cli_store_close(st);
        return rc;
    }
    struct store_req r = {
        .kind = want == 3 ? STORE_REQ_MOVED_PUT : STORE_REQ_MOVED_DEL,
        .aor = slice_cstr(aor),
        .uri = want == 3 ? slice_cstr(argv[optind + 2]) : SLICE_NULL,
        .note = slice_cstr(note),
    };
    rc = cli_store_submit(st, &r);
    if (rc) {
        fprintf(stderr, "sipward moved: %s: %s\n", aor,
            rc == STORE_E_NOT_FOUND ? "not in the moved directory"
                                    : err_str(rc));
        rc = 1;
    } else if (want == 3) {
        printf("%s moved to %s\n", aor, argv[optind + 2]);
    } else {
        printf("%s removed from the moved directory\n", aor);
    }
    cli_store_close(st);
    return rc;
}
