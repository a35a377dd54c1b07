/*
 * sipward explain / compare: the response-code reference on the terminal.
 * All knowledge comes from the catalog in sip/sip_codes.h; this file only
 * resolves what the user typed and lays the text out (or emits JSON).
 */
#include <ctype.h>
#include <stdarg.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "sip/sip_codes.h"

const char cmd_explain_usage[] =
    "usage: sipward explain CODE [--json | --brief]\n"
    "       sipward explain --list [--json]\n"
    "\n"
    "Explains a SIP response code: reason phrase, class, defining RFC, what\n"
    "it means, when you see it, how to fix it, and the codes it is often\n"
    "confused with. A code in 100..699 that IANA has not registered gets the\n"
    "generic meaning of its class. Anything else is an error (exit 2) that\n"
    "names the nearest registered codes.\n"
    "\n"
    "options:\n"
    "      --list     list every registered code\n"
    "      --json     print JSON instead of text\n"
    "      --brief    one paragraph: phrase, class, meaning, first fix\n"
    "  -h, --help     this text\n";

const char cmd_compare_usage[] =
    "usage: sipward compare A B [--json]\n"
    "       sipward compare --list [--json]\n"
    "\n"
    "Shows two SIP response codes side by side: class, meaning, when you\n"
    "see each, how to fix each, then the key differences and when to use\n"
    "which. Commonly confused pairs (301/302, 436/437/438, 486/600, ...)\n"
    "have hand-written notes; other pairs get differences derived from\n"
    "their classes and meanings.\n"
    "\n"
    "options:\n"
    "      --list     list the pairs that have hand-written notes\n"
    "      --json     print JSON instead of text\n"
    "  -h, --help     this text\n";

enum {
    WIDTH = 78, /* text output never exceeds this many columns */
    NSUGGEST = 3,
    MAX_CONFUSED = 16,
};

/* A code the user asked about, registered or not. */
struct code_view {
    int code;
    bool registered;
    const char *reason;
    const struct sip_code_info *ci; /* the registered entry or the generic */
};

/* Appends printf output to a growing string; *s stays NUL-terminated. */
static void sbuf_add(char **s, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
sbuf_add(char **s, size_t *len, const char *fmt, ...)
{
    va_list ap;
    int n;
    char *p;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !(p = realloc(*s, *len + (size_t) n + 1))) {
        return;
    }
    *s = p;
    va_start(ap, fmt);
    vsnprintf(*s + *len, (size_t) n + 1, fmt, ap);
    va_end(ap);
    *len += (size_t) n;
}

static bool
parse_int(const char *s, long *out)
{
    char *end;

    if (!isdigit((unsigned char) s[0]) || strlen(s) > 9) {
        return false;
    }
    *out = strtol(s, &end, 10);
    return *end == '\0';
}

/*
 * Registered codes close to what was typed: for one or two digits the codes
 * they start ("43" -> 430, 433, 436), for longer numbers the first three
 * digits ("4380" -> 438) and then the numerically nearest codes.
 */
static size_t
suggest(const char *arg, int *out, size_t max)
{
    size_t n = 0, len;
    long v;

    if (arg[0] == '-') {
        arg++; /* a negative number: suggest as for its magnitude */
    }
    len = strlen(arg);
    if (!parse_int(arg, &v)) {
        /* Not a number: match reason phrases ("busy" -> 486, 600). */
        for (size_t i = 0; i < sip_code_count() && n < max; i++) {
            const struct sip_code_info *ci = sip_code_at(i);

            if (arg[0] != '\0' && strcasestr(ci->reason, arg)) {
                out[n++] = ci->code;
            }
        }
        return n;
    }
    if (len <= 2 && v > 0) {
        long lo = len == 1 ? v * 100 : v * 10;
        long hi = len == 1 ? lo + 99 : lo + 9;

        for (size_t i = 0; i < sip_code_count() && n < max; i++) {
            int c = sip_code_at(i)->code;

            if (c >= lo && c <= hi) {
                out[n++] = c;
            }
        }
        if (n > 0) {
            return n;
        }
    }
    while (v > SIP_CODE_MAX && len > 3) {
        v /= 10;
        len--;
    }
    return sip_code_nearest((int) v, out, max);
}

