#include "cli/cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct cli_cmd commands[] = {
    { "serve", "run the daemon (registrar, redirect, STI-AS, STI-VS)",
        cmd_serve_usage, cmd_serve },
    { "user", "add, remove or list users (digest credentials)", cmd_user_usage,
        cmd_user },
    { "moved", "add, remove or list users who moved (answered 301)",
        cmd_moved_usage, cmd_moved },
    { "certs", "list or flush the running daemon's STIR certificate cache",
        cmd_certs_usage, cmd_certs },
    { "trust", "make the running daemon reload its STIR trust anchors",
        cmd_trust_usage, cmd_trust },
    { "store", "migrate or check the store's schema (SQLite, PostgreSQL)",
        cmd_store_usage, cmd_store },
    { "explain", "explain a SIP response code (meaning, cause, fix)",
        cmd_explain_usage, cmd_explain },
    { "compare", "compare two SIP response codes side by side",
        cmd_compare_usage, cmd_compare },
    { "sign", "sign a SIP request: add an Identity header (STIR/SHAKEN)",
        cmd_sign_usage, cmd_sign },
    { "verify", "verify the Identity headers of a SIP request",
        cmd_verify_usage, cmd_verify },
    { "pki", "make a test STI CA and STIR certificates with TNAuthList",
        cmd_pki_usage, cmd_pki },
    { "reference", "write the response-code reference as a static site",
        cmd_reference_usage, cmd_reference },
    { "call", "call a SIP URI (INVITE, BYE; no media)", cmd_call_usage,
        cmd_call },
    { "options", "send OPTIONS to a SIP URI (follows redirects)",
        cmd_options_usage, cmd_options },
    { "message", "send a MESSAGE to a SIP URI", cmd_message_usage,
        cmd_message },
    { "book", "the client's address book (learnt from 301)", cmd_book_usage,
        cmd_book },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct cli_cmd *
find(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (strcmp(commands[i].name, name) == 0) {
            return &commands[i];
        }
    }
    return NULL;
}

static void
print_help(FILE *f)
{
    fprintf(f,
        "sipward %s: SIP registrar, redirect server and STIR/SHAKEN "
        "service\n\n"
        "usage: sipward [--version] [--help] COMMAND [ARGS]\n\n"
        "commands:\n",
        SIPWARD_VERSION);
    for (size_t i = 0; i < NCOMMANDS; i++) {
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    }
    fprintf(f, "\n'sipward help COMMAND' shows a command's options.\n");
}

int
cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "sipward%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 2;
}

int
cli_opt_error(const char *cmd, int opt, char **argv)
{
    return cli_usage_error(cmd,
        opt == ':' ? "option '%s' needs a value" : "unknown option '%s'",
        argv[optind - 1]);
}

int
cli_main(int argc, char **argv)
{
    if (argc < 2) {
        print_help(stderr);
        return 2;
    }
    const char *arg = argv[1];
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
        print_help(stdout);
        return 0;
    }
    if (strcmp(arg, "--version") == 0 || strcmp(arg, "-V") == 0) {
        printf("sipward %s\n", SIPWARD_VERSION);
        return 0;
    }
    if (strcmp(arg, "help") == 0) {
        if (argc < 3) {
            print_help(stdout);
            return 0;
        }
        const struct cli_cmd *c = find(argv[2]);
        if (!c) {
            return cli_usage_error(
                NULL, "unknown command '%s' (try --help)", argv[2]);
        }
        fputs(c->usage, stdout);
        return 0;
    }
    if (arg[0] == '-') {
        return cli_usage_error(NULL, "unknown option '%s' (try --help)", arg);
    }
    const struct cli_cmd *c = find(arg);
    if (!c) {
        return cli_usage_error(NULL, "unknown command '%s' (try --help)", arg);
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(c->usage, stdout);
            return 0;
        }
    }
    return c->run(argc - 1, argv + 1);
}
