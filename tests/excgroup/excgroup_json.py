#!/usr/bin/python3
"""Checks the exception groups of a `ctrace report --format=json` file.

  excgroup_json.py FILE SPEC...

SPEC is one of
  group:KIND:COUNT[:FUNCTION]  a group of that kind and count whose top
                               program frame (not system, not ctrace) is
                               FUNCTION; the groups are exactly the ones
                               named, in any order
  procs:exit:N:COUNT           COUNT processes have exit_status N
  procs:signal:N:COUNT         COUNT processes have signal N
Exit status 0 when every SPEC holds, 1 with the reason on stderr.
"""
import json
import sys


def fail(msg):
    print("excgroup_json: " + msg, file=sys.stderr)
    sys.exit(1)


def top_function(group):
    for f in group["stack"]:
        if not f["system"] and not f.get("ctrace", False):
            return f["function"]
    return None


def check_group(group):
    if group["count"] < len(group["members"]):
        fail("%s: more members than count" % group["signature"])
    if len(set(group["pids"])) != len(group["pids"]):
        fail("%s: pids repeat" % group["signature"])
    if not group["signature"].startswith(group["kind"] + ":"):
        fail("%s: signature does not start with the kind" % group["signature"])


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        report = json.load(f)
    groups = report["exception_groups"]
    for g in groups:
        check_group(g)
    want = []
    for spec in sys.argv[2:]:
        part = spec.split(":")
        if part[0] == "group":
            want.append(part[1:])
        elif part[0] == "procs":
            key = "exit_status" if part[1] == "exit" else "signal"
            n = sum(1 for p in report["processes"] if p[key] == int(part[2]))
            if n != int(part[3]):
                fail("%d processes with %s %s, want %s: %s" %
                     (n, key, part[2], part[3],
                      [(p["pid"], p["exit_status"], p["signal"])
                       for p in report["processes"]]))
        else:
            fail("bad spec " + spec)
    have = [(g["kind"], g["count"], top_function(g)) for g in groups]
    if len(have) != len(want):
        fail("groups %s, want %s" % (have, want))
    left = list(have)
    for w in want:
        match = [h for h in left if h[0] == w[0] and h[1] == int(w[1]) and
                 (len(w) < 3 or h[2] == w[2])]
        if not match:
            fail("no group %s among %s" % (w, have))
        left.remove(match[0])


main()