static int
code_error(const char *cmd, const char *arg, const char *why)
{
    int near[NSUGGEST];
    size_t n = suggest(arg, near, NSUGGEST);
    char buf[256];
    size_t off = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < n && off < sizeof(buf); i++) {
        int w = snprintf(buf + off, sizeof(buf) - off, "%s%d %s", i ? ", " : "",
            near[i], sip_code_reason(near[i]));

        if (w < 0) {
            break;
        }
        off += (size_t) w;
    }
    if (n == 0) {
        return cli_usage_error(cmd,
            "'%s' %s; give a number from 100 to 699 "
            "('sipward explain --list' lists every code)",
            arg, why);
    }
    return cli_usage_error(cmd,
        "'%s' %s; %s code%s: %s "
        "('sipward explain --list' lists every code)",
        arg, why,
        isdigit((unsigned char) arg[arg[0] == '-']) ? "nearest registered"
                                                    : "matching",
        n > 1 ? "s" : "", buf);
}

/* Resolves what the user typed; returns 0, or 2 after printing why not. */
static int
resolve(const char *cmd, const char *arg, struct code_view *v)
{
    long code;

    if (arg[0] == '-' && parse_int(arg + 1, &code)) {
        return code_error(
            cmd, arg, "is outside the SIP response-code range 100..699");
    }
    if (!parse_int(arg, &code)) {
        return code_error(cmd, arg, "is not a response code");
    }
    if (code < SIP_CODE_MIN || code > SIP_CODE_MAX) {
        return code_error(
            cmd, arg, "is outside the SIP response-code range 100..699");
    }
    v->code = (int) code;
    v->ci = sip_code_find(v->code);
    v->registered = v->ci != NULL;
    if (!v->ci) {
        v->ci = sip_code_generic(sip_code_class_of(v->code));
    }
    v->reason = sip_code_reason(v->code);
    return 0;
}

/* "RFC 3261 §21.4.18", or just the RFC where no section is recorded. */
static const char *
defined_in(const struct sip_code_info *ci, char *buf, size_t n)
{
    if (ci->section[0] == '\0') {
        return ci->rfc;
    }
    snprintf(buf, n, "%s §%s", ci->rfc, ci->section);
    return buf;
}

/* The code RFC 3261 §8.1.3.2 says to treat an unregistered code as. */
static int
treated_as(const struct code_view *v)
{
    if (v->ci->cls == SIP_CODE_CLASS_PROVISIONAL && v->code != 100) {
        return 183;
    }
    return (int) v->ci->cls * 100;
}

static size_t
confused_with(int code, int *out, size_t max)
{
    size_t n = 0;

    for (size_t i = 0; i < sip_code_pair_count() && n < max; i++) {
        const struct sip_code_pair *p = sip_code_pair_at(i);

        if (p->a == code) {
            out[n++] = p->b;
        } else if (p->b == code) {
            out[n++] = p->a;
        }
    }
    return n;
}

/*
 * Splits text into lines of at most width columns at spaces; calls emit for
 * each. Counts UTF-8 continuation bytes as zero columns (the texts use §).
 */
typedef void line_cb(void *arg, const char *p, int len);

static void
wrap(const char *text, int width, line_cb *emit, void *arg)
{
    const char *p = text;

    while (*p) {
        const char *brk = NULL, *q = p;
        int cols = 0;

        while (*q && cols <= width) {
            if (*q == ' ') {
                brk = q;
            }
            if (((unsigned char) *q & 0xC0) != 0x80) {
                cols++;
            }
            q++;
        }
        if (!*q && cols <= width) {
            emit(arg, p, (int) (q - p));
            return;
        }
        if (!brk || brk == p) {
            brk = q - 1; /* a word longer than the line: cut it */
        }
        emit(arg, p, (int) (brk - p));
        p = *brk == ' ' ? brk + 1 : brk;
    }
}

struct indent_out {
    FILE *f;
    int indent;
};

static void
emit_indented(void *arg, const char *p, int len)
{
    struct indent_out *o = arg;

    fprintf(o->f, "%*s%.*s\n", o->indent, "", len, p);
}

