/* Subcommands of the one sipward binary. */
#ifndef SW_CLI_CLI_H
#define SW_CLI_CLI_H

#include <stdio.h>

struct cli_cmd {
    const char *name;
    const char *summary;               /* one line for `sipward --help` */
    const char *usage;                 /* full text for `sipward help CMD` */
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
};

/** Entry point: dispatches argv to a subcommand; returns the exit code. */
int cli_main(int argc, char **argv);

/** Prints "sipward CMD: msg" to stderr; returns 2 (usage error). */
int cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/**
 * The usage error for what getopt_long (optstring starting with ':')
 * returned as opt, ':' or '?': the option argv[optind - 1] needs a value,
 * or is unknown. Returns 2.
 */
int cli_opt_error(const char *cmd, int opt, char **argv);

/* One per file: src/cli/cmd_<name>.c. */
int cmd_serve(int argc, char **argv);
extern const char cmd_serve_usage[];
int cmd_user(int argc, char **argv);
extern const char cmd_user_usage[];
int cmd_moved(int argc, char **argv);
extern const char cmd_moved_usage[];
int cmd_certs(int argc, char **argv);
extern const char cmd_certs_usage[];
int cmd_trust(int argc, char **argv);
extern const char cmd_trust_usage[];
int cmd_store(int argc, char **argv);
extern const char cmd_store_usage[];
int cmd_explain(int argc, char **argv);
extern const char cmd_explain_usage[];
int cmd_compare(int argc, char **argv); /* in cmd_explain.c */
extern const char cmd_compare_usage[];
/**
 * For commands that receive SIP responses: prints one wrapped paragraph on
 * code (phrase, class, RFC, what it means, the first step of the fix) to f,
 * each line indented by indent spaces. In cmd_explain.c.
 */
void cli_code_brief(FILE *f, int code, int indent);
int cmd_reference(int argc, char **argv);
extern const char cmd_reference_usage[];
int cmd_sign(int argc, char **argv);
extern const char cmd_sign_usage[];
int cmd_verify(int argc, char **argv);
extern const char cmd_verify_usage[];
int cmd_pki(int argc, char **argv);
extern const char cmd_pki_usage[];
int cmd_call(int argc, char **argv); /* in cmd_call.c */
extern const char cmd_call_usage[];
int cmd_options(int argc, char **argv); /* in cmd_call.c */
extern const char cmd_options_usage[];
int cmd_message(int argc, char **argv); /* in cmd_call.c */
extern const char cmd_message_usage[];
int cmd_book(int argc, char **argv);
extern const char cmd_book_usage[];

#endif
