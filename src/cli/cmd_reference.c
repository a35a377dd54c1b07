/*
 * sipward reference --html DIR: the response-code catalog as a static site.
 * Flat layout so every link is a plain relative file name:
 *   index.html            codes by class, and the confused pairs
 *   code-NNN.html         one page per registered code
 *   compare-AAA-BBB.html  one page per hand-written pair (AAA < BBB)
 *   style.css
 * Code pages link to their comparisons and comparisons link back.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "http/http_html.h"
#include "sip/sip_codes.h"

const char cmd_reference_usage[] =
    "usage: sipward reference --html DIR\n"
    "\n"
    "Writes the SIP response-code reference as a static web site into DIR\n"
    "(created if missing): an index by class, one page per registered code\n"
    "and a comparison page for each commonly confused pair. Plain HTML and\n"
    "CSS, no scripts; open DIR/index.html in a browser.\n"
    "\n"
    "options:\n"
    "      --html DIR   write the site into DIR\n"
    "  -h, --help       this text\n";

static const char css[] =
    ":root{--bg:#f4f6f8;--card:#fff;--ink:#1d2733;--mute:#5b6b7c;"
    "--line:#dde3ea;--accent:#0b6bcb;"
    "--c1:#6b7785;--c2:#1e8e3e;--c3:#0b6bcb;--c4:#c26401;--c5:#c62828;"
    "--c6:#7b3fb6}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;background:var(--bg);color:var(--ink);"
    "font:16px/1.55 system-ui,-apple-system,'Segoe UI',Roboto,"
    "'DejaVu Sans',sans-serif}\n"
    "a{color:var(--accent);text-decoration:none}a:hover{text-decoration:"
    "underline}\n"
    "header.top{background:#17212b;color:#fff;padding:14px 0}\n"
    "header.top .wrap{display:flex;align-items:baseline;gap:18px}\n"
    "header.top a{color:#fff;font-weight:600;font-size:18px}\n"
    "header.top span{color:#9fb0c2;font-size:14px}\n"
    ".wrap{max-width:1040px;margin:0 auto;padding:0 24px}\n"
    "main{padding:24px 0 48px}\n"
    "h1{font-size:30px;margin:6px 0 10px;line-height:1.25}\n"
    "h2{font-size:20px;margin:30px 0 10px}\n"
    "h3{font-size:13px;text-transform:uppercase;letter-spacing:.06em;"
    "color:var(--mute);margin:18px 0 6px}\n"
    "p{margin:0 0 10px}\n"
    ".crumbs{font-size:14px;color:var(--mute)}\n"
    ".lead{color:var(--mute);max-width:760px}\n"
    ".card{background:var(--card);border:1px solid var(--line);"
    "border-radius:10px;padding:18px 22px;margin:14px 0;"
    "box-shadow:0 1px 2px rgba(16,24,40,.04)}\n"
    ".chip{display:inline-block;border-radius:999px;padding:2px 10px;"
    "font-size:13px;font-weight:600;color:#fff;margin-right:6px}\n"
    ".chip.rfc{background:#e8eef5;color:var(--ink)}\n"
    ".k1{background:var(--c1)}.k2{background:var(--c2)}.k3{background:"
    "var(--c3)}.k4{background:var(--c4)}.k5{background:var(--c5)}.k6{"
    "background:var(--c6)}\n"
    ".nav{display:flex;flex-wrap:wrap;gap:8px;margin:16px 0}\n"
    ".nav a{background:var(--card);border:1px solid var(--line);"
    "border-radius:8px;padding:6px 12px;font-weight:600}\n"
    "table{width:100%;border-collapse:collapse;background:var(--card);"
    "border:1px solid var(--line);border-radius:10px;overflow:hidden}\n"
    "th,td{text-align:left;padding:9px 12px;border-top:1px solid "
    "var(--line);vertical-align:top}\n"
    "th{background:#eef2f6;font-size:13px;color:var(--mute);border-top:0}\n"
    "td.code{font-weight:700;font-variant-numeric:tabular-nums;width:64px}\n"
    "td.reason{width:300px;font-weight:600}td.rfc{width:96px;color:"
    "var(--mute);white-space:nowrap}td.sum{color:var(--mute);font-size:"
    "14px}\n"
    ".section-title{display:flex;align-items:center;gap:10px}\n"
    ".grid{display:grid;grid-template-columns:1fr 1fr;gap:18px}\n"
    ".grid .card{margin:0}\n"
    ".grid h2{margin-top:4px}\n"
    ".pairs{display:grid;grid-template-columns:repeat(auto-fill,"
    "minmax(300px,1fr));gap:10px}\n"
    ".pairs a{display:block;background:var(--card);border:1px solid "
    "var(--line);border-radius:8px;padding:10px 14px;color:var(--ink)}\n"
    ".pairs a b{color:var(--accent)}\n"
    ".pairs a:hover{border-color:var(--accent);text-decoration:none}\n"
    ".note{border-left:4px solid var(--accent)}\n"
    ".card>h3:first-child{margin-top:0}\n"
    ".cli{color:var(--mute);font-size:14px;margin-top:22px}\n"
    "code{font:13px/1.4 ui-monospace,'DejaVu Sans Mono',monospace;"
    "background:#e8eef5;border-radius:5px;padding:2px 6px;color:var(--ink)}"
    "\n"
    ".crumbs{margin-top:4px}\n"
    ".pager{display:flex;justify-content:space-between;margin-top:28px;"
    "font-size:15px}\n"
    "footer{color:var(--mute);font-size:13px;padding:18px 0 30px;"
    "border-top:1px solid var(--line)}\n"
    "@media (max-width:760px){.grid{grid-template-columns:1fr}"
    "td.reason{width:auto}.sum{display:none}}\n";

struct site {
    const char *dir;
    int err; /* first errno met while writing */
};

