/* Helpers shared by `sipward sign`, `verify` and `pki`. */
#ifndef SW_CLI_CLI_STIR_H
#define SW_CLI_CLI_STIR_H

#include <stddef.h>

#include "stir/stir.h"

/** Reads a whole file ("-" = stdin) into a malloc'ed NUL-terminated
 * buffer; NULL with errno set on failure. */
char *cli_read_file(const char *path, size_t *len);

/** Same, and turns bare LF line ends into CRLF (messages typed in an
 * editor) when the file has no CR at all. */
char *cli_read_message(const char *path, size_t *len);

/** Writes len bytes to path with mode (0600 for keys); 0 or -errno. */
int cli_write_file(const char *path, const void *buf, size_t len, int mode);

/** Loads every *.pem, *.crt, *.cer and *.crl file of dir into t; returns
 * the number of objects loaded or -errno. */
int cli_load_trust(struct stir_trust *t, const char *dir);

/** HTTP(S) GET of url with a 5 s timeout and a 256 KiB cap; malloc'ed
 * body or NULL with why filled. */
char *cli_fetch(const char *url, size_t *len, char *why, size_t why_size);

/** Parses "2026-11-24T06:17:09Z" or seconds since the epoch. */
int cli_parse_time(const char *s, time_t *out);

#endif
