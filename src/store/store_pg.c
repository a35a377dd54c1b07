/*
 * The PostgreSQL back end: several sipward nodes share one database.
 *
 * Persistence has the SQLite back end's semantics (the queue, group commit,
 * the index and the §10.3 rules are common, in store.c): one transaction
 * per batch on the store thread's connection, and COMMIT returns only once
 * PostgreSQL made it durable (synchronous_commit as the server has it).
 *
 * Coherence. Triggers (schema migration 2) NOTIFY channel "sipward" with
 * the AOR of every changed row, so no writer can forget to: not a node, not
 * the CLI, not an operator with psql. Each node LISTENs on a second
 * connection, polled from the store thread every poll_ms, and re-reads the
 * AORs other sessions changed (its own changes are already in its index:
 * notifications from its own backend PID are skipped). Deleting an expired
 * binding notifies nobody: every node expires bindings itself at the same
 * absolute time.
 *
 * Losing the database. Reads go on from the index. Writes fail at once with
 * STORE_E_DB (the registrar answers 500 with Retry-After), never a false
 * success. The store thread reconnects with exponential backoff; once both
 * connections are back it LISTENs first, then reloads everything into a
 * fresh index and swaps it in, so no change made while it was away, nor
 * during the reload, is missed. State changes are logged once each.
 */
#define LOG_MODULE "store"
#include "store/store_pg.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "store/store_int.h"

enum {
    BACKOFF_MIN_MS = 250,
    BACKOFF_MAX_MS = 2000,
    ADVISORY_KEY = 0x73697077, /* "sipw": serializes migrations */
    MAX_PARAMS = 10,
};

/* ---- schema ---- */

static const char mig1_sql[] =
    "CREATE TABLE users(aor text PRIMARY KEY, username text NOT NULL,"
    " realm text NOT NULL, ha1_md5 text NOT NULL, ha1_sha256 text NOT NULL,"
    " created bigint NOT NULL);"
    "CREATE TABLE moved(aor text PRIMARY KEY, uri text NOT NULL,"
    " note text NOT NULL, at bigint NOT NULL);"
    "CREATE TABLE bindings(aor text NOT NULL, contact text NOT NULL,"
    " expires bigint NOT NULL, q integer NOT NULL, call_id text NOT NULL,"
    " cseq bigint NOT NULL, instance text NOT NULL, reg_id bigint NOT NULL,"
    " path text NOT NULL, received text NOT NULL,"
    " PRIMARY KEY(aor, contact));"
    "CREATE INDEX bindings_expires ON bindings(expires);";

/* Row triggers publish every change; TRUNCATE asks for a full reload. */
static const char mig2_sql[] =
    "CREATE FUNCTION sipward_notify_aor() RETURNS trigger LANGUAGE plpgsql"
    " AS $$ BEGIN"
    "  IF TG_OP = 'DELETE' THEN PERFORM pg_notify('sipward', OLD.aor);"
    "  ELSE PERFORM pg_notify('sipward', NEW.aor);"
    "   IF TG_OP = 'UPDATE' AND OLD.aor <> NEW.aor THEN"
    "    PERFORM pg_notify('sipward', OLD.aor); END IF;"
    "  END IF; RETURN NULL; END $$;"
    /* A binding deleted once expired is the sweep: nodes expire on their
     * own, at the same absolute time, and need no message for it. */
    "CREATE FUNCTION sipward_notify_binding() RETURNS trigger"
    " LANGUAGE plpgsql AS $$ BEGIN"
    "  IF TG_OP = 'DELETE' THEN"
    "   IF OLD.expires > extract(epoch FROM clock_timestamp()) THEN"
    "    PERFORM pg_notify('sipward', OLD.aor); END IF;"
    "  ELSE PERFORM pg_notify('sipward', NEW.aor);"
    "   IF TG_OP = 'UPDATE' AND OLD.aor <> NEW.aor THEN"
    "    PERFORM pg_notify('sipward', OLD.aor); END IF;"
    "  END IF; RETURN NULL; END $$;"
    "CREATE FUNCTION sipward_notify_all() RETURNS trigger LANGUAGE plpgsql"
    " AS $$ BEGIN PERFORM pg_notify('sipward', '*'); RETURN NULL; END $$;"
    "CREATE TRIGGER users_notify AFTER INSERT OR UPDATE OR DELETE ON users"
    " FOR EACH ROW EXECUTE FUNCTION sipward_notify_aor();"
    "CREATE TRIGGER moved_notify AFTER INSERT OR UPDATE OR DELETE ON moved"
    " FOR EACH ROW EXECUTE FUNCTION sipward_notify_aor();"
    "CREATE TRIGGER bindings_notify AFTER INSERT OR UPDATE OR DELETE"
    " ON bindings FOR EACH ROW EXECUTE FUNCTION sipward_notify_binding();"
    "CREATE TRIGGER users_truncate AFTER TRUNCATE ON users"
    " FOR EACH STATEMENT EXECUTE FUNCTION sipward_notify_all();"
    "CREATE TRIGGER moved_truncate AFTER TRUNCATE ON moved"
    " FOR EACH STATEMENT EXECUTE FUNCTION sipward_notify_all();"
    "CREATE TRIGGER bindings_truncate AFTER TRUNCATE ON bindings"
    " FOR EACH STATEMENT EXECUTE FUNCTION sipward_notify_all();";

/* Every REGISTER paid for keeping this index; the sweep deletes the due
 * bindings the in-memory index finds, by key. */
static const char mig3_sql[] = "DROP INDEX IF EXISTS bindings_expires;";

static const struct store_pg_migration migrations[] = {
    { 1, "users, moved directory and bindings", mig1_sql },
    { 2, "change notification triggers", mig2_sql },
    { 3, "no index on binding expiry", mig3_sql },
};

const struct store_pg_migration *
store__pg_migrations(size_t *n)
{
    *n = sizeof(migrations) / sizeof(migrations[0]);
    return migrations;
}

