/* Happens-before: every edge of hb.h, and no edge without one. */
#include <criterion/criterion.h>
#include <errno.h>

#include "builder.h"

static const uint64_t M = 0x2000, CV = 0x3000, S = 0x4000, BAR = 0x5000,
                      ONCE = 0x6000, RW = 0x7000;

static void setup(struct tb *b, size_t nthreads)
{
    tb_main(b, 0, 0, 100);
    for (uint32_t t = 1; t <= nthreads; t++) {
        tb_thread(b, t, 0, t);
        tb_create(b, 0, t, 0x9000 + t, 0x4000 + t);
    }
}

/* Thread u's work at epoch e happens before thread t's current point? */
static bool hb(struct tb *b, uint32_t u, uint64_t e, uint32_t t)
{
    return analyzer_hb_ordered(b->a, u, e, t);
}

static void finish(struct tb *b)
{
    struct analysis_result r;
    tb_finish(b, &r);
    analysis_result_free(&r);
}

Test(hb, nothing_without_sync)
{
    struct tb b;
    tb_init(&b, NULL);
    setup(&b, 2);
    tb_lock(&b, 1, M, 1);
    uint64_t e1 = analyzer_hb_epoch(b.a, 1);
    tb_unlock(&b, 1, M, 2);
    b.now += 1000000; /* much later, but nothing orders it */
    tb_lock(&b, 2, 0x9999, 3);
    cr_assert(!hb(&b, 1, e1, 2));
    cr_assert(hb(&b, 1, e1, 1), "program order");
    finish(&b);
}

Test(hb, mutex)
{
    struct tb b;
    tb_init(&b, NULL);
    setup(&b, 2);
    tb_lock(&b, 1, M, 1);
    uint64_t e1 = analyzer_hb_epoch(b.a, 1);
    tb_unlock(&b, 1, M, 2);
    cr_assert(!hb(&b, 1, e1, 2));
    tb_lock_contended(&b, 2, M, 3);
    cr_assert(hb(&b, 1, e1, 2));
    /* and not the other way */
    uint64_t e2 = analyzer_hb_epoch(b.a, 2);
    cr_assert(!hb(&b, 2, e2, 1));
    finish(&b);
}

Test(hb, rwlock_readers_do_not_order_each_other)
{
    struct tb b;
    tb_init(&b, NULL);
    setup(&b, 3);
    tb_ev(&b, 1, TRACE_EV_RWLOCK_RDACQUIRE, RW, 0, 1);
    uint64_t e1 = analyzer_hb_epoch(b.a, 1);
    tb_ev(&b, 1, TRACE_EV_RWLOCK_RELEASE, RW, 0, 2);
    tb_ev(&b, 2, TRACE_EV_RWLOCK_RDACQUIRE, RW, 0, 3);
    cr_assert(!hb(&b, 1, e1, 2), "reader -> reader: no edge");
    uint64_t e2 = analyzer_hb_epoch(b.a, 2);
    tb_ev(&b, 2, TRACE_EV_RWLOCK_RELEASE, RW, 0, 4);
    tb_ev(&b, 3, TRACE_EV_RWLOCK_WRACQUIRE, RW, 0, 5);
    cr_assert(hb(&b, 1, e1, 3) && hb(&b, 2, e2, 3), "readers -> writer");
    uint64_t e3 = analyzer_hb_epoch(b.a, 3);
    tb_ev(&b, 3, TRACE_EV_RWLOCK_RELEASE, RW, 0, 6);
    tb_ev(&b, 1, TRACE_EV_RWLOCK_RDACQUIRE, RW, 0, 7);
    cr_assert(hb(&b, 3, e3, 1), "writer -> reader");
    finish(&b);
}

Test(hb, cond_signal_to_wake)
{
    for (int timed_out = 0; timed_out < 2; timed_out++) {
        struct tb b;
        tb_init(&b, NULL);
        setup(&b, 2);
        tb_lock(&b, 2, M, 1);
        tb_ev(&b, 2, TRACE_EV_MUTEX_RELEASE, M, TRACE_REL_COND, 2);
        tb_ev(&b, 2, TRACE_EV_COND_WAIT, CV, 0, 2);
        uint64_t e1 = analyzer_hb_epoch(b.a, 1);
        tb_ev(&b, 1, TRACE_EV_COND_SIGNAL, CV, 0, 3);
        tb_ev(&b, 2, TRACE_EV_COND_WAKE, CV, timed_out ? ETIMEDOUT : 0, 2);
        cr_assert_eq(hb(&b, 1, e1, 2), !timed_out);
        finish(&b);
    }
}

