/* End-to-end: C11 <threads.h> and C++ std::thread / std::mutex /
 * std::condition_variable, recorded by the real ctrace from
 * samples/c/c11_threads and samples/cxx/std_threads.  The exact counts
 * also prove that nothing is recorded twice (C11 calls do not reach the
 * pthread wrappers) and nothing is missed (libstdc++ goes through them). */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>

#include "shim_test.h"

Test(shim_c11, exact_events)
{
    struct shim_run r;
    shim_run_sample(&r, "c/c11_threads");
    const struct e2e_trace *t = &r.t;
    uint64_t once = shim_printed_addr(&r, "once");
    uint64_t counter_lock = shim_printed_addr(&r, "counter_lock");
    uint64_t timed_lock = shim_printed_addr(&r, "timed_lock");

    /* Threads: 4 workers, the prober, the detached flagger. */
    cr_expect_eq(shim_count(t, TRACE_EV_THREAD_CREATE, ANY_OBJ, ANY_ARG), 6);
    cr_expect_eq(shim_count(t, TRACE_EV_THREAD_START, ANY_OBJ, ANY_ARG), 7);
    cr_expect_eq(shim_count(t, TRACE_EV_THREAD_JOIN_WAIT, ANY_OBJ, ANY_ARG), 5);
    cr_expect_eq(shim_count(t, TRACE_EV_THREAD_JOIN, ANY_OBJ, 0), 5);
    cr_expect_eq(shim_count(t, TRACE_EV_THREAD_DETACH, ANY_OBJ, 0), 1);
    cr_expect_eq(
        shim_count(t, TRACE_EV_THREAD_EXIT, ANY_OBJ, TRACE_EXIT_PTHREAD_EXIT),
        1, "thrd_exit");
    cr_expect_geq(
        shim_count(t, TRACE_EV_THREAD_EXIT, ANY_OBJ, TRACE_EXIT_RETURN), 4);

    /* Mutexes: init/destroy once each, with mtx_* counts exactly once. */
    cr_expect_eq(shim_count(t, TRACE_EV_MUTEX_INIT, counter_lock, 0), 1);
    cr_expect_eq(shim_count(t, TRACE_EV_MUTEX_INIT, timed_lock, 0), 1);
    cr_expect_eq(shim_count(t, TRACE_EV_MUTEX_DESTROY, counter_lock, 0), 1);
    cr_expect_eq(shim_count(t, TRACE_EV_MUTEX_DESTROY, timed_lock, 0), 1);
    uint64_t wait_mutex = 0;
    size_t waits = shim_check_cond_waits(t, ANY_OBJ, NULL);
    size_t flag_waits = 0;
    uint64_t conds[4];
    size_t nconds = shim_objects(t, TRACE_EV_COND_INIT, conds, 4);
    cr_assert_eq(nconds, 2);
    flag_waits = shim_check_cond_waits(t, conds[0], &wait_mutex);
    cr_expect_geq(flag_waits, 1);
    cr_expect_eq(wait_mutex, counter_lock);
    cr_expect_eq(shim_count(t, TRACE_EV_MUTEX_ACQUIRE, counter_lock, ANY_ARG),
                 4002 + flag_waits);
    cr_expect_eq(shim_count(t, TRACE_EV_MUTEX_RELEASE, counter_lock, ANY_ARG),
                 4002 + flag_waits);
    cr_expect_eq(shim_check_exclusive(t, counter_lock, &shim_mutex_family),
                 4002 + flag_waits);
    shim_check_lock_protocol(t, counter_lock, &shim_mutex_family, false);

    /* timed_lock: busy for the prober, then trylock, timedlock and the
     * re-acquisition after the timed-out cnd_timedwait. */
    cr_expect_eq(shim_count(t, TRACE_EV_MUTEX_ACQUIRE, timed_lock, ANY_ARG), 4);
    cr_expect_eq(
        shim_count(t, TRACE_EV_MUTEX_ACQUIRE, timed_lock, TRACE_ACQ_TRY), 1);
    cr_expect_eq(
        shim_count(t, TRACE_EV_MUTEX_ACQUIRE, timed_lock, TRACE_ACQ_TIMED), 1);
    cr_expect_eq(shim_count(t, TRACE_EV_MUTEX_FAIL, timed_lock, EBUSY), 1);
    cr_expect_eq(shim_count(t, TRACE_EV_MUTEX_FAIL, timed_lock, ETIMEDOUT), 1);
    uint32_t prober = shim_thread_of(t, TRACE_EV_MUTEX_FAIL, timed_lock);
    const uint32_t types[] = {TRACE_EV_MUTEX_FAIL, TRACE_EV_MUTEX_WAIT,
                              TRACE_EV_MUTEX_FAIL};
    const uint64_t args[] = {EBUSY, 1, ETIMEDOUT};
    shim_expect_sequence(t, prober, timed_lock, 0, types, args, 3);
    shim_check_lock_protocol(t, timed_lock, &shim_mutex_family, false);

    /* Condition variables. */
    cr_expect_eq(shim_count(t, TRACE_EV_COND_SIGNAL, conds[0], 0), 1);
    cr_expect_eq(shim_count(t, TRACE_EV_COND_BROADCAST, conds[1], 0), 1);
    cr_expect_eq(shim_count(t, TRACE_EV_COND_WAKE, conds[1], ETIMEDOUT), 1);
    cr_expect_eq(shim_count(t, TRACE_EV_COND_WAIT, conds[1], 1), 1);
    cr_expect_eq(waits, flag_waits + 1);
    cr_expect_eq(shim_count(t, TRACE_EV_COND_DESTROY, ANY_OBJ, 0), 2);

    /* call_once. */
    cr_expect_eq(shim_count(t, TRACE_EV_ONCE_ENTER, once, 0), 4);
    cr_expect_eq(shim_count(t, TRACE_EV_ONCE_RUN, once, ANY_ARG), 1);
    cr_expect_eq(shim_count(t, TRACE_EV_ONCE_DONE, once, ANY_ARG), 4);
    cr_expect_eq(shim_count(t, TRACE_EV_ONCE_DONE, once, 1), 1);
    shim_run_free(&r);
}

