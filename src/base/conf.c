#include "base/conf.h"

#include <errno.h>
#include <ini.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"

void
conf_init(struct conf *c)
{
    memset(c, 0, sizeof(*c));
}

void
conf_add(struct conf *c, const struct conf_opt *opts, size_t count, void *base)
{
    if (c->ntables < CONF_MAX_TABLES) {
        c->tables[c->ntables++] = (struct conf_table){ opts, count, base };
    }
}

static void *
field(const struct conf_table *t, const struct conf_opt *o)
{
    return (char *) t->base + o->offset;
}

static int
parse_bool(const char *v, bool *out)
{
    static const char *const yes[] = { "true", "yes", "on", "1" };
    static const char *const no[] = { "false", "no", "off", "0" };

    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(v, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -EINVAL;
}

static int
set_value(struct conf *c, const struct conf_table *t, const struct conf_opt *o,
    const char *v)
{
    switch (o->type) {
    case CONF_INT: {
        char *end;
        errno = 0;
        long long n = strtoll(v, &end, 10);
        if (*v == '\0' || *end != '\0' || errno) {
            snprintf(c->err, sizeof(c->err), "%s.%s: '%s' is not an integer",
                o->section, o->key, v);
            return CONF_E_BAD_VALUE;
        }
        if (n < o->min || n > o->max) {
            snprintf(c->err, sizeof(c->err),
                "%s.%s: %lld is out of range [%lld, %lld]", o->section, o->key,
                n, o->min, o->max);
            return CONF_E_OUT_OF_RANGE;
        }
        *(int64_t *) field(t, o) = n;
        return 0;
    }
    case CONF_BOOL:
        if (parse_bool(v, (bool *) field(t, o)) != 0) {
            snprintf(c->err, sizeof(c->err),
                "%s.%s: '%s' is not a boolean (true/false)", o->section, o->key,
                v);
            return CONF_E_BAD_VALUE;
        }
        return 0;
    case CONF_STR: {
        /* A value means the same from --set as in the file, and what
         * --print-config writes loads back unchanged: blanks around it go,
         * as inih drops them, and what inih would cut as a comment (';'
         * first or after a blank: "key = ;x" is empty) or cannot carry on
         * one line (control characters) is refused. */
        while (*v == ' ' || *v == '\t') {
            v++;
        }
        size_t len = strlen(v);
        while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t')) {
            len--;
        }
        for (size_t i = 0; i < len; i++) {
            unsigned char ch = (unsigned char) v[i];
            if ((ch < 0x20 && ch != '\t') || ch == 0x7f
                || (ch == ';'
                    && (i == 0 || v[i - 1] == ' ' || v[i - 1] == '\t'))) {
                snprintf(c->err, sizeof(c->err),
                    "%s.%s: %s at offset %zu (the config file cannot hold "
                    "it)",
                    o->section, o->key,
                    ch == ';' ? "';' would start a comment"
                              : "control character",
                    i);
                return CONF_E_BAD_VALUE;
            }
        }
        size_t max = o->max > 0 ? (size_t) o->max : 4096;
        if (len > max) {
            snprintf(c->err, sizeof(c->err),
                "%s.%s: value longer than %zu characters", o->section, o->key,
                max);
            return CONF_E_OUT_OF_RANGE;
        }
        char *dup = strndup(v, len);
        if (!dup) {
            return -ENOMEM;
        }
        char **slot = field(t, o);
        free(*slot);
        *slot = dup;
        return 0;
    }
    }
    return CONF_E_BAD_VALUE;
}

static bool
has_section(const struct conf *c, const char *section)
{
    for (size_t i = 0; i < c->ntables; i++) {
        for (size_t j = 0; j < c->tables[i].count; j++) {
            if (strcmp(c->tables[i].opts[j].section, section) == 0) {
                return true;
            }
        }
    }
    return false;
}

int
conf_set(
    struct conf *c, const char *section, const char *key, const char *value)
{
    for (size_t i = 0; i < c->ntables; i++) {
        const struct conf_table *t = &c->tables[i];
        for (size_t j = 0; j < t->count; j++) {
            const struct conf_opt *o = &t->opts[j];
            if (strcmp(o->section, section) == 0 && strcmp(o->key, key) == 0) {
                return set_value(c, t, o, value);
            }
        }
    }
    if (c->other_sections_ok && !has_section(c, section)) {
        return 0;
    }
    snprintf(c->err, sizeof(c->err), "unknown option %s.%s", section, key);
    return CONF_E_UNKNOWN_OPTION;
}

int
conf_set_kv(struct conf *c, const char *kv)
{
    char sect[64], key[64];
    const char *dot = strchr(kv, '.');
    const char *eq = strchr(kv, '=');

    if (!dot || !eq || dot > eq || (size_t) (dot - kv) >= sizeof(sect)
        || (size_t) (eq - dot - 1) >= sizeof(key) || dot == kv
        || eq == dot + 1) {
        snprintf(
            c->err, sizeof(c->err), "'%s': expected section.key=value", kv);
        return CONF_E_SYNTAX;
    }
    memcpy(sect, kv, (size_t) (dot - kv));
    sect[dot - kv] = '\0';
    memcpy(key, dot + 1, (size_t) (eq - dot - 1));
    key[eq - dot - 1] = '\0';
    return conf_set(c, sect, key, eq + 1);
}

