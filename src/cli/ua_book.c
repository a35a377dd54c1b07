/* The client's address book: old URI -> new URI learnt from 301 (RFC 3261
 * §21.3.2: "the user can update its address book"). One small SQLite file
 * per user, independent of the daemon's store. */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/ua.h"

struct ua_book {
    sqlite3 *db;
};

int
ua_book_default_path(char *out, size_t size)
{
    const char *xdg = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");
    int n;

    if (xdg && xdg[0] == '/') {
        n = snprintf(out, size, "%s/sipward/book.db", xdg);
    } else if (home && home[0]) {
        n = snprintf(out, size, "%s/.local/share/sipward/book.db", home);
    } else {
        return -ENOENT;
    }
    return n < 0 || (size_t) n >= size ? -ENOSPC : 0;
}

/* mkdir -p of the directory holding path. */
static int
mkdirs(const char *path)
{
    char d[4096];

    if (snprintf(d, sizeof(d), "%s", path) >= (int) sizeof(d)) {
        return -ENAMETOOLONG;
    }
    char *slash = strrchr(d, '/');
    if (!slash || slash == d) {
        return 0;
    }
    *slash = '\0';
    for (char *p = d + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(d, 0700) != 0 && errno != EEXIST) {
                return -errno;
            }
            *p = '/';
        }
    }
    if (mkdir(d, 0700) != 0 && errno != EEXIST) {
        return -errno;
    }
    return 0;
}

int
ua_book_open(struct ua_book **bp, const char *path, char *err, size_t errlen)
{
    struct ua_book *b = calloc(1, sizeof(*b));
    int rc = mkdirs(path);

    if (!b) {
        return -ENOMEM;
    }
    if (rc < 0) {
        snprintf(err, errlen, "%s: cannot create its directory: %s", path,
            strerror(-rc));
        goto fail;
    }
    if (sqlite3_open(path, &b->db) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(b->db));
        rc = -EIO;
        goto fail;
    }
    sqlite3_busy_timeout(b->db, 2000);
    if (sqlite3_exec(b->db,
            "CREATE TABLE IF NOT EXISTS book (old TEXT PRIMARY KEY, "
            "new TEXT NOT NULL, at INTEGER NOT NULL)",
            NULL, NULL, NULL)
        != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(b->db));
        rc = -EIO;
        goto fail;
    }
    *bp = b;
    return 0;
fail:
    ua_book_close(b);
    return rc;
}

void
ua_book_close(struct ua_book *b)
{
    if (b) {
        sqlite3_close(b->db);
        free(b);
    }
}

/* Prepares sql and binds up to two text parameters. */
static sqlite3_stmt *
prep(struct ua_book *b, const char *sql, const char *a1, const char *a2)
{
    sqlite3_stmt *st = NULL;

    if (sqlite3_prepare_v2(b->db, sql, -1, &st, NULL) != SQLITE_OK) {
        return NULL;
    }
    if (a1) {
        sqlite3_bind_text(st, 1, a1, -1, SQLITE_STATIC);
    }
    if (a2) {
        sqlite3_bind_text(st, 2, a2, -1, SQLITE_STATIC);
    }
    return st;
}

int
ua_book_get(struct ua_book *b, const char *old, char *out, size_t size)
{
    sqlite3_stmt *st = prep(b, "SELECT new FROM book WHERE old = ?", old, NULL);
    int rc = -EIO;

    if (!st) {
        return -EIO;
    }
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) {
        const char *v = (const char *) sqlite3_column_text(st, 0);
        rc = snprintf(out, size, "%s", v ? v : "") < (int) size ? 1 : -ENOSPC;
    } else if (s == SQLITE_DONE) {
        rc = 0;
    }
    sqlite3_finalize(st);
    return rc;
}

int
ua_book_put(struct ua_book *b, const char *old, const char *new_uri)
{
    sqlite3_stmt *st =
        prep(b, "INSERT OR REPLACE INTO book (old, new, at) VALUES (?, ?, ?)",
            old, new_uri);
    int rc;

    if (!st) {
        return -EIO;
    }
    sqlite3_bind_int64(st, 3, (sqlite3_int64) time(NULL));
    rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -EIO;
    sqlite3_finalize(st);
    return rc;
}

int
ua_book_remove(struct ua_book *b, const char *old)
{
    sqlite3_stmt *st = prep(b, "DELETE FROM book WHERE old = ?", old, NULL);
    int rc;

    if (!st) {
        return -EIO;
    }
    rc = sqlite3_step(st) == SQLITE_DONE ? sqlite3_changes(b->db) > 0 : -EIO;
    sqlite3_finalize(st);
    return rc;
}

int
ua_book_clear(struct ua_book *b)
{
    sqlite3_stmt *st = prep(b, "DELETE FROM book", NULL, NULL);
    int rc;

    if (!st) {
        return -EIO;
    }
    rc = sqlite3_step(st) == SQLITE_DONE ? sqlite3_changes(b->db) : -EIO;
    sqlite3_finalize(st);
    return rc;
}

int
ua_book_list(struct ua_book *b, ua_book_row_cb *cb, void *arg)
{
    sqlite3_stmt *st =
        prep(b, "SELECT old, new, at FROM book ORDER BY old", NULL, NULL);
    int s;

    if (!st) {
        return -EIO;
    }
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        cb(arg, (const char *) sqlite3_column_text(st, 0),
            (const char *) sqlite3_column_text(st, 1),
            (int64_t) sqlite3_column_int64(st, 2));
    }
    sqlite3_finalize(st);
    return s == SQLITE_DONE ? 0 : -EIO;
}