static void
esc(FILE *f, const char *s)
{
    http_html_escape(f, s, strlen(s));
}

static FILE *
page_open(struct site *st, const char *name)
{
    char path[4096];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", st->dir, name);
    f = fopen(path, "w");
    if (!f && st->err == 0) {
        st->err = errno;
        fprintf(stderr, "sipward reference: cannot write %s: %s\n", path,
            strerror(errno));
    }
    return f;
}

static void
page_close(struct site *st, FILE *f)
{
    fputs("</main>\n<footer><div class=\"wrap\">Generated by sipward "
          "reference from sipward's response-code catalog (IANA SIP "
          "Response Codes registry). <a href=\"index.html\">All "
          "codes</a></div></footer>\n</body>\n</html>\n",
        f);
    if ((ferror(f) | fclose(f)) != 0 && st->err == 0) {
        st->err = errno ? errno : EIO;
        fprintf(stderr, "sipward reference: write error in %s\n", st->dir);
    }
}

static void
page_head(FILE *f, const char *title_code, const char *title_rest)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta "
          "charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, "
          "initial-scale=1\">\n<title>",
        f);
    if (title_code) {
        esc(f, title_code);
        fputs(" ", f);
    }
    esc(f, title_rest);
    fputs(" · SIP response codes</title>\n"
          "<link rel=\"stylesheet\" href=\"style.css\">\n</head>\n<body>\n"
          "<header class=\"top\"><div class=\"wrap\"><a href=\"index.html\">"
          "SIP response codes</a><span>sipward reference</span></div>"
          "</header>\n<main class=\"wrap\">\n",
        f);
}

static void
class_chip(FILE *f, enum sip_code_class cls)
{
    fprintf(f, "<span class=\"chip k%d\">%s %s</span>", (int) cls,
        sip_code_class_range(cls), sip_code_class_name(cls));
}

/* "RFC 3261" and "21.4.18" -> a link to that section at the RFC Editor. */
static void
rfc_chip(FILE *f, const struct sip_code_info *ci)
{
    int num;

    if (sscanf(ci->rfc, "RFC %d", &num) != 1) {
        fputs("<span class=\"chip rfc\">", f);
        esc(f, ci->rfc);
        fputs("</span>", f);
        return;
    }
    fprintf(f,
        "<a class=\"chip rfc\" href=\"https://www.rfc-editor.org/rfc/"
        "rfc%d",
        num);
    if (ci->section[0] != '\0') {
        fprintf(
            f, "#section-%s\">%s §%s</a>", ci->section, ci->rfc, ci->section);
    } else {
        fprintf(f, "\">%s</a>", ci->rfc);
    }
}

static void
pair_link(FILE *f, const struct sip_code_pair *p, int from)
{
    int other = p->a == from ? p->b : p->a;

    fprintf(f, "<a href=\"compare-%d-%d.html\">", p->a, p->b);
    if (from) {
        fprintf(f, "<b>vs %d</b> ", other);
        esc(f, sip_code_reason(other));
    } else {
        fprintf(f, "<b>%d vs %d</b> ", p->a, p->b);
        esc(f, sip_code_reason(p->a));
        fputs(" / ", f);
        esc(f, sip_code_reason(p->b));
    }
    fputs("</a>\n", f);
}