/* ---- statements ---- */

enum stmt {
    S_BPUT,
    S_BDEL,
    S_BCLEAR,
    S_UPUT,
    S_UDEL,
    S_MPUT,
    S_MDEL,
    S_EXPIRE,
    S_BEXPIRE,
    S_RELOAD,
    S_RELOAD_MANY,
    S_COUNT,
};

static const char *const stmt_sql[S_COUNT] = {
    [S_BPUT] = "INSERT INTO bindings(aor, contact, expires, q, call_id, cseq,"
               " instance, reg_id, path, received)"
               " VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)"
               " ON CONFLICT (aor, contact) DO UPDATE SET"
               " expires = EXCLUDED.expires, q = EXCLUDED.q,"
               " call_id = EXCLUDED.call_id, cseq = EXCLUDED.cseq,"
               " instance = EXCLUDED.instance, reg_id = EXCLUDED.reg_id,"
               " path = EXCLUDED.path, received = EXCLUDED.received",
    [S_BDEL] = "DELETE FROM bindings WHERE aor = $1 AND contact = $2",
    [S_BCLEAR] = "DELETE FROM bindings WHERE aor = $1",
    [S_UPUT] = "INSERT INTO users(aor, username, realm, ha1_md5, ha1_sha256,"
               " created) VALUES($1,$2,$3,$4,$5,$6)"
               " ON CONFLICT (aor) DO UPDATE SET username = EXCLUDED.username,"
               " realm = EXCLUDED.realm, ha1_md5 = EXCLUDED.ha1_md5,"
               " ha1_sha256 = EXCLUDED.ha1_sha256",
    [S_UDEL] = "DELETE FROM users WHERE aor = $1",
    [S_MPUT] = "INSERT INTO moved(aor, uri, note, at) VALUES($1,$2,$3,$4)"
               " ON CONFLICT (aor) DO UPDATE SET uri = EXCLUDED.uri,"
               " note = EXCLUDED.note, at = EXCLUDED.at",
    [S_MDEL] = "DELETE FROM moved WHERE aor = $1",
    [S_EXPIRE] = "DELETE FROM bindings WHERE expires <= $1",
    /* Another node may have refreshed it meanwhile: only if still due. */
    [S_BEXPIRE] = "DELETE FROM bindings WHERE aor = $1 AND contact = $2"
                  " AND expires <= $3",
    /* One round trip for everything about one AOR; kind first. */
    [S_RELOAD] =
        "SELECT 'u', username, realm, ha1_md5, ha1_sha256, NULL, NULL, NULL,"
        "  NULL, NULL FROM users WHERE aor = $1"
        " UNION ALL SELECT 'm', uri, note, at::text, NULL, NULL, NULL, NULL,"
        "  NULL, NULL FROM moved WHERE aor = $1"
        " UNION ALL SELECT 'b', contact, expires::text, q::text, call_id,"
        "  cseq::text, instance, reg_id::text, path, received FROM bindings"
        "  WHERE aor = $1 AND expires > $2",
    /* The same for many AORs ($1 a text[]), grouped by AOR in byte order. */
    [S_RELOAD_MANY] =
        "SELECT * FROM ("
        "SELECT aor, 'u' AS k, username AS a, realm AS b, ha1_md5 AS c,"
        "  ha1_sha256 AS d, NULL AS e, NULL AS f, NULL AS g, NULL AS h,"
        "  NULL AS i FROM users WHERE aor = ANY($1::text[])"
        " UNION ALL SELECT aor, 'm', uri, note, at::text, NULL, NULL, NULL,"
        "  NULL, NULL, NULL FROM moved WHERE aor = ANY($1::text[])"
        " UNION ALL SELECT aor, 'b', contact, expires::text, q::text, call_id,"
        "  cseq::text, instance, reg_id::text, path, received FROM bindings"
        "  WHERE aor = ANY($1::text[]) AND expires > $2"
        ") x ORDER BY x.aor COLLATE \"C\"",
};

struct store_pg {
    struct store base; /* first */
    char *conninfo;    /* secret: never logged, see display */
    char display[512];
    bool serve;
    bool no_migrate;
    int schema; /* version found at open */
    bool schema_ok;

    PGconn *db;     /* transactions, loads */
    PGconn *listen; /* LISTEN sipward (SERVE mode) */
    int db_pid;     /* our writer's backend: its notifications are ours */
    bool up;        /* connected, schema current, index in sync */
    bool in_txn;
    uint64_t retry_at_ms;
    unsigned backoff_ms;
    bool full_reload; /* a "*" notification arrived */
};

#define PG(st) ((struct store_pg *) (st))

/* ---- conninfo ---- */

bool
store_pg_is_conninfo(const char *path)
{
    if (!path) {
        return false;
    }
    if (strncmp(path, "postgres://", 11) == 0
        || strncmp(path, "postgresql://", 13) == 0) {
        return true;
    }
    /* "keyword = value ...": a keyword, then '='. */
    const char *p = path;
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    const char *k = p;
    while ((*p >= 'a' && *p <= 'z') || *p == '_') {
        p++;
    }
    if (p == k) {
        return false;
    }
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    return *p == '=';
}

void
store_pg_describe(char *out, size_t size, const char *conninfo)
{
    static const char *const shown[] = { "host", "hostaddr", "port", "dbname",
        "user", "sslmode", "target_session_attrs" };
    PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
    size_t n = 0;

    if (!size) {
        return;
    }
    out[0] = '\0';
    if (!opts) {
        snprintf(out, size, "(invalid conninfo)");
        return;
    }
    for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++) {
        for (PQconninfoOption *o = opts; o->keyword; o++) {
            if (strcmp(o->keyword, shown[i]) != 0 || !o->val || !o->val[0]) {
                continue;
            }
            int w = snprintf(
                out + n, size - n, "%s%s=%s", n ? " " : "", o->keyword, o->val);
            if (w < 0 || (size_t) w >= size - n) {
                goto out;
            }
            n += (size_t) w;
        }
    }
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (strcmp(o->keyword, "password") == 0 && o->val && o->val[0]) {
            snprintf(out + n, size - n, "%spassword=***", n ? " " : "");
        }
    }
