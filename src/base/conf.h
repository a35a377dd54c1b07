/*
 * Configuration. Every option is one row of a table owned by the layer that
 * uses it: section, key, type, where it lives (offsetof into that layer's
 * struct), bounds, default and help text. The file is INI (tokenized by
 * libinih); any option can be overridden with "section.key=value".
 */
#ifndef SW_BASE_CONF_H
#define SW_BASE_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum conf_type {
    CONF_INT,  /* int64_t, bounded by min/max */
    CONF_BOOL, /* bool: true/false/yes/no/on/off/1/0 */
    CONF_STR,  /* char *, owned by the conf; max = maximum length (0: 4096) */
};

enum conf_flags {
    CONF_SECRET = 1, /* never printed: --print-config shows "(set)" */
};

struct conf_opt {
    const char *section;
    const char *key;
    enum conf_type type;
    size_t offset;
    long long min;
    long long max;
    const char *def;
    const char *help;
    unsigned flags;
};

#define CONF_MAX_TABLES 16

struct conf_table {
    const struct conf_opt *opts;
    size_t count;
    void *base;
};

struct conf {
    struct conf_table tables[CONF_MAX_TABLES];
    size_t ntables;
    /* Options of sections no table knows are skipped: the CLI reads the
     * daemon's file for a few of its sections (serve checks the rest). */
    bool other_sections_ok;
    char err[512];
};

void conf_init(struct conf *c);
/** Adds a layer's table; base is the struct the offsets point into. */
void conf_add(
    struct conf *c, const struct conf_opt *opts, size_t count, void *base);
/** Sets every option to its default. */
int conf_apply_defaults(struct conf *c);
/** Reads an INI file; unknown options and bad values are errors. */
int conf_load_file(struct conf *c, const char *path);
/** The same from a string in memory; name stands for the file in errors. */
int conf_load_string(struct conf *c, const char *name, const char *text);
/** One "section.key=value" override. */
int conf_set_kv(struct conf *c, const char *kv);
int conf_set(
    struct conf *c, const char *section, const char *key, const char *value);
/** Prints the effective configuration as an INI file with help comments. */
void conf_print(const struct conf *c, FILE *f);
/** Frees the strings the conf owns. */
void conf_release(struct conf *c);
/** Text of the last error, naming the option and the value. */
const char *conf_error(const struct conf *c);

#endif
