/* Robustness: a program that closes every descriptor and goes on
 * locking; a signal handler that takes a mutex; a SIGALRM storm during
 * lock-heavy work (no deadlock, no crash, events recorded). */
#include <criterion/criterion.h>
#include <signal.h>
#include <string.h>

#include "process_test.h"

Test(robust, close_range_program_fully_recorded, .timeout = 300)
{
    const char *argv[] = {e2e_sample("c/close_all_fds"), NULL};
    struct proc_run r;
    proc_run_traced(&r, argv, NULL);
    cr_assert_eq(r.res.status, 0, "close_all_fds exited %d", r.res.status);
    cr_expect_eq(r.t.lost, 0);
    cr_expect_eq(proc_count(&r.t, TRACE_EV_MUTEX_ACQUIRE, 0), 4 * 50000);
    cr_expect_eq(proc_count(&r.t, TRACE_EV_MUTEX_RELEASE, 0), 4 * 50000);
    cr_expect_eq(proc_count(&r.t, TRACE_EV_THREAD_START, 0), 5);
    cr_expect_eq(proc_count(&r.t, TRACE_EV_THREAD_EXIT, 0), 4);
    cr_expect_eq(proc_count(&r.t, TRACE_EV_PROCESS_EXIT, 0), 1);
    proc_run_free(&r);
}

/* What each thread did inside handlers of `signo`. */
struct handler_walk {
    size_t inside;   /* acquisitions of the lock inside a handler */
    size_t outside;  /* acquisitions of the lock outside any handler */
    size_t unclosed; /* threads whose last handler has no signal-leave */
};

static void walk_handlers(const struct e2e_trace *t, uint64_t lock,
                          uint32_t signo, struct handler_walk *hw)
{
    memset(hw, 0, sizeof *hw);
    for (size_t th = 0; th < t->nthreads; th++) {
        int depth = 0;
        for (size_t i = 0; i < t->n; i++) {
            const struct trace_event *e = &t->ev[i];
            if (e->thread != th)
                continue;
            if (e->type == TRACE_EV_SIGNAL_ENTER && e->arg == signo)
                depth++;
            else if (e->type == TRACE_EV_SIGNAL_LEAVE && e->arg == signo)
                depth--;
            cr_assert_geq(depth, 0, "signal-leave without signal-enter");
            if (e->type == TRACE_EV_MUTEX_ACQUIRE && e->obj == lock) {
                if (depth > 0)
                    hw->inside++;
                else
                    hw->outside++;
            }
        }
        hw->unclosed += depth != 0;
    }
}

Test(robust, signal_handler_takes_mutex)
{
    const char *argv[] = {e2e_sample("c/signal_mutex"), NULL};
    struct proc_run r;
    proc_run_traced(&r, argv, NULL);
    cr_assert_eq(r.res.status, 0, "signal_mutex exited %d\n%s", r.res.status,
                 r.res.out);
    uint64_t lock = proc_out_value(r.res.out, "sig_lock");
    cr_expect_eq(proc_count_arg(&r.t, TRACE_EV_SIGNAL_ENTER, 0, SIGUSR1), 3);
    cr_expect_eq(proc_count_arg(&r.t, TRACE_EV_SIGNAL_LEAVE, 0, SIGUSR1), 3);
    struct handler_walk hw;
    walk_handlers(&r.t, lock, SIGUSR1, &hw);
    cr_expect_eq(hw.inside, 3);
    cr_expect_eq(hw.outside, 0);
    cr_expect_eq(hw.unclosed, 0);
    cr_expect_eq(r.t.lost, 0);
    proc_run_free(&r);
}

