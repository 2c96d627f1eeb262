/* End-to-end: thread life cycle and mutex events, recorded by the real
 * ctrace from samples/c/thread_basic, many_threads and mutex_basic. */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "shim_test.h"

/* The reader thread whose serial is `serial` in process `proc`. */
static long thread_by_serial(const struct e2e_trace *t, uint32_t proc,
                             uint32_t serial)
{
    for (size_t i = 0; i < t->nthreads; i++)
        if (t->threads[i].proc == proc && t->threads[i].serial == serial)
            return (long)i;
    return -1;
}

/* Every successful thread-create comes before the created thread's
 * thread-start in merged order.  Returns the number checked. */
static size_t check_create_before_start(const struct e2e_trace *t)
{
    size_t checked = 0;
    for (size_t i = 0; i < t->n; i++) {
        const struct trace_event *c = &t->ev[i];
        if (c->type != TRACE_EV_THREAD_CREATE)
            continue;
        if (i + 1 < t->n && t->ev[i + 1].thread == c->thread &&
            t->ev[i + 1].type == TRACE_EV_THREAD_CREATE_FAIL)
            continue;
        long th = thread_by_serial(t, c->proc, c->arg);
        cr_assert_geq(th, 0, "thread-create of serial %u: no such thread",
                      c->arg);
        long start = -1;
        for (size_t k = 0; k < t->n && start < 0; k++)
            if (t->ev[k].thread == (uint32_t)th &&
                t->ev[k].type == TRACE_EV_THREAD_START)
                start = (long)k;
        cr_assert_gt(start, (long)i,
                     "thread serial %u starts (event %ld) "
                     "before its thread-create (event %zu)",
                     c->arg, start, i);
        checked++;
    }
    return checked;
}

static long thread_named(const struct e2e_trace *t, const char *name)
{
    for (size_t i = 0; i < t->nthreads; i++)
        if (strcmp(t->threads[i].name, name) == 0)
            return (long)i;
    return -1;
}

Test(shim_threads, life_cycle_events)
{
    struct shim_run r;
    shim_run_sample(&r, "c/thread_basic");
    const struct e2e_trace *t = &r.t;
    cr_expect_eq(shim_count(t, TRACE_EV_THREAD_CREATE, ANY_OBJ, ANY_ARG), 6);
    cr_expect_eq(shim_count(t, TRACE_EV_THREAD_CREATE_FAIL, ANY_OBJ, ANY_ARG),
                 1);
    cr_expect_eq(shim_count(t, TRACE_EV_THREAD_START, ANY_OBJ, ANY_ARG), 6);
    cr_expect_eq(shim_count(t, TRACE_EV_THREAD_EXIT, ANY_OBJ, ANY_ARG), 5);
    cr_expect_eq(
        shim_count(t, TRACE_EV_THREAD_EXIT, ANY_OBJ, TRACE_EXIT_RETURN), 3);
    cr_expect_eq(
        shim_count(t, TRACE_EV_THREAD_EXIT, ANY_OBJ, TRACE_EXIT_PTHREAD_EXIT),
        1);
    cr_expect_eq(
        shim_count(t, TRACE_EV_THREAD_EXIT, ANY_OBJ, TRACE_EXIT_CANCEL), 1);
    cr_expect_eq(shim_count(t, TRACE_EV_THREAD_JOIN_WAIT, ANY_OBJ, ANY_ARG), 4);
    cr_expect_eq(shim_count(t, TRACE_EV_THREAD_JOIN, ANY_OBJ, 0), 4);
    cr_expect_eq(shim_count(t, TRACE_EV_THREAD_JOIN, ANY_OBJ, ANY_ARG), 4);
    cr_expect_eq(shim_count(t, TRACE_EV_THREAD_DETACH, ANY_OBJ, 0), 1);
    cr_expect_eq(check_create_before_start(t), 5);

    /* The failed creation: thread-create then thread-create-fail. */
    long fail = e2e_find(t, TRACE_EV_THREAD_CREATE_FAIL, 0);
    cr_assert_gt(fail, 0);
    cr_expect_eq(t->ev[fail - 1].type, TRACE_EV_THREAD_CREATE);
    cr_expect_neq(t->ev[fail].arg, 0);

    /* Names: one set by main with pthread_setname_np, one by the thread
     * itself with prctl. */
    long alpha = thread_named(t, "alpha"), beta = thread_named(t, "beta");
    cr_assert_geq(alpha, 0, "no thread named alpha");
    cr_assert_geq(beta, 0, "no thread named beta");
    cr_expect_eq(shim_count(t, TRACE_EV_THREAD_NAME, ANY_OBJ, ANY_ARG), 3);
    /* beta starts first and has one thread-exit, by pthread_exit (the
     * unwinder may record pthread_once calls after it). */
    size_t idx[64];
    size_t n = e2e_thread_events(t, (uint32_t)beta, idx, 64);
    cr_assert_geq(n, 2);
    cr_expect_eq(t->ev[idx[0]].type, TRACE_EV_THREAD_START);
    size_t exits = 0;
    for (size_t k = 0; k < n; k++) {
        if (t->ev[idx[k]].type != TRACE_EV_THREAD_EXIT)
            continue;
        cr_expect_eq(t->ev[idx[k]].arg, TRACE_EXIT_PTHREAD_EXIT);
        exits++;
    }
    cr_expect_eq(exits, 1);
    shim_run_free(&r);
}

