#!/usr/bin/env python3
"""Checks `sipward explain` and `sipward compare` against each other.

For every registered code: `explain CODE --json` parses, has every field
non-empty, and agrees with `explain --list --json`. For every hand-written
pair and a spread of other pairs (including unregistered codes), `compare
A B --json` carries exactly what `explain` says about A and about B, and
the text output shows the same reason phrases, classes and meanings.
Usage: reference_cli.py SIPWARD
"""
import json
import subprocess
import sys

SIPWARD = sys.argv[1]
FIELDS = ("code", "reason", "class", "class_range", "registered", "rfc",
          "section", "meaning", "when", "fix", "confused_with")
problems = []


def run(*args, rc=0):
    p = subprocess.run([SIPWARD, *args], capture_output=True, text=True,
                       timeout=30)
    if p.returncode != rc:
        problems.append(f"{' '.join(args)}: exit {p.returncode}, want {rc}: "
                        f"{p.stderr.strip()}")
    return p.stdout


def text_of(code):
    return run("explain", str(code))


def words(s):
    return " ".join(s.split())


listing = json.loads(run("explain", "--list", "--json"))
pairs = json.loads(run("compare", "--list", "--json"))
explained = {}
for entry in listing:
    code = entry["code"]
    e = json.loads(run("explain", str(code), "--json"))
    explained[code] = e
    missing = [f for f in FIELDS if f not in e]
    if missing:
        problems.append(f"explain {code}: missing {missing}")
        continue
    for f in ("reason", "class", "class_range", "rfc"):
        if not isinstance(e[f], str) or not e[f].strip():
            problems.append(f"explain {code}: empty {f}")
    for f in ("meaning", "when", "fix"):
        if not isinstance(e[f], str) or len(e[f].strip()) < 40:
            problems.append(f"explain {code}: empty or trivial {f}")
    if e["code"] != code or e["registered"] is not True:
        problems.append(f"explain {code}: wrong code/registered")
    for f in ("reason", "class", "rfc"):
        if e[f] != entry[f]:
            problems.append(f"explain {code}: {f} differs from --list")
    if e["rfc"] == "RFC 3261" and not e["section"].startswith("21."):
        problems.append(f"explain {code}: RFC 3261 code without its section")
    if e["section"] and f"{e['rfc']} §{e['section']}" not in text_of(code):
        problems.append(f"explain {code}: text lacks the section")
    if e["class_range"] != f"{code // 100}xx":
        problems.append(f"explain {code}: class_range {e['class_range']}")
    text = run("explain", str(code))
    if max(len(line) for line in text.splitlines()) > 78:
        problems.append(f"explain {code}: a line is wider than 78 columns")
    if not text.startswith(f"{code} {e['reason']}\n"):
        problems.append(f"explain {code}: text header")
    for f in ("meaning", "when", "fix"):
        if words(e[f]) not in words(text):
            problems.append(f"explain {code}: text lacks the {f}")

# Pairs: hand-written ones, plus generic ones across classes and with
# unregistered codes.
todo = [(p["a"], p["b"], True) for p in pairs]
todo += [(100, 200, False), (183, 199, False), (202, 204, False),
         (380, 488, False), (404, 500, False), (555, 580, False),
         (430, 607, False), (499, 608, False), (150, 180, False)]
for a, b, hand in todo:
    c = json.loads(run("compare", str(a), str(b), "--json"))
    for side, code in (("a", a), ("b", b)):
        want = explained.get(code) or json.loads(
            run("explain", str(code), "--json"))
        if c.get(side) != want:
            problems.append(f"compare {a} {b}: {side} differs from explain "
                            f"{code}")
    if (c.get("source") == "hand-written") != hand:
        problems.append(f"compare {a} {b}: source {c.get('source')}")
    for f in ("differences", "when_to_use"):
        if len(c.get(f, "").strip()) < 40:
            problems.append(f"compare {a} {b}: empty {f}")
    if c.get("same_class") != (a // 100 == b // 100):
        problems.append(f"compare {a} {b}: same_class")
    # Order does not matter for the notes.
    r = json.loads(run("compare", str(b), str(a), "--json"))
    if r.get("differences") != c.get("differences") and c.get(
            "source") == "hand-written":
        problems.append(f"compare {b} {a}: notes depend on order")
    text = run("compare", str(a), str(b))
    if max(len(line) for line in text.splitlines()) > 78:
        problems.append(f"compare {a} {b}: a line is wider than 78 columns")
    flat = words(text.replace(" | ", " "))
    for side in ("a", "b"):
        s = c[side]
        if f"{s['code']} {s['reason']}" not in text:
            problems.append(f"compare {a} {b}: text lacks {s['code']} header")
        if s["class"] not in text:
            problems.append(f"compare {a} {b}: text lacks class of {s['code']}")
    if words(c["differences"]) not in words(text):
        problems.append(f"compare {a} {b}: text lacks the differences")
    if words(c["when_to_use"]) not in words(text):
        problems.append(f"compare {a} {b}: text lacks when to use")
    if "Key differences" not in flat or "When to use which" not in flat:
        problems.append(f"compare {a} {b}: text sections")

for p in problems:
    print(p)
print(f"checked {len(listing)} codes and {len(todo)} pairs: "
      f"{len(problems)} problem(s)")
sys.exit(1 if problems else 0)
