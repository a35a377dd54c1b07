/*
 * The SQLite back end: the embedded default. WAL mode with
 * synchronous=FULL, so a COMMIT returns only after the WAL is fsync'd: an
 * acknowledged write survives a crash of the process and of the machine.
 * (synchronous=NORMAL in WAL mode would only sync at checkpoints; a power
 * loss could then lose acknowledged commits.) Automatic checkpoints run on
 * the store thread's connection at commit time and sync the database file.
 *
 * Other processes (the CLI) write through their own connection and append
 * the AOR to the `changes` table; the daemon polls PRAGMA data_version, which
 * changes only when another connection committed, and re-reads those AORs.
 */
#define LOG_MODULE "store"
#include <errno.h>
#include <limits.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "store/store_int.h"

enum {
    CHANGES_KEPT = 10000, /* change-log rows kept for pollers */
};

enum stmt {
    S_BEGIN,
    S_COMMIT,
    S_ROLLBACK,
    S_BPUT,
    S_BDEL,
    S_BCLEAR,
    S_UPUT,
    S_UDEL,
    S_MPUT,
    S_MDEL,
    S_CHG,
    S_CHG_TRIM,
    S_EXPIRE,
    S_BEXPIRE,
    S_DATA_VERSION,
    S_CHANGES,
    S_USER_ONE,
    S_MOVED_ONE,
    S_BND_AOR,
    S_COUNT,
};

static const char *const stmt_sql[S_COUNT] = {
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
    [S_BPUT] = "INSERT OR REPLACE INTO bindings(aor, contact, expires, q, "
               "call_id, cseq, instance, reg_id, path, received) "
               "VALUES(?,?,?,?,?,?,?,?,?,?)",
    [S_BDEL] = "DELETE FROM bindings WHERE aor = ? AND contact = ?",
    [S_BCLEAR] = "DELETE FROM bindings WHERE aor = ?",
    [S_UPUT] = "INSERT OR REPLACE INTO users(aor, username, realm, ha1_md5, "
               "ha1_sha256, created) VALUES(?,?,?,?,?,?)",
    [S_UDEL] = "DELETE FROM users WHERE aor = ?",
    [S_MPUT] = "INSERT OR REPLACE INTO moved(aor, uri, note, at) "
               "VALUES(?,?,?,?)",
    [S_MDEL] = "DELETE FROM moved WHERE aor = ?",
    [S_CHG] = "INSERT INTO changes(aor) VALUES(?)",
    [S_CHG_TRIM] = "DELETE FROM changes WHERE seq <= last_insert_rowid() - "
                   "10000",
    [S_EXPIRE] = "DELETE FROM bindings WHERE expires <= ?",
    [S_BEXPIRE] = "DELETE FROM bindings WHERE aor = ? AND contact = ? AND "
                  "expires <= ?",
    [S_DATA_VERSION] = "PRAGMA data_version",
    [S_CHANGES] = "SELECT seq, aor FROM changes WHERE seq > ? ORDER BY seq",
    [S_USER_ONE] = "SELECT username, realm, ha1_md5, ha1_sha256 FROM users "
                   "WHERE aor = ?",
    [S_MOVED_ONE] = "SELECT uri, note, at FROM moved WHERE aor = ?",
    [S_BND_AOR] = "SELECT contact, expires, q, call_id, cseq, instance, "
                  "reg_id, path, received FROM bindings "
                  "WHERE aor = ? AND expires > ?",
};

/* Schema versions, in PRAGMA user_version; each step in one transaction
 * with the version it reaches. */
static const char mig1_sql[] =
    "CREATE TABLE users(aor TEXT PRIMARY KEY, username TEXT NOT NULL, "
    "  realm TEXT NOT NULL, ha1_md5 TEXT NOT NULL, ha1_sha256 TEXT NOT NULL, "
    "  created INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE moved(aor TEXT PRIMARY KEY, uri TEXT NOT NULL, "
    "  note TEXT NOT NULL, at INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE bindings(aor TEXT NOT NULL, contact TEXT NOT NULL, "
    "  expires INTEGER NOT NULL, q INTEGER NOT NULL, call_id TEXT NOT NULL, "
    "  cseq INTEGER NOT NULL, instance TEXT NOT NULL, reg_id INTEGER NOT "
    "NULL, "
    "  path TEXT NOT NULL, received TEXT NOT NULL, "
    "  PRIMARY KEY(aor, contact)) WITHOUT ROWID;"
    "CREATE INDEX bindings_expires ON bindings(expires);"
    "CREATE TABLE changes(seq INTEGER PRIMARY KEY AUTOINCREMENT, "
    "  aor TEXT NOT NULL);"
    "PRAGMA user_version = 1;";

