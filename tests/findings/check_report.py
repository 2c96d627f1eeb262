#!/usr/bin/python3
"""Checks one `ctrace report --format=json|sarif` of a samples/findings
program against what the test expects (tests/findings/test_findings.c).

  check_report.py json SCHEMA SOURCE REPORT [OPTION...] [EXPECT...]
  check_report.py sarif SOURCE REPORT KIND LEVEL MARKER [MARKER...]

SOURCE is the sample's source file: the lines the report must show are
found there, never written in the test, by markers: `/* LINE:name` in a
comment on the line, or `--line name=TEXT` (the first line containing TEXT,
for samples without markers).  `{name}` in any expected value is replaced
by that line number.

json: the report validates against SCHEMA (a real JSON Schema validator)
and its findings are exactly the EXPECTs, in any order (findings must be
sorted most severe first).  An EXPECT is either the word `none` (the
report has `"findings": []`, exactly), or key=value pairs separated by
`;` describing one finding (lists separated by `,`, `ITEM*N` is N times
ITEM):
  kind=K severity=S            exact
  threads=N                    exactly N threads
  names=a,b                    their names, as a multiset (@main: the
                               thread whose tid is its pid)
  objects=kind:name,...        its objects (kind and name), as a multiset
  lines=m1,m2,...              the set of lines of the top program frame
                               (first frame in SOURCE) of its stacks is
                               exactly this set; every stack has one
  stacks=N                     exactly N stacks
  pid=root|child               the finding's process: the traced program,
                               or a child it forked
  threads_in_stacks=1          every stack's thread is among its threads
Every finding's thread references must match a thread of `processes`
(same tid and name).  Options: `--contention=SPEC` (repeatable) checks
an entry of the contention section, `;`-separated too: lock=NAME rank=I
acquisitions=N contended=N sites=m1:N,m2:N (the top call sites in order,
each at a marked line of SOURCE with its acquisitions) and wait>0 /
wait=0.

sarif: SARIF 2.1.0 with one rule per finding kind, exactly one result of
rule KIND and level LEVEL, located at SOURCE, line MARKER (the first);
its related locations' lines are exactly the MARKERs.

Exit status 0 when the report passes, 1 (reasons on stderr) when not, 2
when the check cannot run.
"""
import collections
import json
import os
import re
import sys

MARKER = re.compile(r"/\* LINE:([A-Za-z0-9_]+)\b")
SEVERITY_RANK = {"error": 0, "warning": 1, "note": 2}
problems = []


def fail(msg):
    problems.append(msg)


def need(cond, msg):
    if not cond:
        fail(msg)
    return cond


def finish():
    for p in problems:
        print("check_report: " + p, file=sys.stderr)
    sys.exit(1 if problems else 0)


def load_lines(source, extra):
    """name -> line number, from markers and --line name=TEXT."""
    lines = {}
    with open(source, encoding="utf-8") as f:
        text = f.read().split("\n")
    for i, line in enumerate(text, 1):
        for m in MARKER.finditer(line):
            if m.group(1) in lines:
                print("check_report: marker %s twice in %s" %
                      (m.group(1), source), file=sys.stderr)
                sys.exit(2)
            lines[m.group(1)] = i
    for spec in extra:
        name, _, needle = spec.partition("=")
        hits = [i for i, line in enumerate(text, 1) if needle in line]
        if not hits:
            print("check_report: no line of %s contains %r" %
                  (source, needle), file=sys.stderr)
            sys.exit(2)
        lines[name] = hits[0]
    return lines


def expand(value, lines):
    def sub(m):
        if m.group(1) not in lines:
            print("check_report: no marker LINE:%s" % m.group(1),
                  file=sys.stderr)
            sys.exit(2)
        return str(lines[m.group(1)])
    return re.sub(r"\{([A-Za-z0-9_]+)\}", sub, value)


def marker_line(name, lines):
    if name not in lines:
        print("check_report: no marker LINE:%s" % name, file=sys.stderr)
        sys.exit(2)
    return lines[name]


def validate(schema_path, doc):
    try:
        import jsonschema
    except ImportError:
        print("check_report: python3-jsonschema is not installed "
              "(scripts/setup.sh installs it)", file=sys.stderr)
        sys.exit(2)
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    for e in sorted(cls(schema).iter_errors(doc), key=str)[:5]:
        fail("schema: at /%s: %s" %
             ("/".join(map(str, e.absolute_path)), e.message))


def in_source(frame, source):
    return frame.get("file") and (
        os.path.basename(frame["file"]) == os.path.basename(source))


def top_line(stack, source):
    """Line of the first frame of the sample's own source, or None."""
    for fr in stack["frames"]:
        if in_source(fr, source):
            return fr.get("line")
    return None