out:
    PQconninfoFree(opts);
}

/* ---- helpers ---- */

/* Text columns hold UTF-8 without NUL; PostgreSQL would refuse anything
 * else and abort the whole batch's transaction with it. */
static bool
utf8_ok(struct slice s)
{
    return slice_utf8_prefix(s) == s.len;
}

/* Parameters of one statement: text as raw bytes (binary format of text:
 * no copy, no terminator), integers as decimal text. */
struct params {
    int n;
    const char *v[MAX_PARAMS];
    int len[MAX_PARAMS];
    int fmt[MAX_PARAMS];
    char num[MAX_PARAMS][24];
    bool bad;
};

static void
p_text(struct params *p, struct slice s)
{
    int i = p->n++;

    if (!utf8_ok(s)) {
        p->bad = true;
    }
    p->v[i] = s.len ? s.p : "";
    p->len[i] = (int) s.len;
    p->fmt[i] = 1;
}

static void
p_int(struct params *p, int64_t v)
{
    int i = p->n++;

    snprintf(p->num[i], sizeof(p->num[i]), "%" PRId64, v);
    p->v[i] = p->num[i];
    p->len[i] = 0;
    p->fmt[i] = 0;
}

/* SQLSTATEs after which the connection is not worth keeping: connection
 * exceptions (08), operator intervention (57P: shutdown, terminate), and a
 * read-only server (25006: a failed-over primary is now a standby). */
static bool
fatal_state(const PGresult *r)
{
    const char *s = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;

    return s
        && (strncmp(s, "08", 2) == 0 || strncmp(s, "57P", 3) == 0
            || strcmp(s, "25006") == 0);
}

static void
drop_conns(struct store_pg *g)
{
    PQfinish(g->db);
    PQfinish(g->listen);
    g->db = g->listen = NULL;
    g->in_txn = false;
}

/* The database is gone: say so once, fail writes until it is back. */
static void
lost(struct store_pg *g, const char *why)
{
    if (g->up) {
        char msg[256];
        snprintf(msg, sizeof(msg), "%s", why ? why : "connection lost");
        msg[strcspn(msg, "\n")] = '\0';
        log_error("postgres: lost %s (%s): writes fail until it is back; "
                  "reads continue from memory",
            g->display, msg);
    }
    g->up = false;
    store__set_available(&g->base, false);
    drop_conns(g);
    /* The first retry comes with the next poll: a dropped connection to a
     * healthy server (pg_terminate_backend, a proxy) heals at once. */
    g->backoff_ms = BACKOFF_MIN_MS / 2;
    g->retry_at_ms = clock_mono_ms();
}

/* A failed statement: logs it, and drops the connections if they are gone. */
static int
failed(struct store_pg *g, PGresult *r, const char *what)
{
    PGconn *c = g->db;
    const char *msg = r ? PQresultErrorMessage(r) : PQerrorMessage(c);
    int rc = STORE_E_DB;

    if (!c || PQstatus(c) == CONNECTION_BAD || fatal_state(r)) {
        lost(g, msg);
        rc = STORE_E_UNAVAILABLE;
    } else {
        char m[256];
        snprintf(m, sizeof(m), "%s", msg);
        m[strcspn(m, "\n")] = '\0';
        log_error("postgres: %s: %s", what, m);
    }
    PQclear(r);
    return rc;
}

/* Runs a prepared statement; *affected (may be NULL) gets the row count. */
static int
run(struct store_pg *g, enum stmt id, struct params *p, long *affected)
{
    char name[8];

    if (!g->db) {
        return STORE_E_DB;
    }
    if (p->bad) {
        return STORE_E_ENCODING;
    }
    snprintf(name, sizeof(name), "s%d", (int) id);
    PGresult *r = PQexecPrepared(g->db, name, p->n, p->v, p->len, p->fmt, 0);
    ExecStatusType es = PQresultStatus(r);
    if (es != PGRES_COMMAND_OK && es != PGRES_TUPLES_OK) {
        return failed(g, r, stmt_sql[id]);
    }
    if (affected) {
        *affected = strtol(PQcmdTuples(r), NULL, 10);
    }
    PQclear(r);
    return 0;
}

/* Runs SQL without parameters or result rows. */
static int
exec_simple(struct store_pg *g, PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);

    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        return c == g->db ? failed(g, r, sql) : (PQclear(r), STORE_E_DB);
    }
    PQclear(r);
    return 0;
}

