#!/usr/bin/env python3
"""Checks the static site written by `sipward reference --html DIR`.

Every local link (href/src, with its #fragment) must resolve to a file and
an id that exist; every file must be reachable from index.html; each code
page must link to each of its comparison pages and each comparison page
back to both of its codes. Prints one line per problem; exit 1 if any.
Usage: reference_links.py DIR CODES_JSON PAIRS
  CODES_JSON: output of `sipward explain --list --json`
  PAIRS: "a-b a-b ..." the hand-written pairs expected
"""
import html.parser
import json
import os
import re
import sys
import urllib.parse


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links, self.ids, self.title = [], set(), ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        for k in ("href", "src"):
            if a.get(k):
                self.links.append(a[k])
        self._in_title = tag == "title"

    def handle_endtag(self, tag):
        self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def main():
    root, codes_json, pairs_arg = sys.argv[1], sys.argv[2], sys.argv[3]
    codes = [c["code"] for c in json.load(open(codes_json))]
    pairs = [tuple(map(int, p.split("-"))) for p in pairs_arg.split()]
    problems = []
    pages = {}
    for name in sorted(os.listdir(root)):
        if name.endswith(".html"):
            p = Page()
            with open(os.path.join(root, name), encoding="utf-8") as f:
                p.feed(f.read())
            pages[name] = p
            if not p.title.strip():
                problems.append(f"{name}: empty <title>")

    expected = {"index.html"} | {f"code-{c}.html" for c in codes} | {
        f"compare-{a}-{b}.html" for a, b in pairs}
    for name in sorted(expected - set(pages)):
        problems.append(f"missing page {name}")
    for name in sorted(set(pages) - expected):
        problems.append(f"unexpected page {name}")

    graph = {}
    for name, p in pages.items():
        graph[name] = set()
        for link in p.links:
            u = urllib.parse.urlsplit(link)
            if u.scheme in ("http", "https", "mailto"):
                continue
            if u.scheme or u.netloc or link.startswith("/"):
                problems.append(f"{name}: non-relative link {link}")
                continue
            target = u.path or name
            path = os.path.normpath(os.path.join(root, target))
            if not os.path.isfile(path):
                problems.append(f"{name}: broken link {link}")
                continue
            graph[name].add(target)
            if u.fragment and target.endswith(".html"):
                if u.fragment not in pages[target].ids:
                    problems.append(f"{name}: no id '{u.fragment}' in {target}")

    # Everything reachable from the index.
    seen, todo = set(), ["index.html"]
    while todo:
        n = todo.pop()
        if n in seen or n not in graph:
            continue
        seen.add(n)
        todo.extend(graph[n])
    for name in sorted(set(pages) - seen):
        problems.append(f"{name} is not reachable from index.html")

    # Comparisons and codes link both ways.
    for a, b in pairs:
        cmp_page = f"compare-{a}-{b}.html"
        for c in (a, b):
            code_page = f"code-{c}.html"
            if cmp_page not in graph.get(code_page, ()):
                problems.append(f"{code_page} does not link to {cmp_page}")
            if code_page not in graph.get(cmp_page, ()):
                problems.append(f"{cmp_page} does not link to {code_page}")
    if "style.css" not in graph.get("index.html", ()):
        problems.append("index.html does not load style.css")

    for p in problems:
        print(p)
    nlinks = sum(len(p.links) for p in pages.values())
    print(f"checked {len(pages)} pages, {nlinks} links: "
          f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
