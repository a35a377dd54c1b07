/*
 * The user agent client behind `sipward call|options|message`: one request
 * at a time through its own event loop, transaction table (retransmissions,
 * Timers A/B/E/F/D) and socket, following redirects (RFC 3261 §8.1.3.4) and
 * learning from 301 through a small address book (ua_book_*), which is the
 * client's own SQLite file, not the daemon's store.
 */
#ifndef SW_CLI_UA_H
#define SW_CLI_UA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit codes of the client commands. */
enum {
    UA_EXIT_OK = 0,    /* 2xx */
    UA_EXIT_FINAL = 1, /* any other final response, or a redirect loop */
    UA_EXIT_USAGE = 2,
    UA_EXIT_NET = 3, /* network failure or timeout */
};

struct ua_book;
struct stir_signer;
struct transport_tls;

struct ua_opts {
    const char *cmd;    /* "options", for messages */
    const char *method; /* "OPTIONS", "MESSAGE", "INVITE" */
    const char *text;   /* MESSAGE body (text/plain) */
    int transport;      /* enum transport_proto, or -1: from the URI */
    int max_redirects;
    int timeout_s;  /* whole request, each target; 0: Timer B/F (32 s) */
    int duration_s; /* INVITE: BYE after this long */
    bool verbose;
    const char *from; /* From URI; NULL: sip:sipward@<local address> */
    const char *user; /* digest username; NULL: do not answer 401/407 */
    const char *password;
    struct ua_book *book; /* NULL: no learning */
    /* STIR/SHAKEN: when set, requests carry Date and an Identity header
     * (RFC 8224) signed with this signer at attestation attest. */
    struct stir_signer *signer;
    char attest;
    /* TLS (sips:, ;transport=tls, --transport tls): the client context
     * (transport/tls.h). */
    struct transport_tls *tls;
};

/** Sends the request to uri and prints the outcome; returns a UA_EXIT_*. */
int ua_request(const struct ua_opts *o, const char *uri);

/* ---- the address book (ua_book.c) ---- */

#define UA_BOOK_MAX_URI 512

/** The default path: $XDG_DATA_HOME/sipward/book.db or
 * ~/.local/share/sipward/book.db. 0 or -ENOSPC/-ENOENT (no HOME). */
int ua_book_default_path(char *out, size_t size);

/** Opens (creating the file, its directory and table) path. 0 or -errno;
 * a message in err. */
int ua_book_open(
    struct ua_book **bp, const char *path, char *err, size_t errlen);
void ua_book_close(struct ua_book *b);

/** The URI recorded for old, copied into out; 1 found, 0 not, <0 error. */
int ua_book_get(struct ua_book *b, const char *old, char *out, size_t size);
/** Records old -> new (replacing). 0 or <0. */
int ua_book_put(struct ua_book *b, const char *old, const char *new_uri);
/** Removes old: 1 removed, 0 absent, <0 error. */
int ua_book_remove(struct ua_book *b, const char *old);
/** Removes everything; returns how many or <0. */
int ua_book_clear(struct ua_book *b);

typedef void ua_book_row_cb(
    void *arg, const char *old, const char *new_uri, int64_t at);
/** Calls cb for each entry, by old URI. 0 or <0. */
int ua_book_list(struct ua_book *b, ua_book_row_cb *cb, void *arg);

#endif