static int64_t
col_i64(const PGresult *r, int row, int col)
{
    return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static struct slice
col_slice(const PGresult *r, int row, int col)
{
    return slice_make(
        PQgetvalue(r, row, col), (size_t) PQgetlength(r, row, col));
}

/*
 * Runs sql (one int64 parameter at most) in single-row mode, so a million
 * bindings never sit in memory twice, calling row() for each row.
 */
static int
each_row(struct store_pg *g, const char *sql, const int64_t *param,
    int (*row)(void *, const PGresult *), void *arg)
{
    char num[24];
    const char *v[1] = { num };
    int rc = 0;

    if (param) {
        snprintf(num, sizeof(num), "%" PRId64, *param);
    }
    if (!PQsendQueryParams(
            g->db, sql, param ? 1 : 0, NULL, param ? v : NULL, NULL, NULL, 0)
        || !PQsetSingleRowMode(g->db)) {
        return failed(g, NULL, sql);
    }
    PGresult *r;
    while ((r = PQgetResult(g->db)) != NULL) {
        ExecStatusType es = PQresultStatus(r);
        if (es == PGRES_SINGLE_TUPLE) {
            if (!rc) {
                rc = row(arg, r);
            }
            PQclear(r);
        } else if (es == PGRES_TUPLES_OK) {
            PQclear(r);
        } else {
            /* Drain what follows before the connection is reused. */
            if (!rc) {
                char m[256];
                snprintf(m, sizeof(m), "%s", PQresultErrorMessage(r));
                m[strcspn(m, "\n")] = '\0';
                bool fatal = fatal_state(r);
                PQclear(r);
                while ((r = PQgetResult(g->db)) != NULL) {
                    PQclear(r);
                }
                if (fatal || PQstatus(g->db) == CONNECTION_BAD) {
                    lost(g, m);
                } else {
                    log_error("postgres: %s: %s", sql, m);
                }
                return STORE_E_DB;
            }
            PQclear(r);
        }
    }
    if (PQstatus(g->db) == CONNECTION_BAD) {
        lost(g, PQerrorMessage(g->db));
        return STORE_E_DB;
    }
    return rc;
}

/* ---- schema ---- */

int
store__pg_schema_version(PGconn *db)
{
    PGresult *r = PQexec(db, "SELECT to_regclass('sipward_schema') IS NULL");
    int v = -1;

    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
        v = PQgetvalue(r, 0, 0)[0] == 't' ? 0 : -1;
    }
    PQclear(r);
    if (v == 0) {
        return 0;
    }
    r = PQexec(db, "SELECT coalesce(max(version), 0) FROM sipward_schema");
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
        v = atoi(PQgetvalue(r, 0, 0));
    }
    PQclear(r);
    return v;
}

static int
exec_on(PGconn *db, const char *sql, char *err, size_t errsize)
{
    PGresult *r = PQexec(db, sql);
    int rc = 0;

    if (PQresultStatus(r) != PGRES_COMMAND_OK
        && PQresultStatus(r) != PGRES_TUPLES_OK) {
        snprintf(err, errsize, "%s", PQresultErrorMessage(r));
        err[strcspn(err, "\n")] = '\0';
        rc = STORE_E_DB;
    }
    PQclear(r);
    return rc;
}

/* One migration, in one transaction: all of it or nothing. */
static int
migrate_one(PGconn *db, const struct store_pg_migration *m, bool *done)
{
    char sql[160], err[256] = "";
    int rc;

    *done = false;
    snprintf(sql, sizeof(sql), "SELECT pg_advisory_xact_lock(%d)",
        (int) ADVISORY_KEY);
    rc = exec_on(db, "BEGIN", err, sizeof(err));
    rc = rc ? rc : exec_on(db, sql, err, sizeof(err));
    rc = rc ? rc
            : exec_on(db,
                "CREATE TABLE IF NOT EXISTS sipward_schema("
                "version integer PRIMARY KEY, name text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())",
                err, sizeof(err));
    if (!rc) {
        /* Under the lock: another node may have applied it meanwhile. */
        int v = store__pg_schema_version(db);
        if (v < 0) {
            rc = STORE_E_DB;
            snprintf(err, sizeof(err), "cannot read the schema version");
        } else if (v >= m->version) {
            rc = exec_on(db, "ROLLBACK", err, sizeof(err));
            return rc;
        }
    }
    rc = rc ? rc : exec_on(db, m->sql, err, sizeof(err));
    if (!rc) {
        const char *vals[2];
        char ver[16];
        snprintf(ver, sizeof(ver), "%d", m->version);
        vals[0] = ver;
        vals[1] = m->name;
        PGresult *r = PQexecParams(db,
            "INSERT INTO sipward_schema(version, name) VALUES($1, $2)", 2, NULL,
            vals, NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            snprintf(err, sizeof(err), "%s", PQresultErrorMessage(r));
            err[strcspn(err, "\n")] = '\0';
            rc = STORE_E_DB;
        }
        PQclear(r);
    }
    rc = rc ? rc : exec_on(db, "COMMIT", err, sizeof(err));
    if (rc) {
        char ignored[8];
        exec_on(db, "ROLLBACK", ignored, sizeof(ignored));
        log_error("postgres: schema migration %d (%s) failed and was rolled "
                  "back, the database is unchanged: %s",
            m->version, m->name, err);
        return rc;
    }
    log_info("postgres: schema migration %d applied: %s", m->version, m->name);
    *done = true;
    return 0;
}

int
store__pg_migrate(
    PGconn *db, const struct store_pg_migration *migs, size_t n, int *applied)
{
    int latest = n ? migs[n - 1].version : 0;
    int v = store__pg_schema_version(db);
    int count = 0, rc = 0;

    if (v < 0) {
        log_error(
            "postgres: cannot read the schema version: %s", PQerrorMessage(db));
        return STORE_E_DB;
    }
    if (v > latest) {
        log_error("postgres: schema version %d, this sipward knows %d: "
                  "upgrade sipward",
            v, latest);
        return STORE_E_SCHEMA;
    }
    for (size_t i = 0; i < n && !rc; i++) {
        if (migs[i].version <= v) {
            continue;
        }
        bool done;
        rc = migrate_one(db, &migs[i], &done);
        count += done;
    }
    if (applied) {
        *applied = count;
    }
    return rc;
}

/* ---- connections ---- */

/* Server notices ("relation already exists, skipping") are not ours to
 * print on stderr. */
static void
on_notice(void *arg, const char *msg)
{
    (void) arg;
    log_debug("postgres: %.*s", (int) strcspn(msg, "\n"), msg);
}

static PGconn *
connect_db(struct store_pg *g)
{
    /* Defaults first: the operator's conninfo (dbname, expanded) wins. */
    static const char *const kw[] = { "connect_timeout", "keepalives",
        "keepalives_idle", "keepalives_interval", "keepalives_count",
        "tcp_user_timeout", "application_name", "client_encoding", "dbname",
        NULL };
    const char *val[] = { "3", "1", "5", "2", "3", "5000", "sipward", "UTF8",
        g->conninfo, NULL };
    PGconn *c = PQconnectdbParams(kw, val, 1);

    if (c && PQstatus(c) == CONNECTION_OK) {
        PQsetNoticeProcessor(c, on_notice, NULL);
        return c;
    }
    if (g->up || !g->serve || g->retry_at_ms == 0) {
        char m[256];
        snprintf(m, sizeof(m), "%s", c ? PQerrorMessage(c) : "out of memory");
        m[strcspn(m, "\n")] = '\0';
        log_error("postgres: cannot connect to %s: %s", g->display, m);
    }
    PQfinish(c);
    return NULL;
}