int
conf_apply_defaults(struct conf *c)
{
    for (size_t i = 0; i < c->ntables; i++) {
        const struct conf_table *t = &c->tables[i];
        for (size_t j = 0; j < t->count; j++) {
            int err = set_value(c, t, &t->opts[j], t->opts[j].def);
            if (err) {
                return err;
            }
        }
    }
    return 0;
}

struct load_ctx {
    struct conf *c;
    int err;
    int line;
};

static int
on_ini_pair(
    void *user, const char *section, const char *name, const char *value)
{
    struct load_ctx *lc = user;

    /* inih goes on after a refused line: keep the first error's text. */
    if (lc->err) {
        return 0;
    }
    lc->err = conf_set(lc->c, section, name, value);
    return lc->err == 0;
}

/* What ini_parse_*() returned: 0, or the first bad line (its option's
 * error, or a syntax error). */
static int
load_result(
    struct conf *c, const char *name, int line, const struct load_ctx *lc)
{
    if (line == 0) {
        return 0;
    }
    if (lc->err) {
        char inner[sizeof(c->err)];
        memcpy(inner, c->err, sizeof(inner));
        snprintf(c->err, sizeof(c->err), "%s:%d: %.400s", name, line, inner);
        return lc->err;
    }
    snprintf(c->err, sizeof(c->err), "%s:%d: syntax error", name, line);
    return CONF_E_SYNTAX;
}

int
conf_load_file(struct conf *c, const char *path)
{
    struct load_ctx lc = { c, 0, 0 };
    FILE *f = fopen(path, "r");

    if (!f) {
        int e = errno;
        snprintf(c->err, sizeof(c->err), "%s: %s", path, strerror(e));
        return -e;
    }
    int line = ini_parse_file(f, on_ini_pair, &lc);
    fclose(f);
    return load_result(c, path, line, &lc);
}

int
conf_load_string(struct conf *c, const char *name, const char *text)
{
    struct load_ctx lc = { c, 0, 0 };

    return load_result(c, name, ini_parse_string(text, on_ini_pair, &lc), &lc);
}

/* "# text" wrapped at word boundaries to fit 78 columns. */
static void
print_comment(FILE *f, const char *text)
{
    const char *p = text;

    while (*p) {
        size_t room = 76, n = strlen(p);
        if (n > room) {
            n = room;
            while (n > 0 && p[n] != ' ') {
                n--;
            }
            if (n == 0) {
                n = strcspn(p, " "); /* one long word: let it overflow */
            }
        }
        fprintf(f, "# %.*s\n", (int) n, p);
        p += n;
        while (*p == ' ') {
            p++;
        }
    }
}

void
conf_print(const struct conf *c, FILE *f)
{
    const char *cur = NULL;

    for (size_t i = 0; i < c->ntables; i++) {
        const struct conf_table *t = &c->tables[i];
        for (size_t j = 0; j < t->count; j++) {
            const struct conf_opt *o = &t->opts[j];
            void *p = (char *) t->base + o->offset;
            if (!cur || strcmp(cur, o->section) != 0) {
                fprintf(f, "%s[%s]\n", cur ? "\n" : "", o->section);
                cur = o->section;
            }
            char help[1024];
            if (o->type == CONF_INT) {
                snprintf(help, sizeof(help), "%s (%lld..%lld)", o->help, o->min,
                    o->max);
            } else {
                snprintf(help, sizeof(help), "%s", o->help);
            }
            print_comment(f, help);
            fprintf(f, "%s = ", o->key);
            if (o->flags & CONF_SECRET) {
                const char *s = o->type == CONF_STR ? *(char **) p : NULL;
                fprintf(f, "%s\n", s && *s ? "(set)" : "");
                continue;
            }
            switch (o->type) {
            case CONF_INT:
                fprintf(f, "%" PRId64 "\n", *(int64_t *) p);
                break;
            case CONF_BOOL:
                fprintf(f, "%s\n", *(bool *) p ? "true" : "false");
                break;
            case CONF_STR:
                fprintf(f, "%s\n", *(char **) p ? *(char **) p : "");
                break;
            }
        }
    }
}

void
conf_release(struct conf *c)
{
    for (size_t i = 0; i < c->ntables; i++) {
        const struct conf_table *t = &c->tables[i];
        for (size_t j = 0; j < t->count; j++) {
            if (t->opts[j].type == CONF_STR) {
                char **slot = (char **) ((char *) t->base + t->opts[j].offset);
                free(*slot);
                *slot = NULL;
            }
        }
    }
}

const char *
conf_error(const struct conf *c)
{
    return c->err[0] ? c->err : "no error";
}
