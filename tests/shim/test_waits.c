/* End-to-end: condition variable, barrier and pthread_once events,
 * recorded by the real ctrace from samples/c/cond_basic, barrier_basic
 * and once_basic. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>

#include "shim_test.h"

/* The objects of cond-init, in order. */
enum { NOT_EMPTY, NOT_FULL, HANDSHAKE, NEVER };

Test(shim_cond, exact_events)
{
    struct shim_run r;
    shim_run_sample(&r, "c/cond_basic");
    const struct e2e_trace *t = &r.t;
    uint64_t c[4];
    cr_assert_eq(shim_objects(t, TRACE_EV_COND_INIT, c, 4), 4);
    for (int k = 0; k < 4; k++) {
        cr_expect_eq(shim_count(t, TRACE_EV_COND_INIT, c[k], 0), 1);
        cr_expect_eq(shim_count(t, TRACE_EV_COND_DESTROY, c[k], 0), 1);
    }
    cr_expect_eq(shim_count(t, TRACE_EV_COND_SIGNAL, c[NOT_EMPTY], 0), 1000);
    cr_expect_eq(shim_count(t, TRACE_EV_COND_SIGNAL, c[NOT_FULL], 0), 1000);
    cr_expect_eq(shim_count(t, TRACE_EV_COND_SIGNAL, c[HANDSHAKE], 0), 2);
    cr_expect_eq(shim_count(t, TRACE_EV_COND_SIGNAL, ANY_OBJ, ANY_ARG), 2002);
    cr_expect_eq(shim_count(t, TRACE_EV_COND_BROADCAST, c[NOT_EMPTY], 0), 1);
    cr_expect_eq(shim_count(t, TRACE_EV_COND_BROADCAST, ANY_OBJ, ANY_ARG), 1);

    /* Each wait is release + wait + wake + acquire, all on one mutex. */
    uint64_t mutex = 0, m2 = 0;
    size_t waits = shim_check_cond_waits(t, ANY_OBJ, &mutex);
    size_t hs_waits = shim_check_cond_waits(t, c[HANDSHAKE], &m2);
    cr_expect_eq(m2, mutex);
    cr_expect_eq(waits, shim_count(t, TRACE_EV_COND_WAIT, ANY_OBJ, ANY_ARG));
    cr_expect_eq(waits, shim_count(t, TRACE_EV_COND_WAKE, ANY_OBJ, ANY_ARG));
    /* Both handshakes always wait; the two timed waits time out. */
    cr_expect_geq(hs_waits, 4);
    cr_expect_eq(shim_count(t, TRACE_EV_COND_WAIT, c[HANDSHAKE], 1), 2);
    cr_expect_eq(shim_count(t, TRACE_EV_COND_WAKE, c[HANDSHAKE], ETIMEDOUT), 2);
    cr_expect_eq(shim_count(t, TRACE_EV_COND_WAKE, ANY_OBJ, ETIMEDOUT), 2);
    /* The cancelled waiter: woken with ECANCELED, the mutex held again
     * for its cleanup handler, which releases it. */
    cr_expect_eq(shim_count(t, TRACE_EV_COND_WAIT, c[NEVER], ANY_ARG), 1);
    cr_expect_eq(shim_count(t, TRACE_EV_COND_WAKE, c[NEVER], ECANCELED), 1);
    cr_expect_eq(shim_count(t, TRACE_EV_COND_WAKE, ANY_OBJ, ECANCELED), 1);
    uint32_t waiter = shim_thread_of(t, TRACE_EV_COND_WAIT, c[NEVER]);
    const uint32_t wtypes[] = {TRACE_EV_MUTEX_ACQUIRE, TRACE_EV_MUTEX_RELEASE,
                               TRACE_EV_MUTEX_ACQUIRE, TRACE_EV_MUTEX_RELEASE};
    const uint64_t wargs[] = {ANY_ARG, TRACE_REL_COND, TRACE_ACQ_LOCK, 0};
    shim_expect_sequence(t, waiter, mutex, TRACE_EV_MUTEX_WAIT, wtypes, wargs,
                         4);
    size_t widx[64];
    size_t wn = e2e_thread_events(t, waiter, widx, 64);
    cr_assert_geq(wn, 1);
    long exit_at = -1;
    for (size_t k = 0; k < wn; k++)
        if (t->ev[widx[k]].type == TRACE_EV_THREAD_EXIT)
            exit_at = (long)k;
    cr_assert_geq(exit_at, 0);
    cr_expect_eq(t->ev[widx[exit_at]].arg, TRACE_EXIT_CANCEL);
    cr_expect_eq(shim_count(t, TRACE_EV_MUTEX_RELEASE, mutex, TRACE_REL_COND),
                 waits);
    /* The lock calls: producer 1001, consumers 1002, signaller 1, main 2,
     * the cancelled waiter 1; plus one re-acquisition per wait. */
    cr_expect_eq(shim_count(t, TRACE_EV_MUTEX_ACQUIRE, mutex, ANY_ARG),
                 2007 + waits);
    cr_expect_eq(shim_count(t, TRACE_EV_MUTEX_RELEASE, mutex, ANY_ARG),
                 2007 + waits);
    shim_check_lock_protocol(t, mutex, &shim_mutex_family, false);
    cr_expect_eq(shim_check_exclusive(t, mutex, &shim_mutex_family),
                 2007 + waits);
    shim_run_free(&r);
}