static int
prepare_all(struct store_pg *g)
{
    for (int i = 0; i < S_COUNT; i++) {
        char name[8];
        snprintf(name, sizeof(name), "s%d", i);
        PGresult *r = PQprepare(g->db, name, stmt_sql[i], 0, NULL);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            return failed(g, r, stmt_sql[i]);
        }
        PQclear(r);
    }
    return 0;
}

/* Opens both connections, LISTENing before anything is read. */
static int
connect_all(struct store_pg *g)
{
    int rc = 0;

    g->db = connect_db(g);
    if (!g->db) {
        return STORE_E_DB;
    }
    g->db_pid = PQbackendPID(g->db);
    if (g->serve) {
        g->listen = connect_db(g);
        if (!g->listen) {
            rc = STORE_E_DB;
        } else if (exec_simple(g, g->listen, "LISTEN " STORE_PG_CHANNEL)) {
            rc = STORE_E_DB;
        }
    }
    if (!rc) {
        int v = store__pg_schema_version(g->db);
        if (v != g->schema) {
            /* Someone migrated (or dropped) the schema under us. */
            log_error(
                "postgres: schema version is now %d, was %d", v, g->schema);
            rc = STORE_E_SCHEMA;
        }
    }
    rc = rc ? rc : prepare_all(g);
    if (rc) {
        drop_conns(g);
    }
    return rc;
}

/* ---- loading ---- */

struct load_ctx {
    struct store_idx *ix;
};

static int
row_user(void *arg, const PGresult *r)
{
    struct load_ctx *c = arg;

    return store__idx_user_set(c->ix, col_slice(r, 0, 0), col_slice(r, 0, 1),
        col_slice(r, 0, 2), col_slice(r, 0, 3), col_slice(r, 0, 4));
}

static int
row_moved(void *arg, const PGresult *r)
{
    struct load_ctx *c = arg;

    return store__idx_moved_set(c->ix, col_slice(r, 0, 0), col_slice(r, 0, 1),
        col_slice(r, 0, 2), col_i64(r, 0, 3));
}

/* Binding columns from col on: contact expires q call_id cseq instance
 * reg_id path received. */
static struct store_binding
binding_at(const PGresult *r, int row, int col)
{
    struct store_binding b = {
        .contact = col_slice(r, row, col),
        .expires = col_i64(r, row, col + 1),
        .q = (uint16_t) col_i64(r, row, col + 2),
        .call_id = col_slice(r, row, col + 3),
        .cseq = (uint32_t) col_i64(r, row, col + 4),
        .instance = col_slice(r, row, col + 5),
        .reg_id = (uint32_t) col_i64(r, row, col + 6),
        .path = col_slice(r, row, col + 7),
        .received = col_slice(r, row, col + 8),
    };
    return b;
}

static int
row_binding(void *arg, const PGresult *r)
{
    struct load_ctx *c = arg;
    struct store_binding b = binding_at(r, 0, 1);

    return store__idx_binding_put(c->ix, col_slice(r, 0, 0), &b);
}

/* Everything, from one snapshot, into ix. */
static int
load_into(struct store_pg *g, struct store_idx *ix, int64_t now)
{
    struct load_ctx c = { ix };
    int rc = exec_simple(
        g, g->db, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");

    rc = rc ? rc
            : each_row(g,
                "SELECT aor, username, realm, ha1_md5, ha1_sha256 FROM users",
                NULL, row_user, &c);
    rc = rc ? rc
            : each_row(
                g, "SELECT aor, uri, note, at FROM moved", NULL, row_moved, &c);
    rc = rc ? rc
            : each_row(g,
                "SELECT aor, contact, expires, q, call_id, cseq, instance,"
                " reg_id, path, received FROM bindings WHERE expires > $1",
                &now, row_binding, &c);
    if (g->db) {
        exec_simple(g, g->db, rc ? "ROLLBACK" : "COMMIT");
    }
    return rc;
}

static int
pg_load(struct store *st, int64_t now)
{
    struct store_pg *g = PG(st);
    int rc = load_into(g, st->idx, now);

    if (!rc) {
        g->up = true;
    }
    return rc;
}

/* Reconnected: a fresh index from the database, swapped in whole. */
static int
resync(struct store_pg *g)
{
    struct store_idx *fresh = NULL;
    int rc = store__idx_new(&fresh);

    rc = rc ? rc : load_into(g, fresh, (int64_t) clock_wall());
    if (rc) {
        store__idx_free(fresh);
        return rc;
    }
    store__idx_replace(g->base.idx, fresh);
    return 0;
}

/* ---- transactions and writes ---- */

static int
pg_begin(struct store *st)
{
    struct store_pg *g = PG(st);

    /* Fail fast while the database is away: the caller answers 500. */
    if (!g->up || !g->db) {
        return STORE_E_UNAVAILABLE;
    }
    int rc = exec_simple(g, g->db, "BEGIN");
    g->in_txn = rc == 0;
    return rc;
}

static int
pg_commit(struct store *st)
{
    struct store_pg *g = PG(st);

    if (!g->db || !g->in_txn) {
        return STORE_E_DB;
    }
    /* PQexec("COMMIT") reports COMMAND_OK for a transaction that had
     * failed (and was rolled back), but the tag is then ROLLBACK. */
    PGresult *r = PQexec(g->db, "COMMIT");
    g->in_txn = false;
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        return failed(g, r, "COMMIT");
    }
    bool committed = strcmp(PQcmdStatus(r), "COMMIT") == 0;
    PQclear(r);
    return committed ? 0 : STORE_E_DB;
}