Test(robust, sigalrm_storm_no_deadlock, .timeout = 600)
{
    const char *argv[] = {e2e_sample("c/alarm_storm"), NULL};
    struct proc_run r;
    proc_run_traced(&r, argv, NULL);
    cr_assert_eq(r.res.status, 0, "alarm_storm exited %d\n%s%s", r.res.status,
                 r.res.out, r.res.err);
    uint64_t alarms = proc_out_value(r.res.out, "alarms");
    size_t enters = proc_count_arg(&r.t, TRACE_EV_SIGNAL_ENTER, 0, SIGALRM);
    size_t leaves = proc_count_arg(&r.t, TRACE_EV_SIGNAL_LEAVE, 0, SIGALRM);
    cr_log_info("alarm storm: %llu handler runs, %zu recorded, %llu lost",
                (unsigned long long)alarms, enters,
                (unsigned long long)r.t.lost);
    cr_assert_gt(alarms, 0, "no SIGALRM arrived");
    /* Handlers that land while the shim runs its own code (a stack
     * capture) are not recorded, and events of handlers that land while
     * their thread switches chunks are counted as lost, by design: so
     * not every run is in the trace, but most are, each one whole unless
     * events were lost. */
    cr_expect_leq(enters, alarms);
    cr_expect_geq(enters * 2, alarms, "only %zu of %llu handlers", enters,
                  (unsigned long long)alarms);
    cr_expect_leq(leaves, enters);
    cr_expect_leq(enters - leaves, r.t.lost);
    /* The handler's lock (the first event after a signal-enter): only
     * ever taken inside handlers. */
    uint64_t handler_lock = 0;
    for (size_t i = 0; i < r.t.n && !handler_lock; i++) {
        if (r.t.ev[i].type != TRACE_EV_SIGNAL_ENTER)
            continue;
        for (size_t j = i + 1; j < r.t.n && !handler_lock; j++)
            if (r.t.ev[j].thread == r.t.ev[i].thread)
                handler_lock = r.t.ev[j].obj;
    }
    cr_assert_neq(handler_lock, 0);
    struct handler_walk hw;
    walk_handlers(&r.t, handler_lock, SIGALRM, &hw);
    cr_expect_eq(hw.outside, 0);
    cr_expect_leq(hw.inside, enters);
    cr_expect_leq(hw.unclosed, r.t.lost);
    /* The workers' own events are never lost: all 4 x 200000 pairs. */
    size_t acquires = proc_count(&r.t, TRACE_EV_MUTEX_ACQUIRE, 0);
    cr_expect_eq(acquires - hw.inside, 4u * 200000u);
    proc_run_free(&r);
}

/* The program reads back exactly the dispositions it set, flags and
 * masks included, although ctrace keeps handlers of its own installed. */
Test(robust, program_sees_its_own_dispositions)
{
    const char *argv[] = {e2e_sample("c/signal_view"), NULL};
    struct e2e_result native;
    proc_run_native(&native, argv, NULL);
    struct proc_run r;
    proc_run_traced(&r, argv, NULL);
    cr_expect_eq(native.status, 0);
    proc_assert_same("signal_view", &native, &r.res, NULL);
    /* The one-shot handler ran once, recorded as a handler run. */
    cr_expect_eq(proc_count_arg(&r.t, TRACE_EV_SIGNAL_ENTER, 0, SIGUSR2), 1);
    cr_expect_eq(proc_count_arg(&r.t, TRACE_EV_SIGNAL_LEAVE, 0, SIGUSR2), 1);
    e2e_result_free(&native);
    proc_run_free(&r);
}

/* A handler left with siglongjmp ends there: what follows is not
 * inside a handler. */
Test(robust, handler_left_by_longjmp)
{
    const char *argv[] = {e2e_sample("c/signal_jump"), NULL};
    struct proc_run r;
    proc_run_traced(&r, argv, NULL);
    cr_assert_eq(r.res.status, 0);
    cr_expect(strstr(r.res.out, "probe 0\n") != NULL);
    uint64_t lock = proc_out_value(r.res.out, "lock");
    const struct trace_event *sig = proc_find(&r.t, TRACE_EV_SIGNAL, 0, 0);
    cr_assert_not_null(sig, "the probe's SIGSEGV was not recorded");
    cr_expect_eq(((const struct trace_signal_info *)sig->payload)->signo,
                 SIGSEGV);
    struct handler_walk hw;
    walk_handlers(&r.t, lock, SIGSEGV, &hw);
    cr_expect_eq(proc_count_arg(&r.t, TRACE_EV_SIGNAL_ENTER, 0, SIGSEGV), 1);
    cr_expect_eq(proc_count_arg(&r.t, TRACE_EV_SIGNAL_LEAVE, 0, SIGSEGV), 1);
    cr_expect_eq(hw.outside, 1);
    cr_expect_eq(hw.inside, 0);
    cr_expect_eq(hw.unclosed, 0);
    proc_run_free(&r);
}