Test(hb, sem_post_to_acquire)
{
    struct tb b;
    tb_init(&b, NULL);
    setup(&b, 2);
    tb_ev(&b, 0, TRACE_EV_SEM_INIT, S, 0, 1);
    tb_ev(&b, 2, TRACE_EV_SEM_WAIT, S, 0, 2);
    uint64_t e1 = analyzer_hb_epoch(b.a, 1);
    tb_ev(&b, 1, TRACE_EV_SEM_POST, S, 0, 3);
    cr_assert(!hb(&b, 1, e1, 2));
    tb_ev(&b, 2, TRACE_EV_SEM_ACQUIRE, S, 0, 2);
    cr_assert(hb(&b, 1, e1, 2));
    finish(&b);
}

Test(hb, barrier_round)
{
    struct tb b;
    tb_init(&b, NULL);
    setup(&b, 3);
    tb_ev(&b, 0, TRACE_EV_BARRIER_INIT, BAR, 2, 1);
    uint64_t e1 = analyzer_hb_epoch(b.a, 1);
    uint64_t e2 = analyzer_hb_epoch(b.a, 2);
    tb_ev(&b, 1, TRACE_EV_BARRIER_WAIT, BAR, 0, 2);
    tb_ev(&b, 2, TRACE_EV_BARRIER_WAIT, BAR, 0, 3);
    tb_ev(&b, 2, TRACE_EV_BARRIER_LEAVE, BAR, 1, 3);
    /* thread 2 arrives at the next round before thread 1 left this one */
    uint64_t e2b = analyzer_hb_epoch(b.a, 2);
    tb_ev(&b, 2, TRACE_EV_BARRIER_WAIT, BAR, 0, 3);
    tb_ev(&b, 1, TRACE_EV_BARRIER_LEAVE, BAR, 0, 2);
    cr_assert(hb(&b, 1, e1, 2) && hb(&b, 2, e2, 1));
    cr_assert(!hb(&b, 2, e2b, 1), "next round's arrival is not in this one");
    cr_assert(!hb(&b, 1, e1, 3), "a thread not at the barrier");
    finish(&b);
}

Test(hb, once)
{
    struct tb b;
    tb_init(&b, NULL);
    setup(&b, 2);
    tb_ev(&b, 1, TRACE_EV_ONCE_ENTER, ONCE, 0, 1);
    tb_ev(&b, 1, TRACE_EV_ONCE_RUN, ONCE, 0, 1);
    uint64_t e1 = analyzer_hb_epoch(b.a, 1);
    tb_ev(&b, 1, TRACE_EV_ONCE_DONE, ONCE, 1, 1);
    tb_ev(&b, 2, TRACE_EV_ONCE_ENTER, ONCE, 0, 2);
    tb_ev(&b, 2, TRACE_EV_ONCE_DONE, ONCE, 0, 2);
    cr_assert(hb(&b, 1, e1, 2));
    finish(&b);
}

Test(hb, create_start_exit_join)
{
    struct tb b;
    tb_init(&b, NULL);
    tb_main(&b, 0, 0, 100);
    tb_thread(&b, 1, 0, 1);
    uint64_t e0 = analyzer_hb_epoch(b.a, 0);
    tb_create(&b, 0, 1, 0x9001, 0x4001);
    cr_assert(hb(&b, 0, e0, 1), "create -> start");
    uint64_t e0b = analyzer_hb_epoch(b.a, 0);
    cr_assert(!hb(&b, 0, e0b, 1), "the creator after the create");
    tb_lock(&b, 1, M, 1);
    uint64_t e1 = analyzer_hb_epoch(b.a, 1);
    tb_exit(&b, 1, 0x9001);
    cr_assert(!hb(&b, 1, e1, 0));
    tb_join(&b, 0, 0x9001, 2);
    cr_assert(hb(&b, 1, e1, 0), "exit -> join");
    finish(&b);
}

