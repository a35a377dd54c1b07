/* sipward store migrate|check: the schema, for operators. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_store.h"

const char cmd_store_usage[] =
    "usage: sipward store migrate [-c FILE] [--store PATH]\n"
    "       sipward store check [-c FILE] [--store PATH]\n"
    "\n"
    "migrate  creates the schema, or applies the migrations the database\n"
    "         lacks, each in its own transaction: a failed migration leaves\n"
    "         the database as it was. The daemon does this at start; run it\n"
    "         once before rolling a new version out to several nodes.\n"
    "check    connects without changing anything and prints the back end,\n"
    "         where it is (password masked), the schema version against\n"
    "         this sipward's, and row counts. Exit 0 when the store is\n"
    "         usable as it is, 1 when not (unreachable, schema behind or\n"
    "         ahead: run migrate, or upgrade sipward).\n"
    "\n"
    "PATH is a SQLite file, or PostgreSQL: postgres://USER@HOST/DB or a\n"
    "libpq conninfo ('host=db dbname=sipward user=sw'); keep passwords in\n"
    "~/.pgpass or PGPASSFILE rather than in the config file.\n"
    "\n"
    "options:\n"
    "  -c, --config FILE    read store.path from FILE\n"
    "      --store PATH     the store (default: var/sipward.db)\n"
    "  -h, --help           this text\n";

static void
print_info(const struct cli_store_opts *o, const struct store_info *i,
    const char *where)
{
    (void) o;
    printf("store:    %s %s\n", i->backend, where);
    if (i->schema_latest >= 0) {
        printf("schema:   %d (this sipward: %d)%s\n", i->schema,
            i->schema_latest,
            i->schema == i->schema_latest ? ""
                : i->schema < i->schema_latest
                ? " behind: run 'sipward store migrate'"
                : " ahead: upgrade sipward");
    }
    if (i->schema == i->schema_latest) {
        printf("users:    %llu\nmoved:    %llu\n",
            (unsigned long long) i->users, (unsigned long long) i->moved);
        if (strcmp(i->backend, "postgresql") == 0) {
            printf("bindings: %llu live\n", (unsigned long long) i->bindings);
        }
    }
}

int
cmd_store(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' },
        { "store", required_argument, NULL, 'S' },
        { NULL, 0, NULL, 0 },
    };
    struct cli_store_opts so = { 0 };
    struct store_info info;
    struct store *st;
    char where[512];
    int opt, rc;

    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, ":c:", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            so.config_path = optarg;
            break;
        case 'S':
            so.store_path = optarg;
            break;
        default:
            return cli_opt_error("store", opt, argv);
        }
    }
    if (argc - optind != 1) {
        return cli_usage_error(
            "store", "expected migrate or check (try --help)");
    }
    const char *verb = argv[optind];
    bool check = strcmp(verb, "check") == 0;
    if (!check && strcmp(verb, "migrate") != 0) {
        return cli_usage_error("store", "unknown action '%s'", verb);
    }
    so.direct = true;
    so.no_migrate = check;
    so.must_exist = check;
    rc = cli_store_open("store", &so, &st, NULL);
    if (rc) {
        return rc;
    }
    store_path_describe(where, sizeof(where), cli_store_path());
    rc = store_info_get(st, &info);
    if (rc) {
        fprintf(stderr, "sipward store: %s: %s\n", where, err_str(rc));
        rc = 1;
    } else {
        print_info(&so, &info, where);
        rc = info.schema == info.schema_latest ? 0 : 1;
    }
    cli_store_close(st);
    return rc;
}