def items(value):
    """A list value: `a,b*3` is a, b, b, b."""
    out = []
    if not value:
        return out
    for item in value.split(","):
        m = re.fullmatch(r"(.*)\*([0-9]+)", item)
        out += [m.group(1)] * int(m.group(2)) if m else [item]
    return out


def parse_expect(text, lines):
    exp = {}
    for tok in text.split(";"):
        tok = tok.strip()
        if not tok:
            continue
        key, sep, value = tok.partition("=")
        if not sep:
            print("check_report: bad expectation %r" % tok, file=sys.stderr)
            sys.exit(2)
        exp[key] = expand(value, lines)
    if "kind" not in exp:
        print("check_report: expectation without kind: %r" % text,
              file=sys.stderr)
        sys.exit(2)
    return exp


def thread_name(ref, doc):
    """A thread's name as the expectations write it."""
    if ref.get("tid") is not None and ref.get("tid") == ref.get("pid"):
        return "@main"
    return ref.get("name") or ""


def process_pids(doc):
    roots = [p["pid"] for p in doc["processes"] if p.get("parent") is None]
    return set(roots), {p["pid"] for p in doc["processes"]} - set(roots)


def mismatches(f, exp, doc, lines, source):
    """Why finding f does not meet expectation exp (empty: it does)."""
    why = []
    for key in ("kind", "severity"):
        if key in exp and f[key] != exp[key]:
            why.append("%s %s, not %s" % (key, f[key], exp[key]))
    if "threads" in exp and len(f["threads"]) != int(exp["threads"]):
        why.append("%d threads, not %s" % (len(f["threads"]),
                                          exp["threads"]))
    if "names" in exp:
        got = collections.Counter(thread_name(t, doc) for t in f["threads"])
        want = collections.Counter(items(exp["names"]))
        if got != want:
            why.append("thread names %s, not %s" % (sorted(got.elements()),
                                                    sorted(want.elements())))
    if "objects" in exp:
        got = collections.Counter("%s:%s" % (o["kind"], o["name"])
                                  for o in f["objects"])
        want = collections.Counter(items(exp["objects"]))
        if got != want:
            why.append("objects %s, not %s" % (sorted(got.elements()),
                                               sorted(want.elements())))
    if "stacks" in exp and len(f["stacks"]) != int(exp["stacks"]):
        why.append("%d stacks, not %s" % (len(f["stacks"]), exp["stacks"]))
    if "lines" in exp:
        want = {marker_line(m, lines) for m in items(exp["lines"])}
        got = set()
        for s in f["stacks"]:
            line = top_line(s, source)
            if line is None:
                why.append("stack %r has no frame in %s" %
                           (s["label"], os.path.basename(source)))
            got.add(line)
        if got != want:
            why.append("top program lines %s, not %s" %
                       (sorted(map(str, got)), sorted(map(str, want))))
    if "pid" in exp:
        roots, children = process_pids(doc)
        group = roots if exp["pid"] == "root" else children
        if f["pid"] not in group:
            why.append("pid %d is not the %s process" % (f["pid"],
                                                         exp["pid"]))
    if exp.get("threads_in_stacks") == "1":
        tids = {t["tid"] for t in f["threads"]}
        for s in f["stacks"]:
            if s["thread"]["tid"] not in tids:
                why.append("stack %r is of thread %s, not in threads" %
                           (s["label"], s["thread"]["tid"]))
    return why


def match_findings(findings, expects, doc, lines, source):
    """Each expectation meets a distinct finding (small sets: search)."""
    n = len(expects)
    why = {}

    def solve(i, used):
        if i == n:
            return True
        for j, f in enumerate(findings):
            if j in used:
                continue
            w = mismatches(f, expects[i], doc, lines, source)
            if w:
                why.setdefault(i, []).append((j, w))
                continue
            if solve(i + 1, used | {j}):
                return True
        return False

    if solve(0, frozenset()):
        return
    for i, exp in enumerate(expects):
        for j, w in why.get(i, []):
            fail("expectation %d (%s) vs finding %d (%s): %s" %
                 (i, exp["kind"], j, findings[j]["kind"], "; ".join(w)))
    fail("no assignment of findings to expectations")


def check_thread_refs(doc):
    known = {}
    for p in doc["processes"]:
        for t in p["threads"]:
            known[(p["pid"], t["tid"])] = t["name"]
    for i, f in enumerate(doc["findings"]):
        refs = list(f["threads"]) + [s["thread"] for s in f["stacks"]]
        for t in refs:
            key = (t.get("pid"), t.get("tid"))
            if need(key in known, "finding %d: thread %s is in no process" %
                    (i, key)):
                need(known[key] == (t.get("name") or ""),
                     "finding %d: thread %s named %r, its process says %r" %
                     (i, key, t.get("name"), known[key]))


