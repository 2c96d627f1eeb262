/* The live monitor: `ctrace run` notices a deadlock or a hang while the
 * program runs, prints it with the program's file:line, and ends the
 * program (--on-deadlock=kill, the default) or aborts it (abort).  The
 * samples force their bug with a barrier, so it happens every run; their
 * fixed twins must run to the end with nothing reported. */
#include <criterion/criterion.h>
#include <string.h>

#include "e2e.h"

static void run_sample(struct e2e_result *res, const char *sample,
                       const char *const extra[])
{
    const char *argv[16] = {"ctrace", "run", "-o", e2e_trace_dir()};
    int n = 4;
    for (int i = 0; extra && extra[i]; i++)
        argv[n++] = extra[i];
    argv[n++] = e2e_sample(sample);
    argv[n] = NULL;
    cr_assert_eq(e2e_run(res, argv), 0, "cannot start ctrace");
    cr_assert(!res->timed_out, "safety net: the run did not end: %s", res->err);
}

static const char *const fixed_arg[] = {"fixed", NULL};

Test(live, deadlock_is_reported_and_killed)
{
    struct e2e_result r;
    run_sample(&r, "c/deadlock_abba", NULL);
    cr_expect_eq(r.status, 137, "killed by SIGKILL: %d\n%s", r.status, r.err);
    const char *live = strstr(r.err, "detected while the program runs");
    cr_assert_not_null(live, "%s", r.err);
    cr_expect_not_null(strstr(live, "deadlock"), "%s", r.err);
    cr_expect_not_null(strstr(live, "accounts_lock"), "%s", r.err);
    cr_expect_not_null(strstr(live, "ledger_lock"), "%s", r.err);
    cr_expect_not_null(strstr(live, "transfer (deadlock_abba.c:21)"), "%s",
                       r.err);
    cr_expect_not_null(strstr(live, "audit (deadlock_abba.c:40)"), "%s", r.err);
    cr_expect_not_null(strstr(r.err, "(--on-deadlock=kill)"), "%s", r.err);
    e2e_result_free(&r);
}

Test(live, deadlock_abort_leaves_sigabrt)
{
    struct e2e_result r;
    const char *const opts[] = {"--on-deadlock=abort", NULL};
    const char *argv[8] = {"ctrace", "run",
                           "-o",     e2e_trace_dir(),
                           opts[0],  e2e_sample("c/deadlock_abba"),
                           NULL};
    cr_assert_eq(e2e_run(&r, argv), 0);
    cr_expect_eq(r.status, 134, "SIGABRT: %d\n%s", r.status, r.err);
    cr_expect_not_null(strstr(r.err, "sent SIGABRT"), "%s", r.err);
    e2e_result_free(&r);
}

Test(live, deadlock_twin_runs_to_the_end)
{
    struct e2e_result r;
    const char *argv[8] = {"ctrace",
                           "run",
                           "-o",
                           e2e_trace_dir(),
                           e2e_sample("c/deadlock_abba"),
                           fixed_arg[0],
                           NULL};
    cr_assert_eq(e2e_run(&r, argv), 0);
    cr_expect_eq(r.status, 0, "%s", r.err);
    cr_expect_str_eq(r.out, "transfers 1 audits 1\n");
    cr_expect_null(strstr(r.err, "detected while"), "%s", r.err);
    cr_expect_not_null(strstr(r.err, "ctrace: 0 findings"), "%s", r.err);
    e2e_result_free(&r);
}

Test(live, hang_is_reported_and_killed)
{
    struct e2e_result r;
    const char *const opts[] = {"--hang-timeout=1", NULL};
    run_sample(&r, "c/hang_cond", opts);
    cr_expect_eq(r.status, 137, "%d\n%s", r.status, r.err);
    const char *live = strstr(r.err, "detected while the program runs");
    cr_assert_not_null(live, "%s", r.err);
    cr_expect_not_null(strstr(live, "hang"), "%s", r.err);
    cr_expect_not_null(strstr(live, "worker (hang_cond.c:18)"), "%s", r.err);
    cr_expect_not_null(strstr(live, "main (hang_cond.c:34)"), "%s", r.err);
    e2e_result_free(&r);
}

Test(live, hang_twin_runs_to_the_end)
{
    struct e2e_result r;
    const char *argv[8] = {"ctrace",           "run",
                           "--hang-timeout=1", "-o",
                           e2e_trace_dir(),    e2e_sample("c/hang_cond"),
                           fixed_arg[0],       NULL};
    cr_assert_eq(e2e_run(&r, argv), 0);
    cr_expect_eq(r.status, 0, "%s", r.err);
    cr_expect_str_eq(r.out, "worker done\n");
    cr_expect_null(strstr(r.err, "detected while"), "%s", r.err);
    e2e_result_free(&r);
}