/* Every REGISTER paid for keeping this index (a second b-tree written,
 * and a statement journal for the two); the sweep deletes the due
 * bindings the in-memory index finds, by key. */
static const char mig2_sql[] = "DROP INDEX IF EXISTS bindings_expires;"
                               "PRAGMA user_version = 2;";

static const char *const migrations[] = { mig1_sql, mig2_sql };

enum {
    SCHEMA_VERSION = sizeof(migrations) / sizeof(migrations[0])
};

struct store_sqlite {
    struct store base; /* first */
    sqlite3 *db;
    sqlite3_stmt *s[S_COUNT];
    int64_t data_version;
    int64_t last_seq;
};

#define SQ(st) ((struct store_sqlite *) (st))

static int
db_err(struct store_sqlite *q, int rc, const char *what)
{
    log_error("sqlite: %s: %s", what, sqlite3_errmsg(q->db));
    (void) rc;
    return STORE_E_DB;
}

static void
bind_slice(sqlite3_stmt *s, int i, struct slice v)
{
    /* A NULL pointer would bind SQL NULL; the columns are NOT NULL text. */
    sqlite3_bind_text(s, i, v.len ? v.p : "", (int) v.len, SQLITE_STATIC);
}

static struct slice
col_slice(sqlite3_stmt *s, int i)
{
    const char *p = (const char *) sqlite3_column_text(s, i);
    return slice_make(p ? p : "", (size_t) sqlite3_column_bytes(s, i));
}

/* Runs a prepared statement with no result rows; resets it either way.
 * Every caller binds all parameters: no need to clear them. */
static int
step_done(struct store_sqlite *q, enum stmt id)
{
    sqlite3_stmt *s = q->s[id];
    int rc = sqlite3_step(s);

    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
        return db_err(q, rc, stmt_sql[id]);
    }
    return 0;
}

static int
sq_begin(struct store *st)
{
    return step_done(SQ(st), S_BEGIN);
}

static int
sq_commit(struct store *st)
{
    return step_done(SQ(st), S_COMMIT);
}

static void
sq_rollback(struct store *st)
{
    struct store_sqlite *q = SQ(st);

    if (!sqlite3_get_autocommit(q->db)) {
        step_done(q, S_ROLLBACK);
    }
}

static int
sq_binding_put(
    struct store *st, struct slice aor, const struct store_binding *b)
{
    struct store_sqlite *q = SQ(st);
    sqlite3_stmt *s = q->s[S_BPUT];

    bind_slice(s, 1, aor);
    bind_slice(s, 2, b->contact);
    sqlite3_bind_int64(s, 3, b->expires);
    sqlite3_bind_int(s, 4, b->q);
    bind_slice(s, 5, b->call_id);
    sqlite3_bind_int64(s, 6, b->cseq);
    bind_slice(s, 7, b->instance);
    sqlite3_bind_int64(s, 8, b->reg_id);
    bind_slice(s, 9, b->path);
    bind_slice(s, 10, b->received);
    return step_done(q, S_BPUT);
}

static int
sq_binding_del(struct store *st, struct slice aor, struct slice contact)
{
    struct store_sqlite *q = SQ(st);

    bind_slice(q->s[S_BDEL], 1, aor);
    bind_slice(q->s[S_BDEL], 2, contact);
    return step_done(q, S_BDEL);
}

static int
sq_bindings_clear(struct store *st, struct slice aor)
{
    struct store_sqlite *q = SQ(st);

    bind_slice(q->s[S_BCLEAR], 1, aor);
    return step_done(q, S_BCLEAR);
}

/* Records aor in the change log for other processes; trims old rows. */
static int
log_change(struct store_sqlite *q, struct slice aor)
{
    bind_slice(q->s[S_CHG], 1, aor);
    int rc = step_done(q, S_CHG);
    if (!rc) {
        rc = step_done(q, S_CHG_TRIM);
    }
    return rc;
}

static int
sq_user_put(struct store *st, const struct store_req *r)
{
    struct store_sqlite *q = SQ(st);
    sqlite3_stmt *s = q->s[S_UPUT];

    bind_slice(s, 1, r->aor);
    bind_slice(s, 2, r->username);
    bind_slice(s, 3, r->realm);
    bind_slice(s, 4, r->ha1_md5);
    bind_slice(s, 5, r->ha1_sha256);
    sqlite3_bind_int64(s, 6, (int64_t) clock_wall());
    int rc = step_done(q, S_UPUT);
    return rc ? rc : log_change(q, r->aor);
}