Test(shim_barrier, exact_events)
{
    struct shim_run r;
    shim_run_sample(&r, "c/barrier_basic");
    const struct e2e_trace *t = &r.t;
    uint64_t b = shim_obj_of(t, TRACE_EV_BARRIER_INIT, 0);
    cr_expect_eq(shim_count(t, TRACE_EV_BARRIER_INIT, b, 4), 1);
    cr_expect_eq(shim_count(t, TRACE_EV_BARRIER_DESTROY, b, 0), 1);
    cr_expect_eq(shim_count(t, TRACE_EV_BARRIER_WAIT, b, 0), 80);
    cr_expect_eq(shim_count(t, TRACE_EV_BARRIER_LEAVE, b, ANY_ARG), 80);
    cr_expect_eq(shim_count(t, TRACE_EV_BARRIER_LEAVE, b, 1), 20);

    /* Per thread: wait, leave, wait, leave... 20 of each; the k-th
     * generation's arrivals all come before any of its departures. */
    uint32_t workers[4];
    size_t nw = 0;
    for (uint32_t th = 0; th < t->nthreads; th++) {
        size_t idx[64];
        size_t n = shim_thread_obj_events(t, th, b, idx, 64);
        if (n == 0 || t->ev[idx[0]].type == TRACE_EV_BARRIER_INIT)
            continue;
        cr_assert_eq(n, 40, "thread %u: %zu barrier events", t->threads[th].tid,
                     n);
        for (size_t k = 0; k < n; k++)
            cr_assert_eq(t->ev[idx[k]].type, k % 2 ? TRACE_EV_BARRIER_LEAVE
                                                   : TRACE_EV_BARRIER_WAIT);
        cr_assert_lt(nw, 4);
        workers[nw++] = th;
    }
    cr_assert_eq(nw, 4);
    for (size_t gen = 0; gen < 20; gen++) {
        long last_wait = -1, first_leave = -1;
        uint32_t serials = 0;
        for (size_t w = 0; w < 4; w++) {
            size_t idx[64];
            shim_thread_obj_events(t, workers[w], b, idx, 64);
            long wi = (long)idx[2 * gen], li = (long)idx[2 * gen + 1];
            if (wi > last_wait)
                last_wait = wi;
            if (first_leave < 0 || li < first_leave)
                first_leave = li;
            cr_assert_leq(t->ev[wi].ts_ns, t->ev[li].ts_ns);
            serials += t->ev[li].arg;
        }
        cr_expect_lt(last_wait, first_leave,
                     "generation %zu: a thread leaves "
                     "before all arrived",
                     gen);
        cr_expect_eq(serials, 1, "generation %zu: %u serial threads", gen,
                     serials);
    }
    shim_run_free(&r);
}

Test(shim_once, exact_events)
{
    struct shim_run r;
    shim_run_sample(&r, "c/once_basic");
    const struct e2e_trace *t = &r.t;
    uint64_t o[4];
    cr_assert_eq(shim_objects(t, TRACE_EV_ONCE_RUN, o, 4), 2);
    /* The outer control runs first; the nested one inside its routine. */
    uint64_t outer = o[0], inner = o[1];
    cr_expect_eq(shim_count(t, TRACE_EV_ONCE_ENTER, outer, 0), 25);
    cr_expect_eq(shim_count(t, TRACE_EV_ONCE_RUN, outer, ANY_ARG), 1);
    cr_expect_eq(shim_count(t, TRACE_EV_ONCE_DONE, outer, ANY_ARG), 25);
    cr_expect_eq(shim_count(t, TRACE_EV_ONCE_DONE, outer, 1), 1);
    cr_expect_eq(shim_count(t, TRACE_EV_ONCE_ENTER, inner, 0), 1);
    cr_expect_eq(shim_count(t, TRACE_EV_ONCE_RUN, inner, ANY_ARG), 1);
    cr_expect_eq(shim_count(t, TRACE_EV_ONCE_DONE, inner, 1), 1);
    cr_expect_eq(shim_count(t, TRACE_EV_ONCE_DONE, inner, ANY_ARG), 1);

    /* The runner: enter, run, (the nested once), done 1. */
    uint32_t runner = shim_thread_of(t, TRACE_EV_ONCE_RUN, outer);
    long run_at = -1, done_at = -1;
    for (size_t i = 0; i < t->n; i++) {
        const struct trace_event *e = &t->ev[i];
        if (e->thread != runner || e->obj != outer)
            continue;
        if (e->type == TRACE_EV_ONCE_RUN)
            run_at = (long)i;
        if (e->type == TRACE_EV_ONCE_DONE && e->arg == 1)
            done_at = (long)i;
    }
    cr_assert(run_at >= 0 && done_at > run_at);
    size_t nested = 0;
    for (long i = run_at; i < done_at; i++)
        nested += t->ev[i].thread == runner && t->ev[i].obj == inner;
    cr_expect_eq(nested, 3, "the nested once's events lie inside the routine");

    /* Every caller: once-enter then once-done; the release (arg 1) comes
     * before every acquire (arg 0) in merged order and in time. */
    size_t pairs = 0;
    for (uint32_t th = 0; th < t->nthreads; th++) {
        size_t idx[16];
        size_t n = shim_thread_obj_events(t, th, outer, idx, 16);
        size_t k = 0;
        while (k < n) {
            cr_assert_eq(t->ev[idx[k]].type, TRACE_EV_ONCE_ENTER);
            k++;
            if (k < n && t->ev[idx[k]].type == TRACE_EV_ONCE_RUN)
                k++;
            cr_assert(k < n && t->ev[idx[k]].type == TRACE_EV_ONCE_DONE);
            if (t->ev[idx[k]].arg == 0) {
                cr_expect_gt((long)idx[k], done_at);
                cr_expect_geq(t->ev[idx[k]].ts_ns, t->ev[done_at].ts_ns);
            }
            k++;
            pairs++;
        }
    }
    cr_expect_eq(pairs, 25);
    shim_run_free(&r);
}