Test(shim_cxx, std_thread_mutex_condvar)
{
    struct shim_run r;
    shim_run_sample(&r, "cxx/std_threads");
    const struct e2e_trace *t = &r.t;
    uint64_t m = shim_printed_addr(&r, "mutex");
    uint64_t cv = shim_printed_addr(&r, "cond");
    cr_expect_eq(shim_count(t, TRACE_EV_THREAD_CREATE, ANY_OBJ, ANY_ARG), 5);
    cr_expect_eq(shim_count(t, TRACE_EV_THREAD_START, ANY_OBJ, ANY_ARG), 6);
    cr_expect_eq(
        shim_count(t, TRACE_EV_THREAD_EXIT, ANY_OBJ, TRACE_EXIT_RETURN), 5);
    cr_expect_eq(shim_count(t, TRACE_EV_THREAD_JOIN, ANY_OBJ, 0), 5);

    uint64_t wait_mutex = 0;
    size_t waits = shim_check_cond_waits(t, cv, &wait_mutex);
    cr_expect_geq(waits, 1, "main always waits for the notifier");
    cr_expect_eq(wait_mutex, m,
                 "the std::condition_variable waits name the "
                 "std::mutex");
    cr_expect_eq(shim_count(t, TRACE_EV_COND_SIGNAL, cv, 0), 1);
    cr_expect_eq(shim_count(t, TRACE_EV_COND_WAKE, cv, 0), waits);
    /* 4000 lock_guards, main's unique_lock, the notifier's lock_guard,
     * one re-acquisition per wait. */
    cr_expect_eq(shim_count(t, TRACE_EV_MUTEX_ACQUIRE, m, ANY_ARG),
                 4002 + waits);
    cr_expect_eq(shim_count(t, TRACE_EV_MUTEX_RELEASE, m, ANY_ARG),
                 4002 + waits);
    cr_expect_eq(shim_check_exclusive(t, m, &shim_mutex_family), 4002 + waits);
    shim_check_lock_protocol(t, m, &shim_mutex_family, false);
    shim_run_free(&r);
}
