/* End-to-end: transparency (docs/design.md rule 1).  Each sample prints the
 * same output and exits with the same status with and without ctrace;
 * errno_check in particular checks errno and results after failing
 * trylocks (EBUSY) and sem_trywait (EAGAIN). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "shim_test.h"

static void compare_runs(const char *sample)
{
    const char *prog = e2e_sample(sample);
    const char *dir = e2e_trace_dir();
    struct e2e_result native, traced;
    const char *nargv[] = {prog, NULL};
    const char *targv[] = {"ctrace", "run", "--no-report", "-o",
                           dir,      prog,  NULL};
    cr_assert_eq(e2e_run(&native, nargv), 0, "cannot start %s", prog);
    cr_assert_eq(e2e_run(&traced, targv), 0, "cannot start ctrace");
    cr_assert(!native.timed_out && !traced.timed_out);
    cr_expect_eq(traced.status, native.status,
                 "%s: exit %d under ctrace, %d "
                 "without",
                 sample, traced.status, native.status);
    cr_expect_str_eq(traced.out, native.out, "%s: output differs", sample);
    cr_expect_eq(native.status, 0, "%s fails even without ctrace:\n%s", sample,
                 native.out);
    e2e_result_free(&native);
    e2e_result_free(&traced);
}

Test(shim_transparency, errno_after_failing_trylock_and_trywait)
{
    compare_runs("c/errno_check");
    /* and the sample's own verdict under ctrace */
    const char *prog = e2e_sample("c/errno_check");
    const char *argv[] = {"ctrace",        "run", "--no-report", "-o",
                          e2e_trace_dir(), prog,  NULL};
    struct e2e_result r;
    cr_assert_eq(e2e_run(&r, argv), 0);
    cr_expect_eq(r.status, 0, "%s", r.out);
    cr_expect_not_null(strstr(r.out, "mutex trylock (held)           rc=16 "
                                     "errno=unchanged"),
                       "%s", r.out);
    cr_expect_not_null(strstr(r.out, "sem_trywait (zero)             rc=-1 "
                                     "errno=Resource temporarily unavailable"),
                       "%s", r.out);
    cr_expect_not_null(strstr(r.out, "all as expected"), "%s", r.out);
    e2e_result_free(&r);
}

static const char *const samples[] = {
    "c/thread_basic", "c/mutex_basic",  "c/rwlock_basic",  "c/spin_basic",
    "c/cond_basic",   "c/sem_basic",    "c/barrier_basic", "c/once_basic",
    "c/c11_threads",  "c/many_threads", "cxx/std_threads", "c/fd_numbers",
};

/* Parameters cross into Criterion's worker processes by value: pass
 * indexes, not pointers. */
ParameterizedTestParameters(shim_transparency, same_output_and_status)
{
    static int index[sizeof samples / sizeof samples[0]];
    for (size_t i = 0; i < sizeof index / sizeof index[0]; i++)
        index[i] = (int)i;
    return cr_make_param_array(int, index, sizeof index / sizeof index[0]);
}

ParameterizedTest(int *i, shim_transparency, same_output_and_status)
{
    compare_runs(samples[*i]);
}