static void
pg_rollback(struct store *st)
{
    struct store_pg *g = PG(st);

    if (g->db && PQtransactionStatus(g->db) != PQTRANS_IDLE) {
        exec_simple(g, g->db, "ROLLBACK");
    }
    g->in_txn = false;
}

static int
pg_binding_put(
    struct store *st, struct slice aor, const struct store_binding *b)
{
    struct params p = { 0 };

    p_text(&p, aor);
    p_text(&p, b->contact);
    p_int(&p, b->expires);
    p_int(&p, b->q);
    p_text(&p, b->call_id);
    p_int(&p, b->cseq);
    p_text(&p, b->instance);
    p_int(&p, b->reg_id);
    p_text(&p, b->path);
    p_text(&p, b->received);
    return run(PG(st), S_BPUT, &p, NULL);
}

static int
pg_binding_del(struct store *st, struct slice aor, struct slice contact)
{
    struct params p = { 0 };

    p_text(&p, aor);
    p_text(&p, contact);
    return run(PG(st), S_BDEL, &p, NULL);
}

static int
pg_bindings_clear(struct store *st, struct slice aor)
{
    struct params p = { 0 };

    p_text(&p, aor);
    return run(PG(st), S_BCLEAR, &p, NULL);
}

static int
pg_user_put(struct store *st, const struct store_req *r)
{
    struct params p = { 0 };

    p_text(&p, r->aor);
    p_text(&p, r->username);
    p_text(&p, r->realm);
    p_text(&p, r->ha1_md5);
    p_text(&p, r->ha1_sha256);
    p_int(&p, (int64_t) clock_wall());
    return run(PG(st), S_UPUT, &p, NULL);
}

/* Deletes by AOR; STORE_E_NOT_FOUND when there was nothing. */
static int
del_aor(struct store_pg *g, enum stmt id, struct slice aor)
{
    struct params p = { 0 };
    long n = 0;

    p_text(&p, aor);
    int rc = run(g, id, &p, &n);
    return rc ? rc : n == 0 ? STORE_E_NOT_FOUND : 0;
}

static int
pg_user_del(struct store *st, struct slice aor)
{
    int rc = del_aor(PG(st), S_UDEL, aor);

    return rc ? rc : pg_bindings_clear(st, aor);
}

static int
pg_moved_put(struct store *st, const struct store_req *r, int64_t at)
{
    struct params p = { 0 };

    p_text(&p, r->aor);
    p_text(&p, r->uri);
    p_text(&p, r->note);
    p_int(&p, at);
    return run(PG(st), S_MPUT, &p, NULL);
}

static int
pg_moved_del(struct store *st, struct slice aor)
{
    return del_aor(PG(st), S_MDEL, aor);
}

static int
pg_expire(struct store *st, int64_t now)
{
    struct store_pg *g = PG(st);
    struct params p = { 0 };

    /* Down: the index still expires on time; the rows wait for us. */
    if (!g->up) {
        return STORE_E_UNAVAILABLE;
    }
    p_int(&p, now);
    return run(g, S_EXPIRE, &p, NULL);
}

static int
pg_binding_expire(
    struct store *st, struct slice aor, struct slice contact, int64_t now)
{
    struct params p = { 0 };

    p_text(&p, aor);
    p_text(&p, contact);
    p_int(&p, now);
    return run(PG(st), S_BEXPIRE, &p, NULL);
}

/* ---- coherence ---- */

static int
reload_aor(struct store_pg *g, struct slice aor, int64_t now)
{
    struct store_idx *ix = g->base.idx;
    struct params p = { 0 };
    bool user = false, moved = false;
    int err = 0;

    p_text(&p, aor);
    p_int(&p, now);
    if (p.bad || !g->db) {
        return p.bad ? STORE_E_BAD_AOR : STORE_E_DB;
    }
    char name[8];
    snprintf(name, sizeof(name), "s%d", (int) S_RELOAD);
    PGresult *r = PQexecPrepared(g->db, name, p.n, p.v, p.len, p.fmt, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        return failed(g, r, "reload");
    }
    /* Bindings are replaced as a set: the database has them all. */
    store__idx_bindings_clear(ix, aor);
    for (int i = 0; i < PQntuples(r); i++) {
        char kind = PQgetvalue(r, i, 0)[0];
        int e = 0;
        if (kind == 'u') {
            user = true;
            e = store__idx_user_set(ix, aor, col_slice(r, i, 1),
                col_slice(r, i, 2), col_slice(r, i, 3), col_slice(r, i, 4));
        } else if (kind == 'm') {
            moved = true;
            e = store__idx_moved_set(ix, aor, col_slice(r, i, 1),
                col_slice(r, i, 2), col_i64(r, i, 3));
        } else {
            struct store_binding b = binding_at(r, i, 1);
            e = store__idx_binding_put(ix, aor, &b);
        }
        err = err ? err : e;
    }
    if (!user) {
        store__idx_user_clear(ix, aor);
    }
    if (!moved) {
        store__idx_moved_clear(ix, aor);
    }
    PQclear(r);
    return err;
}

static int
pg_reload_aor(struct store *st, struct slice aor, int64_t now)
{
    struct store_pg *g = PG(st);

    return g->up ? reload_aor(g, aor, now) : STORE_E_DB;
}

enum {
    RELOAD_MAX = 256
}; /* AORs per reload query */

static int
cmp_notify(const void *a, const void *b)
{
    const PGnotify *x = *(PGnotify *const *) a, *y = *(PGnotify *const *) b;

    return strcmp(x->extra, y->extra);
}

/* Applies one AOR's rows [from, to) of r (S_RELOAD_MANY columns). */
static int
apply_aor(
    struct store_idx *ix, struct slice aor, const PGresult *r, int from, int to)
{
    bool user = false, moved = false;
    int err = 0;

