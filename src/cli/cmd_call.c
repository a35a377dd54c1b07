/* sipward call | options | message: the user agent client (cli/ua.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "cli/cli_stir.h"
#include "cli/ua.h"
#include "transport/listen.h"
#include "transport/tls.h"

#define COMMON_OPTS                                                            \
    "      --transport T     udp, tcp or tls (default: the URI's transport\n"  \
    "                        parameter, else udp; sips: is always tls)\n"      \
    "      --tls-ca FILE     trust the CAs in FILE (PEM) for the server's\n"   \
    "                        certificate (default: the system's CAs)\n"        \
    "      --tls-cert FILE   present this client certificate (PEM chain)\n"    \
    "      --tls-key FILE    its private key (default: in --tls-cert)\n"       \
    "      --tls-insecure    do not verify the server's certificate (for\n"    \
    "                        tests only: anyone could answer)\n"               \
    "      --max-redirects N follow at most N redirects (default 5)\n"         \
    "      --book PATH       the address book (default\n"                      \
    "                        $XDG_DATA_HOME/sipward/book.db or\n"              \
    "                        ~/.local/share/sipward/book.db)\n"                \
    "      --no-book         neither read nor record the address book\n"       \
    "      --timeout S       give up after S seconds per target, a call\n"     \
    "                        ringing that long is CANCELled (default: the\n"   \
    "                        transaction timers, 32 s; ringing 180 s)\n"       \
    "      --from URI        the From URI (default sip:sipward@<local>)\n"     \
    "      --user NAME       answer 401/407 digest challenges as NAME\n"       \
    "      --password-file F the password is F's first line (else the\n"       \
    "                        environment variable SIPWARD_PASSWORD)\n"         \
    "  -v, --verbose         print every message sent and received\n"          \
    "  -h, --help            this text\n"                                      \
    "\n"                                                                       \
    "Redirects (3xx) are followed (RFC 3261 §8.1.3.4): the Contacts are\n"    \
    "tried in q order, never one URI twice; a loop or more than\n"             \
    "--max-redirects stops with an error naming it. A 301 is recorded in\n"    \
    "the address book (old URI -> new URI) and later requests for the old\n"   \
    "URI go straight to the new one; 302 records nothing. See 'sipward\n"      \
    "book'.\n"                                                                 \
    "\n"                                                                       \
    "TLS (sips:, ;transport=tls, --transport tls; port 5061 by default):\n"    \
    "TLS 1.2 or later, the server's certificate must chain to a trusted CA\n"  \
    "and name the URI's host (subjectAltName DNS or IP). A sips: request\n"    \
    "is never redirected to a sip: URI.\n"                                     \
    "\n"                                                                       \
    "Prints one line: the final response and who sent it. On 403, 428,\n"      \
    "436, 437 and 438 also the Reason header and what the code means.\n"       \
    "Exit status: 0 for a 2xx, 1 for any other final response (or a\n"         \
    "redirect loop), 2 for usage errors, 3 for network failures and\n"         \
    "timeouts.\n"

const char cmd_options_usage[] =
    "usage: sipward options URI [options]\n"
    "\n"
    "Sends OPTIONS to URI (sip: or sips:) and prints the answer.\n"
    "\n"
    "options:\n" COMMON_OPTS;

const char cmd_message_usage[] =
    "usage: sipward message URI --text TEXT [options]\n"
    "\n"
    "Sends a MESSAGE (RFC 3428) with TEXT as its text/plain body.\n"
    "\n"
    "options:\n"
    "      --text TEXT       the message (required)\n" COMMON_OPTS;

const char cmd_call_usage[] =
    "usage: sipward call URI [--duration S] [options]\n"
    "\n"
    "Calls URI: INVITE with a minimal SDP offer, ACK of the final\n"
    "response, BYE after --duration seconds; Ctrl-C while ringing sends\n"
    "CANCEL, in the call sends BYE. The client carries NO MEDIA: it\n"
    "tests signalling only (no audio is sent or played).\n"
    "\n"
    "options:\n"
    "      --duration S      hang up after S seconds (default 5)\n" COMMON_OPTS;

static int
read_password(const char *file, char *out, size_t size)
{
    FILE *f = fopen(file, "r");

    if (!f) {
        return -1;
    }
    if (!fgets(out, (int) size, f)) {
        out[0] = '\0';
    }
    fclose(f);
    out[strcspn(out, "\r\n")] = '\0';
    return 0;
}

static int
run(int argc, char **argv, const char *cmd, const char *method)
{
    static const struct option longopts[] = {
        { "transport", required_argument, NULL, 'T' },
        { "max-redirects", required_argument, NULL, 'R' },
        { "book", required_argument, NULL, 'B' },
        { "no-book", no_argument, NULL, 'N' },
        { "timeout", required_argument, NULL, 't' },
        { "from", required_argument, NULL, 'F' },
        { "user", required_argument, NULL, 'u' },
        { "password-file", required_argument, NULL, 'P' },
        { "text", required_argument, NULL, 'x' },
        { "duration", required_argument, NULL, 'd' },
        { "sign-key", required_argument, NULL, 'K' },
        { "x5u", required_argument, NULL, 'X' },
        { "attest", required_argument, NULL, 'A' },
        { "tls-ca", required_argument, NULL, 'C' },
        { "tls-cert", required_argument, NULL, 'E' },
        { "tls-key", required_argument, NULL, 'k' },
        { "tls-insecure", no_argument, NULL, 'I' },
        { "verbose", no_argument, NULL, 'v' },
        { NULL, 0, NULL, 0 },
    };
    struct ua_opts o = {
        .cmd = cmd,
        .method = method,
        .transport = -1,
        .max_redirects = 5,
        .duration_s = 5,
    };
    const char *book_path = NULL, *pwfile = NULL, *key_path = NULL;
    const char *x5u = NULL;
    struct stir_signer *signer = NULL;
    struct transport_tls_client_conf tlsc = { 0 };
    struct transport_tls *tls = NULL;
    bool no_book = false;
    char path[4096], pw[512], err[512];
    struct ua_book *book = NULL;
    int opt, rc;
    char *end;

    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, ":v", longopts, NULL)) != -1) {
        switch (opt) {
        case 'T':
            if (strcasecmp(optarg, "udp") == 0) {
                o.transport = TRANSPORT_UDP;
            } else if (strcasecmp(optarg, "tcp") == 0) {
                o.transport = TRANSPORT_TCP;
            } else if (strcasecmp(optarg, "tls") == 0) {
                o.transport = TRANSPORT_TLS;
            } else {
                return cli_usage_error(
                    cmd, "--transport: udp, tcp or tls, not '%s'", optarg);
            }
            break;
        case 'C':
            tlsc.ca_file = optarg;
            break;
        case 'E':
            tlsc.cert_file = optarg;
            break;
        case 'k':
            tlsc.key_file = optarg;
            break;
        case 'I':
            tlsc.insecure = true;
            break;
        case 'R':
            o.max_redirects = (int) strtol(optarg, &end, 10);
            if (*end || o.max_redirects < 0 || o.max_redirects > 30) {
                return cli_usage_error(
                    cmd, "--max-redirects: 0..30, not '%s'", optarg);
            }
            break;
        case 'B':
            book_path = optarg;
            break;
        case 'N':
            no_book = true;
            break;
        case 't':
            o.timeout_s = (int) strtol(optarg, &end, 10);
            if (*end || o.timeout_s < 1 || o.timeout_s > 3600) {
                return cli_usage_error(
                    cmd, "--timeout: 1..3600 seconds, not '%s'", optarg);
            }
            break;
        case 'd':
            o.duration_s = (int) strtol(optarg, &end, 10);
            if (*end || o.duration_s < 0 || o.duration_s > 86400) {
                return cli_usage_error(
                    cmd, "--duration: 0..86400 seconds, not '%s'", optarg);
            }
            break;
        case 'F':
            o.from = optarg;
            break;
        case 'u':
            o.user = optarg;
            break;
        case 'P':
            pwfile = optarg;
            break;
        case 'x':
            o.text = optarg;
            break;
        case 'K':
            key_path = optarg;
            break;
        case 'X':
            x5u = optarg;
            break;
        case 'A':
            if (strlen(optarg) != 1 || !strchr("ABC", optarg[0])) {
                return cli_usage_error(cmd, "--attest is A, B or C");
            }
            o.attest = optarg[0];
            break;
        case 'v':
            o.verbose = true;
            break;
        case ':':
            return cli_usage_error(cmd, "%s needs a value", argv[optind - 1]);
        default:
            return cli_usage_error(
                cmd, "unknown option '%s' (try --help)", argv[optind - 1]);
        }
    }
    if (optind != argc - 1) {
        return cli_usage_error(cmd, "one URI expected (try --help)");
    }
    const char *uri = argv[optind];
    if (strncasecmp(uri, "sip:", 4) != 0 && strncasecmp(uri, "sips:", 5) != 0) {
        return cli_usage_error(cmd, "'%s' is not a sip: or sips: URI", uri);
    }
    if (strlen(uri) >= UA_BOOK_MAX_URI || strpbrk(uri, " \t\r\n<>\"")) {
        return cli_usage_error(cmd, "'%s' is not a usable URI", uri);
    }
    if (strcmp(method, "MESSAGE") == 0 && !o.text) {
        return cli_usage_error(cmd, "--text is required");
    }
    if (strcmp(method, "MESSAGE") != 0 && o.text) {
        return cli_usage_error(cmd, "--text is for 'message' only");
    }
    if (o.from
        && (strncasecmp(o.from, "sip:", 4) != 0
            || strpbrk(o.from, " \t\r\n<>\""))) {
        return cli_usage_error(cmd, "--from: a sip: URI, not '%s'", o.from);
    }
    if (o.user) {
        if (pwfile) {
            if (read_password(pwfile, pw, sizeof(pw)) != 0) {
                return cli_usage_error(
                    cmd, "--password-file: cannot read %s", pwfile);
            }
            o.password = pw;
        } else {
            o.password = getenv("SIPWARD_PASSWORD");
        }
        if (!o.password) {
            return cli_usage_error(cmd,
                "--user needs --password-file or SIPWARD_PASSWORD (never "
                "on the command line)");
        }
    }
    if (tlsc.key_file && !tlsc.cert_file) {
        return cli_usage_error(cmd, "--tls-key needs --tls-cert");
    }
    if (!key_path != !x5u) {
        return cli_usage_error(cmd, "--sign-key and --x5u go together");
    }
    if (key_path) {
        size_t klen;
        char *key = cli_read_file(key_path, &klen);
        stir_err_init();
        if (!key) {
            return cli_usage_error(cmd, "--sign-key: cannot read %s", key_path);
        }
        rc = stir_signer_new(&signer, key, klen, slice_cstr(x5u));
        free(key);
        if (rc != 0) {
            return cli_usage_error(cmd,
                "--sign-key: %s: %s (need an EC P-256 key)", key_path,
                err_str(rc));
        }
        o.signer = signer;
    }
    /* Made up front so that a bad --tls-* file is a usage error; cheap
     * (the system's CAs are read only when a handshake needs them). */
    if (transport_tls_client_new(&tls, &tlsc, err, sizeof(err)) != 0) {
        stir_signer_free(signer);
        return cli_usage_error(cmd, "--tls-*: %s", err);
    }
    o.tls = tls;
    if (!no_book) {
        if (!book_path) {
            if (ua_book_default_path(path, sizeof(path)) != 0) {
                stir_signer_free(signer);
                transport_tls_free(tls);
                return cli_usage_error(
                    cmd, "no HOME or XDG_DATA_HOME: use --book or --no-book");
            }
            book_path = path;
        }
        if (ua_book_open(&book, book_path, err, sizeof(err)) != 0) {
            fprintf(stderr, "sipward %s: address book %s\n", cmd, err);
            stir_signer_free(signer);
            transport_tls_free(tls);
            return 3;
        }
        o.book = book;
    }
    rc = ua_request(&o, uri);
    ua_book_close(book);
    stir_signer_free(signer);
    transport_tls_free(tls);
    return rc;
}

int
cmd_options(int argc, char **argv)
{
    return run(argc, argv, "options", "OPTIONS");
}

int
cmd_message(int argc, char **argv)
{
    return run(argc, argv, "message", "MESSAGE");
}

int
cmd_call(int argc, char **argv)
{
    return run(argc, argv, "call", "INVITE");
}