static void
fprint_para(FILE *f, const char *text, int indent)
{
    struct indent_out o = { f, indent };

    wrap(text, WIDTH - indent, emit_indented, &o);
}

static void
print_para(const char *title, const char *text, int indent)
{
    if (title) {
        printf("\n%s\n", title);
    }
    fprint_para(stdout, text, indent);
}

static void
print_explain(const struct code_view *v)
{
    int conf[MAX_CONFUSED];
    size_t n;

    printf("%d %s%s\n", v->code, v->reason,
        v->registered ? "" : " (not registered)");
    printf("  class:   %s (%s)\n", sip_code_class_name(v->ci->cls),
        sip_code_class_range(v->ci->cls));
    if (v->registered) {
        char def[64];

        printf("  defined: %s\n", defined_in(v->ci, def, sizeof(def)));
    } else {
        char note[160];

        snprintf(note, sizeof(note),
            "%d is not in the IANA response-code registry; a UA treats it "
            "as %d %s (%s §8.1.3.2).",
            v->code, treated_as(v), sip_code_reason(treated_as(v)), v->ci->rfc);
        print_para(NULL, note, 2);
    }
    print_para("What it means", v->ci->meaning, 2);
    print_para("When you see it", v->ci->when, 2);
    print_para("How to fix it", v->ci->fix, 2);
    n = confused_with(v->code, conf, MAX_CONFUSED);
    if (n > 0) {
        printf("\nOften confused with\n");
        for (size_t i = 0; i < n; i++) {
            printf("  %d %-36s sipward compare %d %d\n", conf[i],
                sip_code_reason(conf[i]), v->code, conf[i]);
        }
    }
}

static json_t *
code_json(const struct code_view *v)
{
    int conf[MAX_CONFUSED];
    size_t n = confused_with(v->code, conf, MAX_CONFUSED);
    json_t *o, *arr = json_array();

    for (size_t i = 0; i < n; i++) {
        json_array_append_new(arr, json_integer(conf[i]));
    }
    o = json_pack("{s:i, s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:s, s:s, s:o}",
        "code", v->code, "reason", v->reason, "class",
        sip_code_class_name(v->ci->cls), "class_range",
        sip_code_class_range(v->ci->cls), "registered", v->registered, "rfc",
        v->ci->rfc, "section", v->ci->section, "meaning", v->ci->meaning,
        "when", v->ci->when, "fix", v->ci->fix, "confused_with", arr);
    if (o && !v->registered) {
        json_object_set_new(o, "treated_as", json_integer(treated_as(v)));
    }
    return o;
}

static int
print_json(json_t *j)
{
    int rc = 1;

    if (j && json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == 0) {
        putchar('\n');
        rc = 0;
    }
    json_decref(j);
    return rc;
}

static int
list_codes(bool json)
{
    json_t *arr = json ? json_array() : NULL;
    enum sip_code_class cur = SIP_CODE_CLASS_NONE;

    for (size_t i = 0; i < sip_code_count(); i++) {
        const struct sip_code_info *ci = sip_code_at(i);

        if (json) {
            json_array_append_new(arr,
                json_pack("{s:i, s:s, s:s, s:s}", "code", ci->code, "reason",
                    ci->reason, "class", sip_code_class_name(ci->cls), "rfc",
                    ci->rfc));
            continue;
        }
        if (ci->cls != cur) {
            cur = ci->cls;
            printf("%s%s %s\n", i ? "\n" : "", sip_code_class_range(cur),
                sip_code_class_name(cur));
        }
        printf("  %d  %-40s %s\n", ci->code, ci->reason, ci->rfc);
    }
    return json ? print_json(arr) : 0;
}

/*
 * Parses --json and --list before or after the operands; leaves the operands in
 * argv[optind..*argcp). Returns 0 or the exit code of a usage error.
 */
