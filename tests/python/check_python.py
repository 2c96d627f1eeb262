#!/usr/bin/python3
"""Checks one `ctrace report --format=json` of a samples/python program
against what tests/python/test_python.c expects.

  check_python.py SCHEMA SOURCE REPORT EXPECT...

The report must validate against SCHEMA (a real JSON Schema validator).
SOURCE is the sample's source: lines are found there by their markers
(`# LINE:name` comments), never written in the test.  Each EXPECT:

  findings=none           "findings": [] exactly
  groups=none             "exception_groups": [] exactly
  groups=N                exactly N exception groups
  finding=KIND:M1,M2,...  exactly one finding of kind KIND (and no other
                          kind of finding); the Python frames of its stacks
                          (frames with "python": true, in SOURCE) include
                          every marked line M1, M2, ...; every such stack
                          shows its Python frames above its C frames
  group=KIND:WHAT:N[:M]   one exception group of kind KIND whose type (or,
                          for signals, title) is WHAT, with count N, whose
                          pids are processes other than the traced program
                          (its workers); with M, its stack's first frame
                          in SOURCE is at marked line M
  pids=WHAT:N             that group has exactly N distinct pids
  group1=KIND:WHAT:N[:M]  the same, but its pids may include the program
  threads=A,B,...         threads with these names are in the report
  gil=A,B,...             the GIL section has these threads, each of
                          which waited at least once (waits >= 1,
                          wait_ns > 0, 0 < wait_pct <= 100)
  no-pthread-objects      no finding object and no contention entry is a
                          pthread mutex or condition variable (a pure
                          Python program has none but the GIL's, which
                          must stay out)
  tree=fork|spawn|forkserver
                          the process tree of multiprocessing with that
                          start method (see check_tree)
  procs>=N                at least N process images
  sigterm>=N              at least N processes ended by SIGTERM (their
                          outcome in "processes": killed on purpose by
                          their parent, they are in no group)

Exit status 0 when the report passes, 1 (reasons on stderr) when not, 2
when the check cannot run.
"""
import json
import os
import re
import sys

MARKER = re.compile(r"#\s*LINE:([A-Za-z0-9_]+)\b")
problems = []


def fail(msg):
    problems.append(msg)


def markers(source):
    found = {}
    with open(source) as f:
        for n, line in enumerate(f, 1):
            m = MARKER.search(line)
            if m:
                found[m.group(1)] = n
    return found


def validate(schema_path, doc):
    try:
        import jsonschema
    except ImportError:
        print("check_python: python3-jsonschema is not installed",
              file=sys.stderr)
        sys.exit(2)
    with open(schema_path) as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    for err in cls(schema).iter_errors(doc):
        fail("schema: %s at %s" % (err.message,
                                   "/".join(str(p) for p in err.path)))


def same_file(frame_file, source):
    return frame_file and os.path.realpath(frame_file) == \
        os.path.realpath(source)


def py_lines(stack, source):
    return {f["line"] for f in stack["frames"]
            if f.get("python") and same_file(f.get("file"), source)}


def python_on_top(stack):
    """Python frames come first, then C frames, never mixed."""
    kinds = [bool(f.get("python")) for f in stack["frames"]]
    return kinds == sorted(kinds, reverse=True)


def root_pid(doc):
    for p in doc["processes"]:
        if p["parent"] is None and p["image"] == 0:
            return p["pid"]
    return None


def check_finding(doc, value, lines, source):
    kind, _, marks = value.partition(":")
    found = [f for f in doc["findings"] if f["kind"] == kind]
    others = [f["kind"] for f in doc["findings"] if f["kind"] != kind]
    if len(found) != 1:
        fail("%d findings of kind %s, not 1" % (len(found), kind))
    if others:
        fail("other findings: %s" % ", ".join(others))
    if not found:
        return
    f = found[0]
    shown = set()
    for st in f["stacks"]:
        shown |= py_lines(st, source)
        if not python_on_top(st):
            fail("%s: a stack mixes Python and C frames: %s" %
                 (kind, st.get("label")))
    for m in filter(None, marks.split(",")):
        if m not in lines:
            fail("no marker LINE:%s in %s" % (m, source))
        elif lines[m] not in shown:
            fail("%s: no Python frame at line %d (%s); its Python lines: %s"
                 % (kind, lines[m], m, sorted(shown)))


def group_matches(g, kind, what):
    if g["kind"] != kind:
        return False
    return (g.get("type") == what or g.get("title") == what or
            (g.get("title") or "").startswith(what + " "))


def check_group(doc, value, lines, source, workers_only):
    parts = value.split(":")
    kind, what, count = parts[0], parts[1], int(parts[2])
    mark = parts[3] if len(parts) > 3 else None
    found = [g for g in doc["exception_groups"] if group_matches(g, kind, what)]
    if len(found) != 1:
        fail("%d %s groups of %s, not 1: %s" %
             (len(found), kind, what,
              [(g["kind"], g.get("title")) for g in doc["exception_groups"]]))
        return
    g = found[0]
    if g["count"] != count:
        fail("group %s: count %d, not %d" % (what, g["count"], count))
    if workers_only:
        root = root_pid(doc)
        if root in g["pids"] or not g["pids"]:
            fail("group %s: pids %s are not the workers of %d" %
                 (what, g["pids"], root))
    if mark:
        first = [f for f in g["stack"] if same_file(f.get("file"), source)]
        if mark not in lines:
            fail("no marker LINE:%s in %s" % (mark, source))
        elif not first or first[0]["line"] != lines[mark]:
            fail("group %s: first frame in the sample at %s, not line %d"
                 % (what, first[0]["line"] if first else None, lines[mark]))