static void
write_index(struct site *st)
{
    FILE *f = page_open(st, "index.html");
    enum sip_code_class cur = SIP_CODE_CLASS_NONE;

    if (!f) {
        return;
    }
    page_head(f, NULL, "Index");
    fprintf(f,
        "<h1>SIP response codes</h1>\n<p class=\"lead\">Every code in the "
        "IANA SIP response-code registry (%zu codes): what it means, when "
        "you see it in a trace and how to fix it, and how it differs from "
        "the codes it is confused with.</p>\n<nav class=\"nav\">",
        sip_code_count());
    for (int c = SIP_CODE_CLASS_PROVISIONAL; c <= SIP_CODE_CLASS_GLOBAL_FAILURE;
         c++) {
        fprintf(f, "<a href=\"#c%d\">%s %s</a>", c, sip_code_class_range(c),
            sip_code_class_name(c));
    }
    fputs("<a href=\"#pairs\">Confused pairs</a></nav>\n", f);
    for (size_t i = 0; i < sip_code_count(); i++) {
        const struct sip_code_info *ci = sip_code_at(i);

        if (ci->cls != cur) {
            if (cur != SIP_CODE_CLASS_NONE) {
                fputs("</table>\n", f);
            }
            cur = ci->cls;
            fprintf(f, "<h2 id=\"c%d\" class=\"section-title\">", (int) cur);
            class_chip(f, cur);
            fprintf(f, "</h2>\n<p class=\"lead\">%s responses are ",
                sip_code_class_range(cur));
            esc(f, sip_code_class_effect(cur));
            fputs(".</p>\n<table>\n<tr><th>Code</th><th>Reason phrase</th>"
                  "<th>Defined in</th><th class=\"sum\">In one "
                  "sentence</th></tr>\n",
                f);
        }
        fprintf(f,
            "<tr><td class=\"code\"><a href=\"code-%d.html\">%d</a></td>"
            "<td class=\"reason\"><a href=\"code-%d.html\">",
            ci->code, ci->code, ci->code);
        esc(f, ci->reason);
        fputs("</a></td><td class=\"rfc\">", f);
        esc(f, ci->rfc);
        fputs("</td><td class=\"sum\">", f);
        http_html_escape(f, ci->meaning, sip_code_sentence_len(ci->meaning));
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n<h2 id=\"pairs\">Commonly confused pairs</h2>\n"
          "<div class=\"pairs\">\n",
        f);
    for (size_t i = 0; i < sip_code_pair_count(); i++) {
        pair_link(f, sip_code_pair_at(i), 0);
    }
    fputs("</div>\n<p class=\"cli\">Codes in 100..699 that IANA has not "
          "registered are treated as the x00 code of their class (any "
          "unknown 1xx as 183), per RFC 3261 §8.1.3.2. On the command line: "
          "<code>sipward explain CODE</code>, <code>sipward compare A "
          "B</code>.</p>\n",
        f);
    page_close(st, f);
}

static void
code_sections(FILE *f, const struct sip_code_info *ci, const char *hx)
{
    fprintf(f, "<%s>What it means</%s>\n<p>", hx, hx);
    esc(f, ci->meaning);
    fprintf(f, "</p>\n<%s>When you see it</%s>\n<p>", hx, hx);
    esc(f, ci->when);
    fprintf(f, "</p>\n<%s>How to fix it</%s>\n<p>", hx, hx);
    esc(f, ci->fix);
    fputs("</p>\n", f);
}

static void
write_code(struct site *st, size_t i)
{
    const struct sip_code_info *ci = sip_code_at(i);
    const struct sip_code_info *prev = i > 0 ? sip_code_at(i - 1) : NULL;
    const struct sip_code_info *next = sip_code_at(i + 1);
    char name[32], num[8];
    FILE *f;
    bool any = false;

    snprintf(name, sizeof(name), "code-%d.html", ci->code);
    snprintf(num, sizeof(num), "%d", ci->code);
    f = page_open(st, name);
    if (!f) {
        return;
    }
    page_head(f, num, ci->reason);
    fprintf(f,
        "<div class=\"crumbs\"><a href=\"index.html\">All codes</a> › "
        "<a href=\"index.html#c%d\">%s %s</a> › %d</div>\n<h1>%d ",
        (int) ci->cls, sip_code_class_range(ci->cls),
        sip_code_class_name(ci->cls), ci->code, ci->code);
    esc(f, ci->reason);
    fputs("</h1>\n<p>", f);
    class_chip(f, ci->cls);
    rfc_chip(f, ci);
    fputs("</p>\n<div class=\"card\">\n", f);
    code_sections(f, ci, "h3");
    fputs("</div>\n", f);
    for (size_t k = 0; k < sip_code_pair_count(); k++) {
        const struct sip_code_pair *p = sip_code_pair_at(k);

        if (p->a != ci->code && p->b != ci->code) {
            continue;
        }
        if (!any) {
            fputs("<h2>Often confused with</h2>\n<div class=\"pairs\">\n", f);
            any = true;
        }
        pair_link(f, p, ci->code);
    }
    if (any) {
        fputs("</div>\n", f);
    }
    fprintf(f,
        "<p class=\"cli\">On the command line: <code>sipward explain "
        "%d</code></p>\n",
        ci->code);
    fputs("<div class=\"pager\"><span>", f);
    if (prev) {
        fprintf(f, "<a href=\"code-%d.html\">‹ %d ", prev->code, prev->code);
        esc(f, prev->reason);
        fputs("</a>", f);
    }
    fputs("</span><span>", f);
    if (next) {
        fprintf(f, "<a href=\"code-%d.html\">%d ", next->code, next->code);
        esc(f, next->reason);
        fputs(" ›</a>", f);
    }
    fputs("</span></div>\n", f);
    page_close(st, f);
}