/* fork -> child; child end -> reap; a process-shared mutex across. */
Test(hb, processes)
{
    struct tb b;
    tb_init(&b, NULL);
    tb_main(&b, 0, 0, 100);
    tb_process(&b, 1, 200, 100, 0);
    tb_thread(&b, 5, 1, 0);
    tb_ev(&b, 0, TRACE_EV_MUTEX_INIT, M, TRACE_MUTEX_PSHARED, 1);
    uint64_t e0 = analyzer_hb_epoch(b.a, 0);
    tb_ev(&b, 0, TRACE_EV_FORK, 0, 200, 2);
    struct trace_process_info info = {200, 100, 0, TRACE_FILE_FORKED};
    tb_ev_payload(&b, 5, TRACE_EV_PROCESS_START, 0, sizeof info, 0, &info,
                  sizeof info);
    cr_assert(hb(&b, 0, e0, 5), "fork -> child");
    uint64_t e0b = analyzer_hb_epoch(b.a, 0);
    /* the child takes and releases the shared mutex, the parent takes it */
    tb_lock(&b, 5, M, 3);
    uint64_t e5 = analyzer_hb_epoch(b.a, 5);
    tb_unlock(&b, 5, M, 4);
    cr_assert(!hb(&b, 5, e5, 0));
    tb_lock_contended(&b, 0, M, 5);
    cr_assert(hb(&b, 5, e5, 0), "process-shared mutex");
    tb_unlock(&b, 0, M, 6);
    cr_assert(!hb(&b, 0, e0b, 5));
    /* a private mutex at the same address in another fork: no edge */
    tb_ev(&b, 5, TRACE_EV_SEM_INIT, S, 0, 7);
    uint64_t e5b = analyzer_hb_epoch(b.a, 5);
    tb_ev(&b, 5, TRACE_EV_PROCESS_EXIT, 0, 0, 8);
    cr_assert(!hb(&b, 5, e5b, 0));
    struct trace_reap_info ri = {200, 0, 0, 1};
    tb_ev(&b, 0, TRACE_EV_PROCESS_WAIT, 0, 200, 9);
    tb_ev_payload(&b, 0, TRACE_EV_PROCESS_REAP, 0, sizeof ri, 9, &ri,
                  sizeof ri);
    cr_assert(hb(&b, 5, e5b, 0), "child end -> reap");
    finish(&b);
}

Test(hb, private_mutex_not_shared_across_fork)
{
    struct tb b;
    tb_init(&b, NULL);
    tb_main(&b, 0, 0, 100);
    tb_process(&b, 1, 200, 100, 0);
    tb_thread(&b, 5, 1, 0);
    tb_ev(&b, 0, TRACE_EV_MUTEX_INIT, M, 0, 1);
    tb_ev(&b, 0, TRACE_EV_FORK, 0, 200, 2);
    struct trace_process_info info = {200, 100, 0, TRACE_FILE_FORKED};
    tb_ev_payload(&b, 5, TRACE_EV_PROCESS_START, 0, sizeof info, 0, &info,
                  sizeof info);
    tb_lock(&b, 5, M, 3);
    uint64_t e5 = analyzer_hb_epoch(b.a, 5);
    tb_unlock(&b, 5, M, 4);
    tb_lock(&b, 0, M, 5);
    cr_assert(!hb(&b, 5, e5, 0), "the child's copy is another mutex");
    finish(&b);
}

Test(hb, clock_query)
{
    struct tb b;
    tb_init(&b, NULL);
    setup(&b, 1);
    uint64_t c[2];
    uint32_t n = analyzer_hb_clock(b.a, 1, c, 2);
    cr_assert_geq(n, 2);
    cr_assert_geq(c[0], 1, "knows its creator");
    cr_assert_eq(c[1], 1, "its own first epoch");
    finish(&b);
}

/* 20,000 threads created and joined in waves of 100: the clocks of
 * joined threads are forgotten, so memory follows the live threads (all
 * of them kept would be 20,000 clocks of 20,000 entries: 3.2 GB). */
#include <sys/resource.h>

Test(hb, many_threads_memory)
{
    struct tb b;
    tb_init(&b, NULL);
    tb_main(&b, 0, 0, 100);
    uint64_t e0 = analyzer_hb_epoch(b.a, 0);
    for (uint32_t wave = 0; wave < 200; wave++) {
        for (uint32_t k = 1; k <= 100; k++) {
            uint32_t t = wave * 100 + k;
            tb_thread(&b, t, 0, t);
            tb_create(&b, 0, t, 0x100000 + 64 * k, 0x4000);
            tb_lock(&b, t, M, 1);
            tb_unlock(&b, t, M, 2);
            tb_exit(&b, t, 0x100000 + 64 * k);
        }
        for (uint32_t k = 1; k <= 100; k++)
            tb_join(&b, 0, 0x100000 + 64 * k, 3);
    }
    cr_assert(hb(&b, 20000, 1, 0), "main joined the last one");
    tb_thread(&b, 20001, 0, 20001);
    tb_create(&b, 0, 20001, 0x900000, 0x4000);
    cr_assert(hb(&b, 0, e0, 20001), "a new thread knows main's start");
    cr_assert(hb(&b, 777, 1, 20001), "and, through main, every joined one");
    struct analysis_result r;
    tb_finish(&b, &r);
    cr_assert_eq(r.nfindings, 0);
    analysis_result_free(&r);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    cr_log_info("peak RSS %ld KB", ru.ru_maxrss);
#if !defined(__SANITIZE_ADDRESS__)
    /* (AddressSanitizer's quarantine and shadow make RSS meaningless.) */
    cr_assert_lt(ru.ru_maxrss, 400 * 1024, "peak RSS %ld KB", ru.ru_maxrss);
#endif
}