/* Deletes by AOR with statement id; STORE_E_NOT_FOUND when nothing was. */
static int
del_aor(struct store_sqlite *q, enum stmt id, struct slice aor)
{
    bind_slice(q->s[id], 1, aor);
    int rc = step_done(q, id);
    if (!rc && sqlite3_changes(q->db) == 0) {
        return STORE_E_NOT_FOUND;
    }
    return rc ? rc : log_change(q, aor);
}

static int
sq_user_del(struct store *st, struct slice aor)
{
    struct store_sqlite *q = SQ(st);
    int rc = del_aor(q, S_UDEL, aor);

    return rc ? rc : sq_bindings_clear(st, aor);
}

static int
sq_moved_put(struct store *st, const struct store_req *r, int64_t at)
{
    struct store_sqlite *q = SQ(st);
    sqlite3_stmt *s = q->s[S_MPUT];

    bind_slice(s, 1, r->aor);
    bind_slice(s, 2, r->uri);
    bind_slice(s, 3, r->note);
    sqlite3_bind_int64(s, 4, at);
    int rc = step_done(q, S_MPUT);
    return rc ? rc : log_change(q, r->aor);
}

static int
sq_moved_del(struct store *st, struct slice aor)
{
    return del_aor(SQ(st), S_MDEL, aor);
}

static int
sq_expire(struct store *st, int64_t now)
{
    struct store_sqlite *q = SQ(st);

    sqlite3_bind_int64(q->s[S_EXPIRE], 1, now);
    return step_done(q, S_EXPIRE);
}

static int
load_bindings_row(struct store *st, sqlite3_stmt *s, struct slice aor, int col)
{
    struct store_binding b = {
        .contact = col_slice(s, col + 0),
        .expires = sqlite3_column_int64(s, col + 1),
        .q = (uint16_t) sqlite3_column_int(s, col + 2),
        .call_id = col_slice(s, col + 3),
        .cseq = (uint32_t) sqlite3_column_int64(s, col + 4),
        .instance = col_slice(s, col + 5),
        .reg_id = (uint32_t) sqlite3_column_int64(s, col + 6),
        .path = col_slice(s, col + 7),
        .received = col_slice(s, col + 8),
    };
    return store__idx_binding_put(st->idx, aor, &b);
}

/* Runs a SELECT with no parameters, calling row() for each row. */
static int
each_row(struct store_sqlite *q, const char *sql,
    int (*row)(struct store_sqlite *, sqlite3_stmt *, void *), void *arg)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(q->db, sql, -1, &s, NULL);

    if (rc != SQLITE_OK) {
        return db_err(q, rc, sql);
    }
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int r = row(q, s, arg);
        if (r) {
            sqlite3_finalize(s);
            return r;
        }
    }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : db_err(q, rc, sql);
}

static int
row_user(struct store_sqlite *q, sqlite3_stmt *s, void *arg)
{
    (void) arg;
    return store__idx_user_set(q->base.idx, col_slice(s, 0), col_slice(s, 1),
        col_slice(s, 2), col_slice(s, 3), col_slice(s, 4));
}

static int
row_moved(struct store_sqlite *q, sqlite3_stmt *s, void *arg)
{
    (void) arg;
    return store__idx_moved_set(q->base.idx, col_slice(s, 0), col_slice(s, 1),
        col_slice(s, 2), sqlite3_column_int64(s, 3));
}

static int
row_binding(struct store_sqlite *q, sqlite3_stmt *s, void *arg)
{
    (void) arg;
    return load_bindings_row(&q->base, s, col_slice(s, 0), 1);
}

static int
row_int(struct store_sqlite *q, sqlite3_stmt *s, void *arg)
{
    (void) q;
    *(int64_t *) arg = sqlite3_column_int64(s, 0);
    return 0;
}

static int
sq_binding_expire(
    struct store *st, struct slice aor, struct slice contact, int64_t now)
{
    struct store_sqlite *q = SQ(st);
    sqlite3_stmt *s = q->s[S_BEXPIRE];

    bind_slice(s, 1, aor);
    bind_slice(s, 2, contact);
    sqlite3_bind_int64(s, 3, now);
    return step_done(q, S_BEXPIRE);
}