Test(shim_threads, thousand_threads_all_recorded, .timeout = 600)
{
    struct shim_run r;
    shim_run_sample(&r, "c/many_threads");
    const struct e2e_trace *t = &r.t;
    cr_expect_eq(shim_count(t, TRACE_EV_THREAD_CREATE, ANY_OBJ, ANY_ARG), 1000);
    cr_expect_eq(shim_count(t, TRACE_EV_THREAD_START, ANY_OBJ, ANY_ARG), 1001);
    cr_expect_eq(
        shim_count(t, TRACE_EV_THREAD_EXIT, ANY_OBJ, TRACE_EXIT_RETURN), 1000);
    cr_expect_eq(shim_count(t, TRACE_EV_THREAD_JOIN, ANY_OBJ, 0), 1000);
    cr_expect_eq(t->nthreads, 1001);
    cr_expect_eq(check_create_before_start(t), 1000);
    /* Each worker: thread-start first and thread-exit last. */
    size_t checked = 0;
    for (uint32_t th = 0; th < t->nthreads; th++) {
        size_t idx[8];
        size_t n = e2e_thread_events(t, th, idx, 8);
        if (t->threads[th].serial == 0)
            continue; /* main */
        cr_assert_eq(n, 2, "thread %u has %zu events", t->threads[th].tid, n);
        cr_assert_eq(t->ev[idx[0]].type, TRACE_EV_THREAD_START);
        cr_assert_eq(t->ev[idx[1]].type, TRACE_EV_THREAD_EXIT);
        checked++;
    }
    cr_expect_eq(checked, 1000);
    shim_run_free(&r);
}

/* The objects of mutex-init, in order: plain, recursive, checked, robust. */
enum { PLAIN, RECURSIVE, CHECKED, ROBUST };