static int
parse_opts(const char *cmd, int *argcp, char **argv, bool *json, bool *list,
    bool *brief)
{
    int argc = *argcp;
    static const struct option longopts[] = {
        { "json", no_argument, NULL, 'j' },
        { "list", no_argument, NULL, 'l' },
        { "brief", no_argument, NULL, 'b' },
        { NULL, 0, NULL, 0 },
    };
    int opt;

    opterr = 0;
    optind = 1;
    /* "+" keeps getopt from reading "-5" style operands as options. */
    while ((opt = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
        switch (opt) {
        case 'j':
            *json = true;
            break;
        case 'l':
            *list = true;
            break;
        case 'b':
            if (!brief) {
                return cli_usage_error(
                    cmd, "unknown option '--brief' (try --help)");
            }
            *brief = true;
            break;
        default:
            /* "-5" is a (negative) code, not an option. */
            if (isdigit((unsigned char) argv[optind - 1][1])) {
                return code_error(cmd, argv[optind - 1],
                    "is outside the SIP response-code range 100..699");
            }
            return cli_usage_error(
                cmd, "unknown option '%s' (try --help)", argv[optind - 1]);
        }
    }
    /* Options may also follow the operands: "explain 438 --json". */
    for (int i = optind; i < argc; i++) {
        bool is_json = strcmp(argv[i], "--json") == 0;
        bool is_brief = brief && strcmp(argv[i], "--brief") == 0;

        if (is_json || is_brief) {
            *(is_json ? json : brief) = true;
            memmove(
                &argv[i], &argv[i + 1], sizeof(*argv) * (size_t) (argc - i));
            argc--;
            i--;
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            return cli_usage_error(
                cmd, "unknown option '%s' (try --help)", argv[i]);
        }
    }
    *argcp = argc;
    return 0;
}

void
cli_code_brief(FILE *f, int code, int indent)
{
    const struct sip_code_info *ci = sip_code_find(code);
    enum sip_code_class cls = sip_code_class_of(code);
    char *text = NULL;
    size_t len = 0;

    if (cls == SIP_CODE_CLASS_NONE) {
        fprintf(f, "%*s%d is not a SIP response code (100..699)\n", indent, "",
            code);
        return;
    }
    if (!ci) {
        ci = sip_code_generic(cls);
    }
    sbuf_add(&text, &len, "%d %s (%s %s, %s%s): %.*s Fix: %.*s", code,
        sip_code_reason(code), sip_code_class_range(cls),
        sip_code_class_name(cls),
        ci->code == code ? "" : "not registered, see ", ci->rfc,
        (int) sip_code_sentence_len(ci->meaning), ci->meaning,
        (int) sip_code_sentence_len(ci->fix), ci->fix);
    if (text) {
        fprint_para(f, text, indent);
    }
    free(text);
}

int
cmd_explain(int argc, char **argv)
{
    bool json = false, list = false, brief = false;
    struct code_view v;
    int rc;

    rc = parse_opts("explain", &argc, argv, &json, &list, &brief);
    if (rc != 0) {
        return rc;
    }
    if (list) {
        if (optind < argc) {
            return cli_usage_error("explain", "--list takes no code");
        }
        return list_codes(json);
    }
    if (argc - optind != 1) {
        return cli_usage_error("explain",
            "give exactly one response code, e.g. 'sipward explain 438' "
            "(try --help)");
    }
    if (json && brief) {
        return cli_usage_error(
            "explain", "--json and --brief exclude each other");
    }
    rc = resolve("explain", argv[optind], &v);
    if (rc != 0) {
        return rc;
    }
    if (brief) {
        cli_code_brief(stdout, v.code, 0);
        return 0;
    }
    if (json) {
        return print_json(code_json(&v));
    }
    print_explain(&v);
    return 0;
}

/* ---- compare ---- */

static void
generic_compare(const struct code_view *a, const struct code_view *b,
    char **diff, char **choose)
{
    size_t dl = 0, cl = 0;
    enum sip_code_class ca = a->ci->cls, cb = b->ci->cls;

    if (ca == cb) {
        sbuf_add(diff, &dl, "Both are %s responses (%s), %s. ",
            sip_code_class_name(ca), sip_code_class_range(ca),
            sip_code_class_effect(ca));
    } else {
        sbuf_add(diff, &dl, "%d is %s; %d is %s. ", a->code,
            sip_code_class_effect(ca), b->code, sip_code_class_effect(cb));
    }
    sbuf_add(diff, &dl, "%d %s: %.*s %d %s: %.*s", a->code, a->reason,
        (int) sip_code_sentence_len(a->ci->meaning), a->ci->meaning, b->code,
        b->reason, (int) sip_code_sentence_len(b->ci->meaning), b->ci->meaning);
    if (!a->registered || !b->registered) {
        const struct code_view *u = a->registered ? b : a;

        sbuf_add(diff, &dl,
            " %d is not registered with IANA; a UA treats it as %d.", u->code,
            treated_as(u));
    } else if (strcmp(a->ci->rfc, b->ci->rfc) != 0) {
        sbuf_add(diff, &dl, " %d is defined in %s, %d in %s.", a->code,
            a->ci->rfc, b->code, b->ci->rfc);
    }

    sbuf_add(choose, &cl, "Typical for %d: %.*s Typical for %d: %.*s", a->code,
        (int) sip_code_sentence_len(a->ci->when), a->ci->when, b->code,
        (int) sip_code_sentence_len(b->ci->when), b->ci->when);
    if ((ca == SIP_CODE_CLASS_CLIENT_FAILURE
            && cb == SIP_CODE_CLASS_GLOBAL_FAILURE)
        || (cb == SIP_CODE_CLASS_CLIENT_FAILURE
            && ca == SIP_CODE_CLASS_GLOBAL_FAILURE)) {
        sbuf_add(choose, &cl,
            " Send the 6xx only when the outcome is certain for every "
            "endpoint of the user; the 4xx lets a forking proxy try the "
            "others.");
    } else if ((ca == SIP_CODE_CLASS_CLIENT_FAILURE
                   && cb == SIP_CODE_CLASS_SERVER_FAILURE)
        || (cb == SIP_CODE_CLASS_CLIENT_FAILURE
            && ca == SIP_CODE_CLASS_SERVER_FAILURE)) {
        sbuf_add(choose, &cl,
            " A 4xx blames the request (change it before retrying); a 5xx "
            "blames the server (retry later or at another server).");
    } else if (ca == SIP_CODE_CLASS_REDIRECTION
        || cb == SIP_CODE_CLASS_REDIRECTION) {
        sbuf_add(choose, &cl,
            " A 3xx gives the caller somewhere else to go; use it when you "
            "know a better target, a failure code when you do not.");
    } else if (ca == SIP_CODE_CLASS_PROVISIONAL
        || cb == SIP_CODE_CLASS_PROVISIONAL) {
        sbuf_add(choose, &cl,
            " A 1xx never ends the transaction; only the other code can be "
            "a final answer.");
    }
    if (!*diff || !*choose) {
        free(*diff);
        free(*choose);
        *diff = *choose = NULL;
    }
}

/* Side-by-side columns: wrap each text, then print the lines in pairs. */
struct lines {
    const char **p;
    int *len;
    size_t n, cap;
};

static void
collect(void *arg, const char *p, int len)
{
    struct lines *l = arg;

    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        const char **np = realloc(l->p, cap * sizeof(*np));
        int *nl;

        if (!np) {
            return;
        }
        l->p = np;
        nl = realloc(l->len, cap * sizeof(*nl));
        if (!nl) {
            return;
        }
        l->len = nl;
        l->cap = cap;
    }
    l->p[l->n] = p;
    l->len[l->n] = len;
    l->n++;
}