static int
sq_load(struct store *st, int64_t now)
{
    struct store_sqlite *q = SQ(st);
    char sql[256];
    int rc;

    rc = each_row(q,
        "SELECT aor, username, realm, ha1_md5, ha1_sha256 FROM users", row_user,
        NULL);
    if (!rc) {
        rc = each_row(
            q, "SELECT aor, uri, note, at FROM moved", row_moved, NULL);
    }
    if (!rc) {
        snprintf(sql, sizeof(sql),
            "SELECT aor, contact, expires, q, call_id, cseq, instance, "
            "reg_id, path, received FROM bindings WHERE expires > %lld",
            (long long) now);
        rc = each_row(q, sql, row_binding, NULL);
    }
    if (!rc) {
        rc = each_row(q, "SELECT IFNULL(MAX(seq), 0) FROM changes", row_int,
            &q->last_seq);
    }
    if (!rc) {
        rc = each_row(q, "PRAGMA data_version", row_int, &q->data_version);
    }
    return rc;
}

static int
sq_changes(struct store *st, void (*cb)(void *, struct slice), void *arg)
{
    struct store_sqlite *q = SQ(st);
    sqlite3_stmt *s = q->s[S_DATA_VERSION];
    int64_t dv = 0;
    int rc;

    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        dv = sqlite3_column_int64(s, 0);
    }
    sqlite3_reset(s);
    if (rc != SQLITE_ROW) {
        return db_err(q, rc, "PRAGMA data_version");
    }
    if (dv == q->data_version) {
        return 0;
    }
    q->data_version = dv;
    s = q->s[S_CHANGES];
    sqlite3_bind_int64(s, 1, q->last_seq);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        q->last_seq = sqlite3_column_int64(s, 0);
        cb(arg, col_slice(s, 1));
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : db_err(q, rc, "changes");
}

static int
sq_reload_aor(struct store *st, struct slice aor, int64_t now)
{
    struct store_sqlite *q = SQ(st);
    sqlite3_stmt *s;
    int rc, err = 0;

    /* The change-log row's text lives in the statement being stepped by the
     * caller: copy it before running other statements. */
    char key[STORE_MAX_AOR + 1];
    if (slice_copy(key, sizeof(key), aor) != 0) {
        return STORE_E_TOO_LONG;
    }
    aor = slice_cstr(key);

    s = q->s[S_USER_ONE];
    bind_slice(s, 1, aor);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        err = store__idx_user_set(st->idx, aor, col_slice(s, 0),
            col_slice(s, 1), col_slice(s, 2), col_slice(s, 3));
    } else if (rc == SQLITE_DONE) {
        store__idx_user_clear(st->idx, aor);
    }
    sqlite3_reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        return db_err(q, rc, "reload user");
    }

    s = q->s[S_MOVED_ONE];
    bind_slice(s, 1, aor);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        err = err ? err
                  : store__idx_moved_set(st->idx, aor, col_slice(s, 0),
                      col_slice(s, 1), sqlite3_column_int64(s, 2));
    } else if (rc == SQLITE_DONE) {
        store__idx_moved_clear(st->idx, aor);
    }
    sqlite3_reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        return db_err(q, rc, "reload moved");
    }

    store__idx_bindings_clear(st->idx, aor);
    s = q->s[S_BND_AOR];
    bind_slice(s, 1, aor);
    sqlite3_bind_int64(s, 2, now);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int r = load_bindings_row(st, s, aor, 0);
        err = err ? err : r;
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
        return db_err(q, rc, "reload bindings");
    }
    return err;
}

struct list_ctx {
    store_user_cb *ucb;
    store_moved_cb *mcb;
    void *arg;
};

static int
row_list_user(struct store_sqlite *q, sqlite3_stmt *s, void *arg)
{
    struct list_ctx *c = arg;
    struct store_user_row r = {
        .aor = col_slice(s, 0),
        .username = col_slice(s, 1),
        .realm = col_slice(s, 2),
        .md5 = sqlite3_column_bytes(s, 3) > 0,
        .sha256 = sqlite3_column_bytes(s, 4) > 0,
    };
    (void) q;
    c->ucb(c->arg, &r);
    return 0;
}

static int
row_list_moved(struct store_sqlite *q, sqlite3_stmt *s, void *arg)
{
    struct list_ctx *c = arg;
    struct store_moved_row r = {
        .aor = col_slice(s, 0),
        .uri = col_slice(s, 1),
        .note = col_slice(s, 2),
        .at = sqlite3_column_int64(s, 3),
    };
    (void) q;
    c->mcb(c->arg, &r);
    return 0;
}

static int
sq_user_list(struct store *st, store_user_cb *cb, void *arg)
{
    struct list_ctx c = { cb, NULL, arg };

    return each_row(SQ(st),
        "SELECT aor, username, realm, ha1_md5, ha1_sha256 FROM users "
        "ORDER BY aor",
        row_list_user, &c);
}

