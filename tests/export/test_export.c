/* `ctrace export --format=chrome`: the JSON parses, every lock hold of the
 * sample is one span on its thread's track, and tracks are named; an
 * unknown format is refused with the list.  CTF: test_ctf.c. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "e2e.h"

/* Checks the Trace Event JSON in `path` with Python: prints one line
 * "holds=N waits=M threads=T names=...". */
static const char check_py[] =
    "import json,sys\n"
    "d=json.load(open(sys.argv[1]))\n"
    "ev=d['traceEvents']\n"
    "holds=[e for e in ev if e['ph']=='X' and e['name']=='hold mutex']\n"
    "assert all(e['dur']>=0 for e in holds)\n"
    "names=sorted(e['args']['name'] for e in ev if e['name']=='thread_name')\n"
    "procs=[e for e in ev if e['name']=='process_name']\n"
    "print('holds=%d threads=%d procs=%d names=%s' % (len(holds),\n"
    "      len({e['tid'] for e in holds}), len(procs), ','.join(names)))\n";

Test(export, chrome_json_has_every_hold)
{
    const char *dir = e2e_trace_dir();
    struct e2e_result r;
    const char *rec[] = {"ctrace", "run", "--no-report",
                         "-o",     dir,   e2e_sample("c/lock_loop"),
                         "500",    NULL};
    cr_assert_eq(e2e_run(&r, rec), 0);
    cr_assert_eq(r.status, 0, "%s", r.err);
    e2e_result_free(&r);

    char json[4200];
    snprintf(json, sizeof json, "%s.json", dir);
    const char *exp[] = {"ctrace", "export", "--format=chrome", "-o", json,
                         dir,      NULL};
    cr_assert_eq(e2e_run(&r, exp), 0);
    cr_assert_eq(r.status, 0, "%s", r.err);
    e2e_result_free(&r);

    const char *py[] = {"/usr/bin/python3", "-c", check_py, json, NULL};
    cr_assert_eq(e2e_run(&r, py), 0);
    cr_assert_eq(r.status, 0, "python: %s", r.err);
    /* 2 threads x 500 lock/unlock pairs, each thread on its own track */
    cr_expect_not_null(strstr(r.out, "holds=1000 threads=2 procs=1 "), "%s",
                       r.out);
    cr_expect_not_null(strstr(r.out, "lock_loop (tid "), "%s", r.out);
    e2e_result_free(&r);
}

Test(export, unknown_format_is_a_usage_error)
{
    struct e2e_result r;
    const char *exp[] = {"ctrace", "export", "--format=perfetto",
                         e2e_trace_dir(), NULL};
    cr_assert_eq(e2e_run(&r, exp), 0);
    cr_expect_eq(r.status, 2);
    cr_expect_not_null(strstr(r.err, "format 'perfetto' is not supported"),
                       "%s", r.err);
    cr_expect_not_null(strstr(r.err, "chrome, ctf"), "the formats: %s", r.err);
    e2e_result_free(&r);
}