enum {
    COL = 36, /* "  " + 36 + " | " + 36 = 77 columns */
};

static int
display_cols(const char *p, int len)
{
    int cols = 0;

    for (int i = 0; i < len; i++) {
        cols += ((unsigned char) p[i] & 0xC0) != 0x80;
    }
    return cols;
}

static void
print_columns(const char *title, const char *left, const char *right)
{
    struct lines l = { 0 }, r = { 0 };
    int w = COL;

    wrap(left, w, collect, &l);
    wrap(right, w, collect, &r);
    if (title) {
        printf("\n%s\n", title);
    }
    for (size_t i = 0; i < l.n || i < r.n; i++) {
        int pad = w;

        printf("  ");
        if (i < l.n) {
            printf("%.*s", l.len[i], l.p[i]);
            pad -= display_cols(l.p[i], l.len[i]);
        }
        printf("%*s", pad, "");
        if (i < r.n) {
            printf(" | %.*s\n", r.len[i], r.p[i]);
        } else {
            printf(" |\n");
        }
    }
    free(l.p);
    free(l.len);
    free(r.p);
    free(r.len);
}

static void
print_compare(const struct code_view *a, const struct code_view *b,
    const char *diff, const char *choose, bool hand)
{
    char ha[64], hb[64];

    snprintf(ha, sizeof(ha), "%d %s%s", a->code, a->reason,
        a->registered ? "" : " (not registered)");
    snprintf(hb, sizeof(hb), "%d %s%s", b->code, b->reason,
        b->registered ? "" : " (not registered)");
    printf("%d %s  vs  %d %s\n", a->code, a->reason, b->code, b->reason);
    print_columns(NULL, ha, hb);
    snprintf(ha, sizeof(ha), "%s (%s)", sip_code_class_name(a->ci->cls),
        sip_code_class_range(a->ci->cls));
    snprintf(hb, sizeof(hb), "%s (%s)", sip_code_class_name(b->ci->cls),
        sip_code_class_range(b->ci->cls));
    print_columns("Class", ha, hb);
    print_columns("Defined in",
        a->registered ? defined_in(a->ci, ha, sizeof(ha)) : "not registered",
        b->registered ? defined_in(b->ci, hb, sizeof(hb)) : "not registered");
    print_columns("What it means", a->ci->meaning, b->ci->meaning);
    print_columns("When you see it", a->ci->when, b->ci->when);
    print_columns("How to fix it", a->ci->fix, b->ci->fix);
    print_para(hand ? "Key differences"
                    : "Key differences (derived from class and meaning)",
        diff, 2);
    print_para("When to use which", choose, 2);
}