static int
sq_moved_list(struct store *st, store_moved_cb *cb, void *arg)
{
    struct list_ctx c = { NULL, cb, arg };

    return each_row(SQ(st), "SELECT aor, uri, note, at FROM moved ORDER BY aor",
        row_list_moved, &c);
}

static void
sq_close(struct store *st)
{
    struct store_sqlite *q = SQ(st);

    for (int i = 0; i < S_COUNT; i++) {
        sqlite3_finalize(q->s[i]);
    }
    sqlite3_close(q->db);
    free(q);
}

static const struct store_ops sqlite_ops = {
    .name = "sqlite",
    .load = sq_load,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .binding_put = sq_binding_put,
    .binding_del = sq_binding_del,
    .bindings_clear = sq_bindings_clear,
    .user_put = sq_user_put,
    .user_del = sq_user_del,
    .moved_put = sq_moved_put,
    .moved_del = sq_moved_del,
    .expire = sq_expire,
    .binding_expire = sq_binding_expire,
    .changes = sq_changes,
    .reload_aor = sq_reload_aor,
    .user_list = sq_user_list,
    .moved_list = sq_moved_list,
    .close = sq_close,
};

/* Creates the schema on an empty database, upgrades an older one in
 * place; refuses a newer one. */
static int
migrate(struct store_sqlite *q)
{
    int64_t version = 0;
    int rc = each_row(q, "PRAGMA user_version", row_int, &version);

    if (rc) {
        return rc;
    }
    if (version > SCHEMA_VERSION || version < 0) {
        log_error("sqlite: schema version %lld, this sipward knows %d",
            (long long) version, (int) SCHEMA_VERSION);
        return STORE_E_SCHEMA;
    }
    while (version < SCHEMA_VERSION) {
        /* One transaction each: a failed step leaves the version before.
         * Another process may have taken the step while we waited. */
        int64_t seen = version;
        rc = sqlite3_exec(q->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        if (rc == SQLITE_OK
            && each_row(q, "PRAGMA user_version", row_int, &seen) == 0
            && seen > version) {
            rc = sqlite3_exec(q->db, "COMMIT", NULL, NULL, NULL);
            version = seen;
            continue;
        }
        if (rc == SQLITE_OK) {
            rc = sqlite3_exec(q->db, migrations[version], NULL, NULL, NULL);
            if (rc == SQLITE_OK) {
                rc = sqlite3_exec(q->db, "COMMIT", NULL, NULL, NULL);
            } else {
                sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
            }
        }
        if (rc != SQLITE_OK) {
            return db_err(q, rc, "migrating the schema");
        }
        version++;
    }
    return 0;
}

/*
 * Creates the directory holding path (one level, like ./var), but never a
 * chain of parents: a mistyped path should fail, not grow a tree.
 */
static int
ensure_parent_dir(const char *path)
{
    char dir[PATH_MAX];

    if (snprintf(dir, sizeof(dir), "%s", path) >= (int) sizeof(dir)) {
        return -ENAMETOOLONG;
    }
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir) {
        return 0;
    }
    *slash = '\0';
    if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
        return -errno;
    }
    return 0;
}

int
store__sqlite_open(struct store **stp, const struct store_conf *c)
{
    struct store_sqlite *q;
    int rc = ensure_parent_dir(c->path);

    if (rc) {
        return rc;
    }
    q = calloc(1, sizeof(*q));
    if (!q) {
        return -ENOMEM;
    }
    q->base.ops = &sqlite_ops;
    rc = sqlite3_open_v2(c->path, &q->db,
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        int e = q->db ? sqlite3_system_errno(q->db) : 0;
        rc = e ? -e : STORE_E_DB;
        goto fail;
    }
    sqlite3_busy_timeout(q->db, 5000);
    rc = sqlite3_exec(q->db,
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;", NULL, NULL,
        NULL);
    if (rc != SQLITE_OK) {
        int e = sqlite3_system_errno(q->db);
        rc = e ? -e : db_err(q, rc, "PRAGMA journal_mode");
        goto fail;
    }
    rc = migrate(q);
    if (rc) {
        goto fail;
    }
    for (int i = 0; i < S_COUNT; i++) {
        rc = sqlite3_prepare_v3(
            q->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &q->s[i], NULL);
        if (rc != SQLITE_OK) {
            rc = db_err(q, rc, stmt_sql[i]);
            goto fail;
        }
    }
    *stp = &q->base;
    return 0;
fail:
    for (int i = 0; i < S_COUNT; i++) {
        sqlite3_finalize(q->s[i]);
    }
    sqlite3_close(q->db);
    free(q);
    return rc;
}