    store__idx_bindings_clear(ix, aor);
    for (int i = from; i < to; i++) {
        char kind = PQgetvalue(r, i, 1)[0];
        int e;
        if (kind == 'u') {
            user = true;
            e = store__idx_user_set(ix, aor, col_slice(r, i, 2),
                col_slice(r, i, 3), col_slice(r, i, 4), col_slice(r, i, 5));
        } else if (kind == 'm') {
            moved = true;
            e = store__idx_moved_set(ix, aor, col_slice(r, i, 2),
                col_slice(r, i, 3), col_i64(r, i, 4));
        } else {
            struct store_binding b = binding_at(r, i, 2);
            e = store__idx_binding_put(ix, aor, &b);
        }
        err = err ? err : e;
    }
    if (!user) {
        store__idx_user_clear(ix, aor);
    }
    if (!moved) {
        store__idx_moved_clear(ix, aor);
    }
    return err;
}

/*
 * Re-reads the AORs of notes[0..n) (sorted, duplicates allowed) in one
 * round trip: under a REGISTER load on another node this is one query per
 * poll, not one per REGISTER.
 */
static int
reload_many(struct store_pg *g, PGnotify **notes, size_t n, int64_t now)
{
    size_t cap = 3;
    char *arr, num[24];
    int rc = 0;

    for (size_t i = 0; i < n; i++) {
        cap += 2 * strlen(notes[i]->extra) + 3;
    }
    arr = malloc(cap);
    if (!arr) {
        return -ENOMEM;
    }
    /* A text[] literal: {"a","b"} with " and \ escaped. */
    size_t k = 0;
    arr[k++] = '{';
    for (size_t i = 0; i < n; i++) {
        if (i && strcmp(notes[i]->extra, notes[i - 1]->extra) == 0) {
            continue;
        }
        if (k > 1) {
            arr[k++] = ',';
        }
        arr[k++] = '"';
        for (const char *c = notes[i]->extra; *c; c++) {
            if (*c == '"' || *c == '\\') {
                arr[k++] = '\\';
            }
            arr[k++] = *c;
        }
        arr[k++] = '"';
    }
    arr[k++] = '}';
    arr[k] = '\0';
    snprintf(num, sizeof(num), "%" PRId64, now);

    const char *v[2] = { arr, num };
    char name[8];
    snprintf(name, sizeof(name), "s%d", (int) S_RELOAD_MANY);
    PGresult *r = PQexecPrepared(g->db, name, 2, v, NULL, NULL, 0);
    free(arr);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        return failed(g, r, "reload");
    }
    /* Walk the sorted AORs and the rows (same order) together. */
    int row = 0, rows = PQntuples(r);
    for (size_t i = 0; i < n; i++) {
        if (i && strcmp(notes[i]->extra, notes[i - 1]->extra) == 0) {
            continue;
        }
        const char *aor = notes[i]->extra;
        while (row < rows && strcmp(PQgetvalue(r, row, 0), aor) < 0) {
            row++;
        }
        int end = row;
        while (end < rows && strcmp(PQgetvalue(r, end, 0), aor) == 0) {
            end++;
        }
        int e = apply_aor(g->base.idx, slice_cstr(aor), r, row, end);
        rc = rc ? rc : e;
        row = end;
    }
    PQclear(r);
    return rc;
}

/* Down and due: try again; on success LISTEN, resync, and say so. */
static void
try_reconnect(struct store_pg *g)
{
    uint64_t now = clock_mono_ms();

    if (now < g->retry_at_ms) {
        return;
    }
    int rc = connect_all(g);
    if (!rc) {
        rc = resync(g);
    }
    if (rc) {
        drop_conns(g);
        g->backoff_ms = g->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
                                                           : g->backoff_ms * 2;
        g->retry_at_ms = clock_mono_ms() + g->backoff_ms;
        return;
    }
    struct store_stats s;
    store__idx_stats(g->base.idx, &s);
    g->up = true;
    store__set_available(&g->base, true);
    g->full_reload = false;
    log_info("postgres: reconnected to %s; resynchronized %" PRIu64
             " AORs (%" PRIu64 " users, %" PRIu64 " bindings, %" PRIu64
             " moved)",
        g->display, s.aors, s.users, s.bindings, s.moved);
}

/*
 * Called by the store thread every poll_ms: reconnects when down, else
 * drains the notifications that arrived on the LISTEN connection and
 * re-reads each AOR another session changed. Handles its own errors (they
 * are connection state changes, logged once); returns 0.
 */
static int
pg_changes(struct store *st, void (*cb)(void *, struct slice), void *arg)
{
    struct store_pg *g = PG(st);
    PGnotify *n;

    (void) cb;
    (void) arg;
    if (!g->serve) {
        return 0;
    }
    if (!g->up) {
        try_reconnect(g);
        return 0;
    }
    if (!PQconsumeInput(g->listen) || PQstatus(g->listen) == CONNECTION_BAD) {
        lost(g, PQerrorMessage(g->listen));
        return 0;
    }
    int64_t now = (int64_t) clock_wall();
    PGnotify *notes[RELOAD_MAX];
    size_t nn = 0;
    bool more = true;
    while (g->up && more) {
        n = PQnotifies(g->listen);
        more = n != NULL;
        if (n && n->be_pid == g->db_pid) {
            PQfreemem(n); /* ours: already in the index */
        } else if (n && strcmp(n->extra, "*") == 0) {
            g->full_reload = true;
            PQfreemem(n);
        } else if (n) {
            notes[nn++] = n;
        }
        if (nn == RELOAD_MAX || (!more && nn)) {
            if (!g->full_reload) {
                qsort(notes, nn, sizeof(notes[0]), cmp_notify);
                int rc = reload_many(g, notes, nn, now);
                if (rc && g->up) {
                    log_warn("postgres: cannot reload %zu changed AORs: %s", nn,
                        err_str(rc));
                }
            }
            for (size_t i = 0; i < nn; i++) {
                PQfreemem(notes[i]);
            }
            nn = 0;
        }
    }
    for (size_t i = 0; i < nn; i++) {
        PQfreemem(notes[i]);
    }
    if (g->up && g->full_reload) {
        g->full_reload = false;
        if (resync(g) == 0) {
            log_info("postgres: reloaded everything after a TRUNCATE");
        }
    }
    return 0;
}

