#!/usr/bin/python3
"""Checks the report tests (report_writers.c) run on real writer output.

  report_check.py schema SCHEMA FILE   validate FILE against the JSON Schema
  report_check.py kinds SCHEMA KIND... the schema's kind enum is exactly KINDs
  report_check.py sarif FILE           the SARIF 2.1.0 structure code-scanning
                                       tools rely on

Exit status 0 when the check passes, 1 with the reason on stderr when it
does not, 2 when the check could not run (jsonschema missing: it comes
from Debian's python3-jsonschema, installed by scripts/setup.sh).
"""
import json
import sys


def fail(msg):
    print("report_check: " + msg, file=sys.stderr)
    sys.exit(1)


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def check_schema(schema_path, path):
    try:
        import jsonschema
    except ImportError:
        print("report_check: python3-jsonschema is not installed "
              "(scripts/setup.sh installs it)", file=sys.stderr)
        sys.exit(2)
    schema = load(schema_path)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    errors = sorted(cls(schema).iter_errors(load(path)), key=str)
    for e in errors[:5]:
        print("report_check: %s: at %s: %s" %
              (path, "/".join(map(str, e.absolute_path)), e.message),
              file=sys.stderr)
    if errors:
        sys.exit(1)


def check_kinds(schema_path, kinds):
    enum = load(schema_path)["$defs"]["kind"]["enum"]
    if sorted(enum) != sorted(kinds) or len(enum) != len(set(enum)):
        fail("schema kinds %s != findings.def kinds %s" % (enum, kinds))


def need(cond, msg):
    if not cond:
        fail(msg)


def check_location(loc, where):
    pl = loc.get("physicalLocation")
    need(pl is not None or loc.get("logicalLocations"),
         where + ": location without physical or logical location")
    if pl is None:
        return
    uri = pl.get("artifactLocation", {}).get("uri")
    need(isinstance(uri, str) and uri, where + ": artifactLocation.uri")
    region = pl.get("region")
    if region is not None:
        need(isinstance(region.get("startLine"), int) and
             region["startLine"] >= 1, where + ": region.startLine")


def check_sarif(path):
    doc = load(path)
    need(doc.get("version") == "2.1.0", "version is not 2.1.0")
    need(isinstance(doc.get("runs"), list) and len(doc["runs"]) == 1,
         "exactly one run")
    run = doc["runs"][0]
    driver = run.get("tool", {}).get("driver", {})
    need(driver.get("name") == "ctrace", "tool.driver.name")
    rules = driver.get("rules", [])
    ids = [r.get("id") for r in rules]
    need(len(ids) == len(set(ids)) and all(ids), "rule ids unique")
    for r in rules:
        need(r.get("shortDescription", {}).get("text"),
             "rule %s: shortDescription.text" % r.get("id"))
    for i, res in enumerate(run.get("results", [])):
        where = "results[%d]" % i
        need(res.get("ruleId") in ids, where + ": ruleId not a rule")
        idx = res.get("ruleIndex")
        need(idx is None or ids[idx] == res["ruleId"], where + ": ruleIndex")
        need(res.get("level") in ("error", "warning", "note", "none"),
             where + ": level")
        need(res.get("message", {}).get("text"), where + ": message.text")
        for j, loc in enumerate(res.get("locations", [])):
            check_location(loc, "%s.locations[%d]" % (where, j))
        for j, loc in enumerate(res.get("relatedLocations", [])):
            check_location(loc, "%s.relatedLocations[%d]" % (where, j))
            need(isinstance(loc.get("id"), int), where + ": related id")
        for j, st in enumerate(res.get("stacks", [])):
            need(isinstance(st.get("frames"), list),
                 "%s.stacks[%d].frames" % (where, j))


def main(argv):
    if len(argv) >= 4 and argv[1] == "schema":
        check_schema(argv[2], argv[3])
    elif len(argv) >= 3 and argv[1] == "kinds":
        check_kinds(argv[2], argv[3:])
    elif len(argv) == 3 and argv[1] == "sarif":
        check_sarif(argv[2])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main(sys.argv)
