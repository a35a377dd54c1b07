#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/auth.h"
#include "cli/cli.h"
#include "cli/cli_store.h"

const char cmd_user_usage[] =
    "usage: sipward user add AOR [--password-file FILE] [--username NAME]\n"
    "       sipward user remove AOR\n"
    "       sipward user list\n"
    "\n"
    "Manages the users allowed to register. Only HA1 hashes (SHA-256 and\n"
    "MD5 of username:realm:password) are stored, never the password. The\n"
    "password is read from FILE, or from standard input (first line); never\n"
    "from the command line. Removing a user also drops its registrations.\n"
    "Goes through a running daemon's admin API when it answers on\n"
    "http.listen with the admin token (only the hashes travel); otherwise\n"
    "works on the store file, and a running daemon sees the change within\n"
    "a second. --store always means the file.\n"
    "\n"
    "options:\n"
    "      --password-file FILE  read the password from FILE ('-': stdin)\n"
    "      --username NAME       digest user name (default: the AOR's user)\n"
    "      --realm REALM         digest realm (default: server.realm)\n"
    "  -c, --config FILE         read store.path, server.realm, [http]\n"
    "      --store PATH          the SQLite store (default: var/sipward.db)\n"
    "  -h, --help                this text\n";

/* Reads the first line of f into buf; the line end is not kept. */
static int
read_password(FILE *f, char *buf, size_t size)
{
    if (!fgets(buf, (int) size, f)) {
        return -1;
    }
    size_t n = strlen(buf);
    if (n == size - 1 && buf[n - 1] != '\n' && !feof(f)) {
        return -2; /* longer than the buffer */
    }
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) {
        buf[--n] = '\0';
    }
    return n ? 0 : -1;
}

static int
user_add(struct store *st, const char *aor_in, const char *username,
    const char *realm, const char *pwfile)
{
    char aor[STORE_MAX_AOR + 1];
    char pw[1024];
    char md5[AUTH_HEX_MAX], sha[AUTH_HEX_MAX];
    FILE *f = stdin;
    int rc;

    if (store_aor_canon(aor, sizeof(aor), slice_cstr(aor_in)) != 0) {
        return cli_usage_error(
            "user", "'%s' is not a sip: or sips: address-of-record", aor_in);
    }
    struct slice user = slice_cstr(username);
    if (!username) {
        /* "sip:" then the user part up to '@' */
        const char *at = strchr(aor, '@');
        user = slice_make(aor + 4, (size_t) (at - aor - 4));
    }
    if (pwfile && strcmp(pwfile, "-") != 0) {
        f = fopen(pwfile, "r");
        if (!f) {
            fprintf(stderr, "sipward user: cannot read %s\n", pwfile);
            return 1;
        }
    }
    rc = read_password(f, pw, sizeof(pw));
    if (f != stdin) {
        fclose(f);
    }
    if (rc) {
        fprintf(stderr, "sipward user: %s\n",
            rc == -2 ? "password longer than 1023 bytes"
                     : "no password given (file or standard input)");
        return 1;
    }
    rc = auth_ha1(AUTH_MD5, user, slice_cstr(realm), slice_cstr(pw), md5);
    if (!rc) {
        rc =
            auth_ha1(AUTH_SHA256, user, slice_cstr(realm), slice_cstr(pw), sha);
    }
    explicit_bzero(pw, sizeof(pw));
    if (rc) {
        fprintf(stderr, "sipward user: hashing failed\n");
        return 1;
    }
    struct store_req r = {
        .kind = STORE_REQ_USER_PUT,
        .aor = slice_cstr(aor),
        .username = user,
        .realm = slice_cstr(realm),
        .ha1_md5 = slice_cstr(md5),
        .ha1_sha256 = slice_cstr(sha),
    };
    rc = cli_store_submit(st, &r);
    if (rc) {
        fprintf(stderr, "sipward user: %s: %s\n", aor, err_str(rc));
        return 1;
    }
    printf("user %s added (username %.*s, realm %s)\n", aor, SLICE_ARG(user),
        realm);
    return 0;
}

static int
user_remove(struct store *st, const char *aor_in)
{
    char aor[STORE_MAX_AOR + 1];

    if (store_aor_canon(aor, sizeof(aor), slice_cstr(aor_in)) != 0) {
        return cli_usage_error(
            "user", "'%s' is not a sip: or sips: address-of-record", aor_in);
    }
    struct store_req r = { .kind = STORE_REQ_USER_DEL, .aor = slice_cstr(aor) };
    int rc = cli_store_submit(st, &r);
    if (rc) {
        fprintf(stderr, "sipward user: %s: %s\n", aor,
            rc == STORE_E_NOT_FOUND ? "no such user" : err_str(rc));
        return 1;
    }
    printf("user %s removed\n", aor);
    return 0;
}

static void
print_user(void *arg, const struct store_user_row *u)
{
    (void) arg;
    printf(SLICE_FMT "\t" SLICE_FMT "\t" SLICE_FMT "\t%s%s%s\n",
        SLICE_ARG(u->aor), SLICE_ARG(u->username), SLICE_ARG(u->realm),
        u->sha256 ? "sha256" : "", u->sha256 && u->md5 ? "," : "",
        u->md5 ? "md5" : "");
}

int
cmd_user(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "password-file", required_argument, NULL, 'p' },
        { "username", required_argument, NULL, 'u' },
        { "realm", required_argument, NULL, 'r' },
        { "config", required_argument, NULL, 'c' },
        { "store", required_argument, NULL, 'S' },
        { NULL, 0, NULL, 0 },
    };
    struct cli_store_opts so = { 0 };
    const char *pwfile = NULL, *username = NULL, *realm = NULL;
    struct store *st;
    int opt, rc;

    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, ":c:", longopts, NULL)) != -1) {
        switch (opt) {
        case 'p':
            pwfile = optarg;
            break;
        case 'u':
            username = optarg;
            break;
        case 'r':
            so.realm = optarg;
            break;
        case 'c':
            so.config_path = optarg;
            break;
        case 'S':
            so.store_path = optarg;
            break;
        default:
            return cli_opt_error("user", opt, argv);
        }
    }
    int nargs = argc - optind;
    const char *verb = nargs > 0 ? argv[optind] : NULL;
    if (!verb) {
        return cli_usage_error("user", "missing add, remove or list");
    }
    int want = strcmp(verb, "list") == 0 ? 1 : 2;
    if (strcmp(verb, "add") != 0 && strcmp(verb, "remove") != 0
        && strcmp(verb, "list") != 0) {
        return cli_usage_error("user", "unknown action '%s'", verb);
    }
    if (nargs != want) {
        return cli_usage_error(
            "user", "%s takes %s", verb, want == 1 ? "no argument" : "one AOR");
    }
    if (username && !username[0]) {
        return cli_usage_error("user", "--username must not be empty");
    }
    rc = cli_store_open("user", &so, &st, &realm);
    if (rc) {
        return rc;
    }
    if (strcmp(verb, "add") == 0) {
        rc = user_add(st, argv[optind + 1], username, realm, pwfile);
    } else if (strcmp(verb, "remove") == 0) {
        rc = user_remove(st, argv[optind + 1]);
    } else {
        rc = cli_store_user_list(st, print_user, NULL) ? 1 : 0;
    }
    cli_store_close(st);
    return rc;
}
