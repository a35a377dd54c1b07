/* Subcommands of the one sipward binary. */
#ifndef SW_CLI_CLI_H
#define SW_CLI_CLI_H

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

/* One per file: src/cli/cmd_<name>.c. */
int cmd_serve(int argc, char **argv);
extern const char cmd_serve_usage[];
int cmd_user(int argc, char **argv);
extern const char cmd_user_usage[];
int cmd_moved(int argc, char **argv);
extern const char cmd_moved_usage[];
int cmd_store(int argc, char **argv);
extern const char cmd_store_usage[];

#endif