/* ---- DIRECT mode listings ---- */

struct list_ctx {
    store_user_cb *ucb;
    store_moved_cb *mcb;
    void *arg;
};

static int
row_list_user(void *arg, const PGresult *r)
{
    struct list_ctx *c = arg;
    struct store_user_row u = {
        .aor = col_slice(r, 0, 0),
        .username = col_slice(r, 0, 1),
        .realm = col_slice(r, 0, 2),
        .md5 = PQgetlength(r, 0, 3) > 0,
        .sha256 = PQgetlength(r, 0, 4) > 0,
    };
    c->ucb(c->arg, &u);
    return 0;
}

static int
row_list_moved(void *arg, const PGresult *r)
{
    struct list_ctx *c = arg;
    struct store_moved_row m = {
        .aor = col_slice(r, 0, 0),
        .uri = col_slice(r, 0, 1),
        .note = col_slice(r, 0, 2),
        .at = col_i64(r, 0, 3),
    };
    c->mcb(c->arg, &m);
    return 0;
}

static int
pg_user_list(struct store *st, store_user_cb *cb, void *arg)
{
    struct list_ctx c = { cb, NULL, arg };
    struct store_pg *g = PG(st);

    if (!g->up) {
        return g->schema_ok ? STORE_E_DB : STORE_E_SCHEMA;
    }
    return each_row(g,
        "SELECT aor, username, realm, ha1_md5, ha1_sha256 FROM users"
        " ORDER BY aor",
        NULL, row_list_user, &c);
}

static int
pg_moved_list(struct store *st, store_moved_cb *cb, void *arg)
{
    struct list_ctx c = { NULL, cb, arg };
    struct store_pg *g = PG(st);

    if (!g->up) {
        return g->schema_ok ? STORE_E_DB : STORE_E_SCHEMA;
    }
    return each_row(g, "SELECT aor, uri, note, at FROM moved ORDER BY aor",
        NULL, row_list_moved, &c);
}

static int
row_counts(void *arg, const PGresult *r)
{
    struct store_info *i = arg;

    i->users = (uint64_t) col_i64(r, 0, 0);
    i->moved = (uint64_t) col_i64(r, 0, 1);
    i->bindings = (uint64_t) col_i64(r, 0, 2);
    return 0;
}

static int
pg_info(struct store *st, struct store_info *i)
{
    struct store_pg *g = PG(st);
    size_t n;
    const struct store_pg_migration *m = store__pg_migrations(&n);

    i->backend = "postgresql";
    i->schema = g->db ? store__pg_schema_version(g->db) : -1;
    i->schema_latest = m[n - 1].version;
    if (i->schema != i->schema_latest || !g->db) {
        return i->schema < 0 ? STORE_E_DB : 0;
    }
    int64_t now = (int64_t) clock_wall();
    return each_row(g,
        "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM moved),"
        " (SELECT count(*) FROM bindings WHERE expires > $1)",
        &now, row_counts, i);
}

static void
pg_close(struct store *st)
{
    struct store_pg *g = PG(st);

    drop_conns(g);
    free(g->conninfo);
    free(g);
}

static const struct store_ops pg_ops = {
    .name = "postgresql",
    .load = pg_load,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .binding_put = pg_binding_put,
    .binding_del = pg_binding_del,
    .bindings_clear = pg_bindings_clear,
    .user_put = pg_user_put,
    .user_del = pg_user_del,
    .moved_put = pg_moved_put,
    .moved_del = pg_moved_del,
    .expire = pg_expire,
    .binding_expire = pg_binding_expire,
    .changes = pg_changes,
    .reload_aor = pg_reload_aor,
    .user_list = pg_user_list,
    .moved_list = pg_moved_list,
    .info = pg_info,
    .close = pg_close,
};

int
store__pg_open(struct store **stp, const struct store_conf *c)
{
    struct store_pg *g = calloc(1, sizeof(*g));
    size_t nmig;
    const struct store_pg_migration *migs = store__pg_migrations(&nmig);
    int rc = 0;

    if (!g) {
        return -ENOMEM;
    }
    g->base.ops = &pg_ops;
    /* A poll is a non-blocking read of the LISTEN socket: cheap enough to
     * do often, and it bounds how stale another node's change can be. */
    g->base.poll_ms = 100;
    g->serve = c->mode == STORE_MODE_SERVE;
    g->no_migrate = c->no_migrate;
    g->conninfo = strdup(c->path);
    if (!g->conninfo) {
        rc = -ENOMEM;
        goto out;
    }
    store_pg_describe(g->display, sizeof(g->display), c->path);
    g->db = connect_db(g);
    if (!g->db) {
        rc = STORE_E_DB;
        goto out;
    }
    if (!g->no_migrate) {
        rc = store__pg_migrate(g->db, migs, nmig, NULL);
        if (rc) {
            goto out;
        }
    }
    g->schema = store__pg_schema_version(g->db);
    g->schema_ok = g->schema == migs[nmig - 1].version;
    PQfinish(g->db);
    g->db = NULL;
    if (!g->schema_ok) {
        if (g->no_migrate) {
            /* `store check` reports it; nothing else works. */
            goto out;
        }
        rc = g->schema < 0 ? STORE_E_DB : STORE_E_SCHEMA;
        goto out;
    }
    rc = connect_all(g);
    if (!rc) {
        /* DIRECT mode is up now; SERVE mode once load() ran. */
        g->up = !g->serve;
        if (g->serve) {
            log_info(
                "postgres: connected to %s (schema %d)", g->display, g->schema);
        }
    }
out:
    if (rc) {
        pg_close(&g->base);
        return rc;
    }
    if (!g->schema_ok) {
        g->db = connect_db(g);
    }
    *stp = &g->base;
    return 0;
}