Test(shim_mutex, exact_events)
{
    struct shim_run r;
    shim_run_sample(&r, "c/mutex_basic");
    const struct e2e_trace *t = &r.t;
    uint64_t m[4];
    cr_assert_eq(shim_objects(t, TRACE_EV_MUTEX_INIT, m, 4), 4);
    cr_expect_eq(t->ev[e2e_find(t, TRACE_EV_MUTEX_INIT, 0)].arg,
                 PTHREAD_MUTEX_DEFAULT);
    cr_expect_eq(t->ev[e2e_find(t, TRACE_EV_MUTEX_INIT, 1)].arg,
                 PTHREAD_MUTEX_RECURSIVE);
    cr_expect_eq(t->ev[e2e_find(t, TRACE_EV_MUTEX_INIT, 2)].arg,
                 PTHREAD_MUTEX_ERRORCHECK);
    cr_expect_eq(t->ev[e2e_find(t, TRACE_EV_MUTEX_INIT, 3)].arg,
                 PTHREAD_MUTEX_NORMAL | TRACE_MUTEX_PSHARED |
                     TRACE_MUTEX_ROBUST);
    for (int k = 0; k < 4; k++)
        cr_expect_eq(shim_count(t, TRACE_EV_MUTEX_DESTROY, m[k], 0), 1);

    /* plain: 4000 contended pairs, the prober's three failures, main's
     * lock, trylock, timedlock and clocklock. */
    cr_expect_eq(shim_count(t, TRACE_EV_MUTEX_ACQUIRE, m[PLAIN], ANY_ARG),
                 4004);
    cr_expect_eq(shim_count(t, TRACE_EV_MUTEX_RELEASE, m[PLAIN], ANY_ARG),
                 4004);
    cr_expect_eq(shim_count(t, TRACE_EV_MUTEX_ACQUIRE, m[PLAIN], TRACE_ACQ_TRY),
                 1);
    cr_expect_eq(
        shim_count(t, TRACE_EV_MUTEX_ACQUIRE, m[PLAIN], TRACE_ACQ_TIMED), 2);
    cr_expect_eq(shim_count(t, TRACE_EV_MUTEX_FAIL, m[PLAIN], EBUSY), 1);
    cr_expect_eq(shim_count(t, TRACE_EV_MUTEX_FAIL, m[PLAIN], ETIMEDOUT), 2);
    cr_expect_eq(
        shim_check_lock_protocol(t, m[PLAIN], &shim_mutex_family, false),
        4004 * 2 + 3 + 2 + shim_count(t, TRACE_EV_MUTEX_WAIT, m[PLAIN], 0));
    cr_expect_eq(shim_check_exclusive(t, m[PLAIN], &shim_mutex_family), 4004);

    /* The prober's exact order: trylock fails, then each timed call
     * waits and times out. */
    uint32_t prober = shim_thread_of(t, TRACE_EV_MUTEX_FAIL, m[PLAIN]);
    const uint32_t types[] = {TRACE_EV_MUTEX_FAIL, TRACE_EV_MUTEX_WAIT,
                              TRACE_EV_MUTEX_FAIL, TRACE_EV_MUTEX_WAIT,
                              TRACE_EV_MUTEX_FAIL};
    const uint64_t args[] = {EBUSY, 1, ETIMEDOUT, 1, ETIMEDOUT};
    shim_expect_sequence(t, prober, m[PLAIN], 0, types, args, 5);

    cr_expect_eq(shim_count(t, TRACE_EV_MUTEX_ACQUIRE, m[RECURSIVE], ANY_ARG),
                 2);
    cr_expect_eq(shim_count(t, TRACE_EV_MUTEX_RELEASE, m[RECURSIVE], ANY_ARG),
                 2);
    shim_check_lock_protocol(t, m[RECURSIVE], &shim_mutex_family, false);

    /* checked: relock fails EDEADLK, the second unlock EPERM. */
    uint32_t main_thread = shim_thread_of(t, TRACE_EV_MUTEX_INIT, m[CHECKED]);
    const uint32_t ctypes[] = {
        TRACE_EV_MUTEX_INIT,         TRACE_EV_MUTEX_ACQUIRE,
        TRACE_EV_MUTEX_WAIT,         TRACE_EV_MUTEX_FAIL,
        TRACE_EV_MUTEX_RELEASE,      TRACE_EV_MUTEX_RELEASE,
        TRACE_EV_MUTEX_RELEASE_FAIL, TRACE_EV_MUTEX_DESTROY};
    const uint64_t cargs[] = {
        PTHREAD_MUTEX_ERRORCHECK, TRACE_ACQ_LOCK, 0, EDEADLK, 0, 0, EPERM, 0};
    shim_expect_sequence(t, main_thread, m[CHECKED], 0, ctypes, cargs, 8);
    shim_check_lock_protocol(t, m[CHECKED], &shim_mutex_family, false);

    cr_expect_eq(shim_count(t, TRACE_EV_MUTEX_ACQUIRE, m[ROBUST], ANY_ARG), 1);
    cr_expect_eq(shim_count(t, TRACE_EV_MUTEX_RELEASE, m[ROBUST], ANY_ARG), 1);

    /* The statically initialised mutex: used without init, 1 pair. */
    uint64_t all[8];
    size_t nobj = shim_objects(t, TRACE_EV_MUTEX_ACQUIRE, all, 8);
    cr_assert_eq(nobj, 5, "%zu locked mutexes, expected 5", nobj);
    uint64_t stat = 0;
    for (size_t k = 0; k < nobj; k++)
        if (all[k] != m[0] && all[k] != m[1] && all[k] != m[2] &&
            all[k] != m[3])
            stat = all[k];
    cr_assert_neq(stat, 0);
    cr_expect_eq(shim_count(t, TRACE_EV_MUTEX_INIT, stat, ANY_ARG), 0);
    cr_expect_eq(shim_count(t, TRACE_EV_MUTEX_ACQUIRE, stat, TRACE_ACQ_LOCK),
                 1);
    cr_expect_eq(shim_count(t, TRACE_EV_MUTEX_RELEASE, stat, 0), 1);
    shim_run_free(&r);
}
