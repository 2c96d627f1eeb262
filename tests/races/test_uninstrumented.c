/* A program not built with `ctrace cc` runs under ctrace exactly as
 * without it, and no race is reported, even one it has: no access is
 * recorded, and the heap wrappers stay idle (no mem-* event at all). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "races_test.h"

Test(uninstrumented, runs_unchanged_no_races, .timeout = 300)
{
    const char *dir = e2e_tmpdir();
    char *cmd = NULL, *out = NULL;
    /* a racy program (the counter sample) built by the plain compiler */
    cr_assert_geq(asprintf(&cmd, "cc -g -O1 -I%s %s -o %s/plain -pthread",
                           races_source("samples/races"),
                           races_source("samples/races/heap_race.c"), dir),
                  0);
    cr_assert_eq(races_sh(cmd, &out), 0, "%s", out);
    free(cmd);
    free(out);
    char exe[512];
    snprintf(exe, sizeof exe, "%s/plain", dir);
    const char *argv[] = {exe, NULL};
    struct e2e_result native;
    cr_assert_eq(e2e_run(&native, argv), 0);
    cr_assert_eq(native.status, 0);
    struct races_run r;
    races_run(&r, argv);
    cr_assert_eq(r.run.status, native.status);
    cr_assert_str_eq(r.run.out, native.out);
    cr_assert_str_eq(r.run.err, native.err);
    cr_assert_eq(races_count_kind(&r, "data-race"), 0);
    struct e2e_trace t;
    e2e_load_trace(&t, r.trace_dir);
    cr_assert_gt(t.n, 0);
    for (uint32_t type = TRACE_EV_MEM_READ; type <= TRACE_EV_MEM_STATS; type++)
        cr_assert_eq(e2e_count(&t, type, 0), 0,
                     "%s events in an "
                     "uninstrumented program",
                     trace_event_name(type));
    cr_assert_gt(e2e_count(&t, TRACE_EV_THREAD_START, 0), 1);
    e2e_trace_free(&t);
    races_run_free(&r);
    e2e_result_free(&native);
}

/* The same program built with `ctrace cc` and run without ctrace:
 * libctrace.so is linked in but records nothing, and the program works. */
Test(uninstrumented, instrumented_runs_natively, .timeout = 300)
{
    const char *path = e2e_sample("races/heap_race");
    const char *argv[] = {path, NULL};
    struct e2e_result native;
    cr_assert_eq(e2e_run(&native, argv), 0);
    cr_assert_eq(native.status, 0, "%s", native.err);
    cr_assert_str_eq(native.out, "balance = 95\n");
    e2e_result_free(&native);
}
