/*
 * The PostgreSQL back end (store_pg.c): what the rest of the store layer,
 * the CLI and the tests need to know about it. Everything else goes through
 * the ops table like any back end.
 */
#ifndef SW_STORE_STORE_PG_H
#define SW_STORE_STORE_PG_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

#include "store/store.h"

/* The NOTIFY channel; the payload is the changed AOR, or "*" (everything,
 * e.g. after TRUNCATE): listeners reload from the database. */
#define STORE_PG_CHANNEL "sipward"

/**
 * True when path names a PostgreSQL database: a postgres:// or
 * postgresql:// URL, or a libpq conninfo ("host=... dbname=...").
 */
bool store_pg_is_conninfo(const char *path);

/**
 * Writes conninfo into out for logs and messages, password masked
 * ("host=db port=5432 dbname=sip user=sw password=***"). Never copies the
 * input verbatim: an unparseable string prints as "(invalid conninfo)".
 */
void store_pg_describe(char *out, size_t size, const char *conninfo);

/* One schema migration: applied in its own transaction, recorded in
 * sipward_schema. Versions start at 1 and have no gaps. */
struct store_pg_migration {
    int version;
    const char *name;
    const char *sql;
};

/** The migrations this sipward knows; *n receives their count. */
const struct store_pg_migration *store__pg_migrations(size_t *n);

/**
 * Brings db's schema to the last of migs, one transaction per migration
 * under an advisory lock (nodes starting together apply each once). A
 * failing migration is rolled back whole and stops there. A schema newer
 * than migs is STORE_E_SCHEMA. *applied (may be NULL) counts what ran.
 */
int store__pg_migrate(
    PGconn *db, const struct store_pg_migration *migs, size_t n, int *applied);

/** The schema version of db (0: none yet); -1 when it cannot be read. */
int store__pg_schema_version(PGconn *db);

int store__pg_open(struct store **stp, const struct store_conf *c);

#endif