static int
list_pairs(bool json)
{
    json_t *arr = json ? json_array() : NULL;

    for (size_t i = 0; i < sip_code_pair_count(); i++) {
        const struct sip_code_pair *p = sip_code_pair_at(i);

        if (json) {
            json_array_append_new(arr,
                json_pack("{s:i, s:i, s:s, s:s}", "a", p->a, "b", p->b,
                    "a_reason", sip_code_reason(p->a), "b_reason",
                    sip_code_reason(p->b)));
            continue;
        }
        printf("  %d %-30s vs  %d %s\n", p->a, sip_code_reason(p->a), p->b,
            sip_code_reason(p->b));
    }
    return json ? print_json(arr) : 0;
}

int
cmd_compare(int argc, char **argv)
{
    bool json = false, list = false;
    struct code_view a, b;
    const struct sip_code_pair *pair;
    char *diff = NULL, *choose = NULL;
    int rc;

    rc = parse_opts("compare", &argc, argv, &json, &list, NULL);
    if (rc != 0) {
        return rc;
    }
    if (list) {
        if (optind < argc) {
            return cli_usage_error("compare", "--list takes no code");
        }
        return list_pairs(json);
    }
    if (argc - optind != 2) {
        return cli_usage_error("compare",
            "give exactly two response codes, e.g. 'sipward compare 301 302' "
            "(try --help)");
    }
    rc = resolve("compare", argv[optind], &a);
    if (rc == 0) {
        rc = resolve("compare", argv[optind + 1], &b);
    }
    if (rc != 0) {
        return rc;
    }
    if (a.code == b.code) {
        return cli_usage_error("compare",
            "both codes are %d; give two different codes (or 'sipward "
            "explain %d')",
            a.code, a.code);
    }
    pair = sip_code_pair_find(a.code, b.code);
    if (pair) {
        diff = strdup(pair->difference);
        choose = strdup(pair->choose);
    } else {
        generic_compare(&a, &b, &diff, &choose);
    }
    if (!diff || !choose) {
        rc = 1;
        goto out;
    }
    if (json) {
        json_t *o = json_pack("{s:o, s:o, s:b, s:s, s:s, s:s}", "a",
            code_json(&a), "b", code_json(&b), "same_class",
            a.ci->cls == b.ci->cls, "differences", diff, "when_to_use", choose,
            "source", pair ? "hand-written" : "generic");

        rc = print_json(o);
        goto out;
    }
    print_compare(&a, &b, diff, choose, pair != NULL);
    rc = 0;
out:
    free(diff);
    free(choose);
    return rc;
}