def check_contention(doc, spec, lines):
    toks = [t.strip() for t in spec.split(";") if t.strip()]
    exp = dict(tok.partition("=")[::2] for tok in toks)
    entries = doc["contention"]
    named = [i for i, e in enumerate(entries)
             if e["lock"]["name"] == exp["lock"]]
    if not need(len(named) == 1, "contention: %d entries for %s" %
                (len(named), exp["lock"])):
        return
    rank = named[0]
    e = entries[rank]
    if "rank" in exp:
        need(rank == int(exp["rank"]), "contention: %s ranks %d, not %s" %
             (exp["lock"], rank, exp["rank"]))
    for key in ("acquisitions", "contended"):
        if key in exp:
            need(e[key] == int(exp[key]), "contention: %s %s %d, not %s" %
                 (exp["lock"], key, e[key], exp[key]))
    if "wait>0" in toks:
        need(e["wait_total_ns"] > 0 and e["wait_max_ns"] > 0,
             "contention: %s waited 0 ns" % exp["lock"])
    if "wait=0" in toks:
        need(e["wait_total_ns"] == 0, "contention: %s waited %d ns" %
             (exp["lock"], e["wait_total_ns"]))
    if "sites" in exp:
        want = [(marker_line(m.split(":")[0], lines), int(m.split(":")[1]))
                for m in exp["sites"].split(",")]
        got = [((s["frame"] or {}).get("line"), s["acquisitions"])
               for s in e["sites"]]
        need(got == want, "contention: %s sites (line, acquisitions) %s, "
             "not %s" % (exp["lock"], got, want))


def main_json(argv):
    schema, source, report = argv[:3]
    extra, contention, expects = [], [], []
    for a in argv[3:]:
        if a.startswith("--line="):
            extra.append(a[len("--line="):])
        elif a.startswith("--contention="):
            contention.append(a[len("--contention="):])
        else:
            expects.append(a)
    lines = load_lines(source, extra)
    with open(report, encoding="utf-8") as f:
        doc = json.load(f)
    validate(schema, doc)
    if problems:
        finish()
    need(doc["stats"]["lost_events"] == 0, "events were lost")
    findings = doc["findings"]
    if expects == ["none"]:
        need(findings == [], "expected \"findings\": [], got %s" %
             [f["kind"] + ": " + f["message"] for f in findings])
    else:
        exps = [parse_expect(e, lines) for e in expects]
        need(len(findings) == len(exps), "%d findings (%s), expected %d" %
             (len(findings), ", ".join(f["kind"] for f in findings),
              len(exps)))
        ranks = [SEVERITY_RANK[f["severity"]] for f in findings]
        need(ranks == sorted(ranks), "findings not most severe first")
        check_thread_refs(doc)
        if not problems:
            match_findings(findings, exps, doc, lines, source)
    for spec in contention:
        check_contention(doc, spec, lines)
    finish()


def main_sarif(argv):
    source, report, kind, level = argv[:4]
    lines = load_lines(source, [])
    want = [marker_line(m, lines) for m in argv[4:]]
    with open(report, encoding="utf-8") as f:
        doc = json.load(f)
    need(doc.get("version") == "2.1.0", "version is not 2.1.0")
    need(re.search(r"sarif.*2\.1\.0", doc.get("$schema", "")), "$schema")
    run = doc["runs"][0]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    with open(os.path.join(os.environ["CTRACE_SOURCE_ROOT"], "docs",
                           "report-schema.json"), encoding="utf-8") as f:
        kinds = json.load(f)["$defs"]["kind"]["enum"]
    need(sorted(rules) == sorted(kinds), "rules %s are not one per kind %s" %
         (rules, kinds))
    results = run["results"]
    if not need(len(results) == 1, "%d results" % len(results)):
        finish()
    res = results[0]
    need(res["ruleId"] == kind, "ruleId %s" % res["ruleId"])
    need(rules[res["ruleIndex"]] == kind, "ruleIndex")
    need(res["level"] == level, "level %s" % res["level"])
    loc = res["locations"][0]["physicalLocation"]
    need(loc["artifactLocation"]["uri"].endswith(
        "/" + os.path.relpath(source, os.environ["CTRACE_SOURCE_ROOT"])),
         "location uri %s" % loc["artifactLocation"]["uri"])
    need(loc["region"]["startLine"] == want[0], "startLine %s, not %d" %
         (loc["region"]["startLine"], want[0]))
    related = {r["physicalLocation"]["region"]["startLine"]
               for r in res.get("relatedLocations", [])}
    need(related == set(want), "related lines %s, not %s" %
         (sorted(related), sorted(want)))
    finish()


def main(argv):
    if len(argv) >= 5 and argv[1] == "json":
        main_json(argv[2:])
    elif len(argv) >= 7 and argv[1] == "sarif":
        main_sarif(argv[2:])
    print(__doc__, file=sys.stderr)
    sys.exit(2)


if __name__ == "__main__":
    main(sys.argv)
