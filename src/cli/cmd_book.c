/* sipward book: the client's address book (what 301 taught it). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/ua.h"

const char cmd_book_usage[] =
    "usage: sipward book list [--book PATH]\n"
    "       sipward book remove URI [--book PATH]\n"
    "       sipward book clear [--book PATH]\n"
    "\n"
    "The client's address book: each entry is a URI that answered 301\n"
    "Moved Permanently and the URI it moved to. 'sipward call', 'options'\n"
    "and 'message' send requests for the old URI straight to the new one.\n"
    "list prints OLD<TAB>NEW<TAB>WHEN (UTC); remove forgets one entry;\n"
    "clear forgets them all.\n"
    "\n"
    "options:\n"
    "      --book PATH   the address book (default\n"
    "                    $XDG_DATA_HOME/sipward/book.db or\n"
    "                    ~/.local/share/sipward/book.db)\n"
    "  -h, --help        this text\n";

static void
print_row(void *arg, const char *old, const char *new_uri, int64_t at)
{
    char when[32];
    time_t t = (time_t) at;
    struct tm tm;

    (void) arg;
    gmtime_r(&t, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    printf("%s\t%s\t%s\n", old, new_uri, when);
}

int
cmd_book(int argc, char **argv)
{
    const char *path = NULL, *verb = NULL, *uri = NULL;
    char def[4096], err[512];
    struct ua_book *b = NULL;
    int rc = 2, n;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--book") == 0) {
            if (++i >= argc) {
                return cli_usage_error("book", "--book needs a value");
            }
            path = argv[i];
        } else if (strncmp(argv[i], "--book=", 7) == 0) {
            path = argv[i] + 7;
        } else if (argv[i][0] == '-') {
            return cli_usage_error(
                "book", "unknown option '%s' (try --help)", argv[i]);
        } else if (!verb) {
            verb = argv[i];
        } else if (!uri) {
            uri = argv[i];
        } else {
            return cli_usage_error("book", "too many arguments");
        }
    }
    if (!verb) {
        return cli_usage_error("book", "list, remove or clear expected");
    }
    bool need_uri = strcmp(verb, "remove") == 0;
    if (strcmp(verb, "list") != 0 && strcmp(verb, "clear") != 0 && !need_uri) {
        return cli_usage_error("book", "unknown action '%s'", verb);
    }
    if (need_uri != (uri != NULL)) {
        return cli_usage_error(
            "book", need_uri ? "remove needs a URI" : "%s takes no URI", verb);
    }
    if (!path) {
        if (ua_book_default_path(def, sizeof(def)) != 0) {
            return cli_usage_error(
                "book", "no HOME or XDG_DATA_HOME: use --book");
        }
        path = def;
    }
    if (ua_book_open(&b, path, err, sizeof(err)) != 0) {
        fprintf(stderr, "sipward book: %s\n", err);
        return 1;
    }
    if (strcmp(verb, "list") == 0) {
        rc = ua_book_list(b, print_row, NULL) == 0 ? 0 : 1;
    } else if (need_uri) {
        n = ua_book_remove(b, uri);
        if (n == 0) {
            fprintf(stderr, "sipward book: %s is not in the book\n", uri);
        }
        rc = n == 1 ? 0 : 1;
    } else {
        n = ua_book_clear(b);
        if (n >= 0) {
            printf("removed %d entr%s\n", n, n == 1 ? "y" : "ies");
        }
        rc = n >= 0 ? 0 : 1;
    }
    ua_book_close(b);
    return rc;
}