def thread_names(doc):
    return {t["name"] for p in doc["processes"] for t in p["threads"]}


def check_threads(doc, value):
    names = thread_names(doc)
    for name in value.split(","):
        if name not in names:
            fail("no thread named %r; names: %s" % (name, sorted(names)))


def check_gil(doc, value):
    rows = {r["thread"]["name"]: r for r in doc.get("gil", [])}
    for name in value.split(","):
        r = rows.get(name)
        if r is None:
            fail("GIL section: no thread %r (has %s)" % (name, sorted(rows)))
            continue
        if r["waits"] < 1 or r["wait_ns"] <= 0 or \
                not 0 < r["wait_pct"] <= 100:
            fail("GIL section: %s never waited: %s" % (name, r))
        if r["wait_ns"] > r["life_ns"]:
            fail("GIL section: %s waited longer than it lived: %s" %
                 (name, r))


def check_no_pthread_objects(doc):
    for f in doc["findings"]:
        for o in f["objects"]:
            if o["kind"] in ("mutex", "cond"):
                fail("finding %s is about a %s" % (f["kind"], o["kind"]))
    for c in doc["contention"]:
        if c["lock"]["kind"] in ("mutex", "cond"):
            fail("contention has a %s: %s" % (c["lock"]["kind"],
                                              c["lock"]["name"]))


def children_of(doc, proc):
    return [p for p in doc["processes"]
            if p["parent"] == proc["index"] and p["image"] == 0]


def check_tree(doc, method):
    """fork: the program forks its children (no exec), at least the
    greeter, 2 pool workers, the manager's server and the filler.
    spawn: each child is the program forked and exec'd into
    `multiprocessing.spawn`, and one into the resource tracker.
    forkserver: the program starts the fork server and the resource
    tracker (fork+exec), and the fork server forks the children."""
    procs = doc["processes"]
    root = [p for p in procs if p["parent"] is None]
    if len(root) != 1:
        fail("%d root processes, not 1" % len(root))
        return
    root = root[0]
    execd = [p for p in procs if p["execed"]]

    def image_of(p, text):
        return text in p["cmdline"]

    def linked(p):
        parent = procs[p["parent"]] if p["parent"] is not None else None
        return parent is not None and parent["pid"] == p["ppid"] or \
            (p["execed"] and parent is not None and parent["pid"] == p["pid"])
    for p in procs:
        if p is not root and not linked(p):
            fail("process %d (image %d) has no parent link" %
                 (p["pid"], p["image"]))
    kids = children_of(doc, root)
    if method == "fork":
        if len(kids) < 5 or any(p["execed"] for p in procs):
            fail("fork: %d children of the program, %d exec'd images" %
                 (len(kids), len(execd)))
        return
    tracker = [p for p in execd if image_of(p, "resource_tracker")]
    if len(tracker) != 1 or tracker[0]["pid"] not in \
            [k["pid"] for k in kids]:
        fail("%s: no resource tracker started by the program" % method)
    if method == "spawn":
        spawned = [p for p in execd if image_of(p, "multiprocessing.spawn")]
        if len(spawned) < 4:
            fail("spawn: %d spawned children, not >= 4" % len(spawned))
        return
    server = [p for p in execd if image_of(p, "multiprocessing.forkserver")
              and p["parent"] == root["index"]]
    if len(server) != 1:
        fail("forkserver: %d fork server images, not 1" % len(server))
        return
    forked = children_of(doc, server[0])
    if len(forked) < 4:
        fail("forkserver: the fork server forked %d children, not >= 4" %
             len(forked))


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    schema, source, report = sys.argv[1:4]
    with open(report) as f:
        doc = json.load(f)
    validate(schema, doc)
    lines = markers(source)
    for exp in sys.argv[4:]:
        key, _, value = exp.partition("=")
        if exp == "findings=none":
            if doc["findings"]:
                fail("findings: %s" % [f["kind"] + ": " + f["message"]
                                       for f in doc["findings"]])
        elif exp == "groups=none":
            if doc["exception_groups"]:
                fail("exception groups: %s" %
                     [g["title"] for g in doc["exception_groups"]])
        elif key == "groups":
            if len(doc["exception_groups"]) != int(value):
                fail("%d exception groups, not %s: %s" %
                     (len(doc["exception_groups"]), value,
                      [g["title"] for g in doc["exception_groups"]]))
        elif key == "finding":
            check_finding(doc, value, lines, source)
        elif key == "group":
            check_group(doc, value, lines, source, True)
        elif key == "group1":
            check_group(doc, value, lines, source, False)
        elif key == "pids":
            what, _, n = value.rpartition(":")
            found = [g for g in doc["exception_groups"]
                     if g.get("type") == what or g.get("title") == what]
            if len(found) != 1 or len(set(found[0]["pids"])) != int(n):
                fail("group %s: pids %s, not %s distinct" %
                     (what, [g["pids"] for g in found], n))
        elif key == "threads":
            check_threads(doc, value)
        elif key == "gil":
            check_gil(doc, value)
        elif exp == "no-pthread-objects":
            check_no_pthread_objects(doc)
        elif key == "tree":
            check_tree(doc, value)
        elif exp.startswith("sigterm>="):
            n = sum(1 for p in doc["processes"] if p["signal"] == 15)
            if n < int(exp[9:]):
                fail("%d processes ended by SIGTERM, not >= %s" %
                     (n, exp[9:]))
        elif exp.startswith("procs>="):
            if len(doc["processes"]) < int(exp[7:]):
                fail("%d process images, not >= %s" %
                     (len(doc["processes"]), exp[7:]))
        else:
            print("check_python: unknown expectation %r" % exp,
                  file=sys.stderr)
            return 2
    for p in problems:
        print("check_python: %s" % p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