static void
write_pair(struct site *st, const struct sip_code_pair *p)
{
    const struct sip_code_info *a = sip_code_find(p->a);
    const struct sip_code_info *b = sip_code_find(p->b);
    const struct sip_code_info *side[2] = { a, b };
    char name[48], title[16];
    FILE *f;

    snprintf(name, sizeof(name), "compare-%d-%d.html", p->a, p->b);
    snprintf(title, sizeof(title), "%d vs %d", p->a, p->b);
    f = page_open(st, name);
    if (!f) {
        return;
    }
    page_head(f, title, "compared");
    fprintf(f,
        "<div class=\"crumbs\"><a href=\"index.html\">All codes</a> › "
        "<a href=\"index.html#pairs\">Confused pairs</a> › %d vs %d</div>\n"
        "<h1>%d ",
        p->a, p->b, a->code);
    esc(f, a->reason);
    fprintf(f, " <span style=\"color:var(--mute)\">vs</span> %d ", b->code);
    esc(f, b->reason);
    fputs("</h1>\n<div class=\"card note\">\n<h3>Key differences</h3>\n<p>", f);
    esc(f, p->difference);
    fputs("</p>\n<h3>When to use which</h3>\n<p>", f);
    esc(f, p->choose);
    fputs("</p>\n</div>\n<div class=\"grid\">\n", f);
    for (int k = 0; k < 2; k++) {
        const struct sip_code_info *ci = side[k];

        fprintf(f, "<div class=\"card\">\n<h2><a href=\"code-%d.html\">%d ",
            ci->code, ci->code);
        esc(f, ci->reason);
        fputs("</a></h2>\n<p>", f);
        class_chip(f, ci->cls);
        rfc_chip(f, ci);
        fputs("</p>\n", f);
        code_sections(f, ci, "h3");
        fputs("</div>\n", f);
    }
    fprintf(f,
        "</div>\n<p class=\"cli\">On the command line: <code>sipward "
        "compare %d %d</code></p>\n",
        p->a, p->b);
    page_close(st, f);
}

/* mkdir -p: creates DIR and any missing parents. */
static int
make_dirs(const char *dir)
{
    char path[4096];
    size_t n = strlen(dir);

    if (n == 0 || n >= sizeof(path)) {
        return -ENAMETOOLONG;
    }
    memcpy(path, dir, n + 1);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') {
            continue;
        }
        *p = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST) {
            return -errno;
        }
        *p = '/';
    }
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        return -errno;
    }
    return 0;
}

int
cmd_reference(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "html", required_argument, NULL, 'H' },
        { NULL, 0, NULL, 0 },
    };
    struct site st = { 0 };
    const char *dir = NULL;
    FILE *f;
    int opt, rc;

    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        switch (opt) {
        case 'H':
            dir = optarg;
            break;
        case ':':
            return cli_usage_error(
                "reference", "option '%s' needs a directory", argv[optind - 1]);
        default:
            return cli_usage_error("reference",
                "unknown option '%s' (try --help)", argv[optind - 1]);
        }
    }
    if (optind < argc) {
        return cli_usage_error(
            "reference", "unexpected argument '%s'", argv[optind]);
    }
    if (!dir) {
        return cli_usage_error("reference", "give --html DIR (try --help)");
    }
    rc = make_dirs(dir);
    if (rc != 0) {
        fprintf(stderr, "sipward reference: cannot create %s: %s\n", dir,
            strerror(-rc));
        return 1;
    }
    st.dir = dir;
    f = page_open(&st, "style.css");
    if (f) {
        fputs(css, f);
        if ((ferror(f) | fclose(f)) != 0 && st.err == 0) {
            st.err = EIO;
        }
    }
    write_index(&st);
    for (size_t i = 0; i < sip_code_count() && st.err == 0; i++) {
        write_code(&st, i);
    }
    for (size_t i = 0; i < sip_code_pair_count() && st.err == 0; i++) {
        write_pair(&st, sip_code_pair_at(i));
    }
    if (st.err != 0) {
        return 1;
    }
    printf("wrote %zu code pages and %zu comparison pages to %s/index.html\n",
        sip_code_count(), sip_code_pair_count(), dir);
    return 0;
}
