/* Misuse findings, one test each, with the bug-free variant beside it. */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>

#include "builder.h"

static const uint64_t M = 0x2000, M2 = 0x2100, CV = 0x3000, S = 0x4000,
                      BAR = 0x5000;
#define SITE(t, k) (0x700000ull + 0x100ull * (t) + (k))

static void setup(struct tb *b, size_t nthreads)
{
    tb_main(b, 0, 0, 100);
    for (uint32_t t = 1; t <= nthreads; t++) {
        tb_thread(b, t, 0, t);
        tb_create(b, 0, t, 0x9000 + t, 0x4000 + t);
    }
}

static struct analysis_result done(struct tb *b)
{
    struct analysis_result r;
    tb_finish(b, &r);
    return r;
}

/* Exactly one finding, of kind k, about thread t and object o. */
static const struct finding *only(const struct analysis_result *r,
                                  enum finding_kind k, uint32_t t, uint64_t o)
{
    if (r->nfindings != 1)
        tb_dump(r);
    cr_assert_eq(r->nfindings, 1, "%zu findings", r->nfindings);
    const struct finding *f = &r->findings[0];
    cr_assert_eq(f->kind, k, "kind %s", finding_kind_name(f->kind));
    cr_assert(tb_has_thread(f, t));
    if (o)
        cr_assert(tb_has_object(f, o));
    cr_assert_eq(f->pid, 100);
    cr_assert_gt(f->nstacks, 0);
    return f;
}

Test(misuse, double_lock_normal)
{
    struct tb b;
    tb_init(&b, NULL);
    setup(&b, 1);
    tb_lock(&b, 1, M, SITE(1, 1));
    tb_lock_wait(&b, 1, M, SITE(1, 2)); /* blocks forever on itself */
    struct analysis_result r = done(&b);
    const struct finding *f = only(&r, FINDING_DOUBLE_LOCK, 1, M);
    cr_assert(tb_has_site(f, SITE(1, 2)) && tb_has_site(f, SITE(1, 1)));
    cr_assert_eq(tb_count(&r, FINDING_DEADLOCK), 0, "no self-cycle report");
    analysis_result_free(&r);
}

Test(misuse, double_lock_errorcheck_once)
{
    struct tb b;
    tb_init(&b, NULL);
    setup(&b, 1);
    tb_ev(&b, 1, TRACE_EV_MUTEX_INIT, M, PTHREAD_MUTEX_ERRORCHECK, SITE(1, 0));
    tb_lock(&b, 1, M, SITE(1, 1));
    tb_lock_wait(&b, 1, M, SITE(1, 2));
    tb_ev(&b, 1, TRACE_EV_MUTEX_FAIL, M, EDEADLK, SITE(1, 2));
    tb_unlock(&b, 1, M, SITE(1, 3));
    struct analysis_result r = done(&b);
    const struct finding *f = only(&r, FINDING_DOUBLE_LOCK, 1, M);
    cr_assert_eq(f->count, 1);
    analysis_result_free(&r);
}

Test(misuse, recursive_is_fine)
{
    struct tb b;
    tb_init(&b, NULL);
    setup(&b, 1);
    tb_lock(&b, 1, M, SITE(1, 1));
    tb_lock(&b, 1, M, SITE(1, 2)); /* trylock-first succeeded: recursive */
    tb_unlock(&b, 1, M, SITE(1, 3));
    tb_unlock(&b, 1, M, SITE(1, 3));
    tb_ev(&b, 0, TRACE_EV_THREAD_JOIN_WAIT, 0x9001, 0, 0);
    tb_exit(&b, 1, 0x9001);
    tb_ev(&b, 0, TRACE_EV_THREAD_JOIN, 0x9001, 0, 0);
    struct analysis_result r = done(&b);
    cr_assert_eq(r.nfindings, 0);
    analysis_result_free(&r);
}

Test(misuse, unlock_of_unlocked)
{
    struct tb b;
    tb_init(&b, NULL);
    setup(&b, 1);
    tb_lock(&b, 1, M, SITE(1, 1));
    tb_unlock(&b, 1, M, SITE(1, 2));
    tb_unlock(&b, 1, M, SITE(1, 3));
    struct analysis_result r = done(&b);
    const struct finding *f = only(&r, FINDING_UNLOCK_OF_UNLOCKED, 1, M);
    cr_assert(tb_has_site(f, SITE(1, 3)));
    analysis_result_free(&r);
}

Test(misuse, unlock_by_non_owner)
{
    struct tb b;
    tb_init(&b, NULL);
    setup(&b, 2);
    tb_lock(&b, 1, M, SITE(1, 1));
    tb_unlock(&b, 2, M, SITE(2, 1));
    struct analysis_result r = done(&b);
    const struct finding *f = only(&r, FINDING_UNLOCK_BY_NON_OWNER, 2, M);
    cr_assert(tb_has_thread(f, 1), "the owner");
    cr_assert(tb_has_site(f, SITE(1, 1)), "where the owner took it");
    /* a default mutex is really unlocked: thread 1's unlock is then of an
     * unlocked mutex... but it is the same bug; here the owner does not
     * unlock again */
    analysis_result_free(&r);
}

Test(misuse, destroy_of_locked)
{
    struct tb b;
    tb_init(&b, NULL);
    setup(&b, 2);
    tb_ev(&b, 0, TRACE_EV_MUTEX_INIT, M, 0, SITE(0, 1));
    tb_lock(&b, 1, M, SITE(1, 1));
    tb_ev(&b, 2, TRACE_EV_MUTEX_DESTROY, M, EBUSY, SITE(2, 1));
    struct analysis_result r = done(&b);
    const struct finding *f = only(&r, FINDING_DESTROY_OF_LOCKED, 2, M);
    cr_assert(tb_has_thread(f, 1));
    cr_assert_eq(f->objects[0].create_pc, SITE(0, 1), "init site");
    analysis_result_free(&r);
}

Test(misuse, use_of_destroyed)
{
    struct tb b;
    tb_init(&b, NULL);
    setup(&b, 1);
    tb_ev(&b, 0, TRACE_EV_MUTEX_INIT, M, 0, SITE(0, 1));
    tb_lock(&b, 1, M, SITE(1, 1));
    tb_unlock(&b, 1, M, SITE(1, 2));
    tb_ev(&b, 1, TRACE_EV_MUTEX_DESTROY, M, 0, SITE(1, 3));
    tb_lock(&b, 1, M, SITE(1, 4));
    tb_unlock(&b, 1, M, SITE(1, 5));
    struct analysis_result r = done(&b);
    const struct finding *f = only(&r, FINDING_USE_OF_DESTROYED, 1, M);
    cr_assert(tb_has_site(f, SITE(1, 4)) && tb_has_site(f, SITE(1, 3)));
    analysis_result_free(&r);

    /* destroyed and initialised again: fine */
    tb_init(&b, NULL);
    setup(&b, 1);
    tb_ev(&b, 1, TRACE_EV_MUTEX_DESTROY, M, 0, SITE(1, 3));
    tb_ev(&b, 1, TRACE_EV_MUTEX_INIT, M, 0, SITE(1, 6));
    tb_lock(&b, 1, M, SITE(1, 4));
    tb_unlock(&b, 1, M, SITE(1, 5));
    r = done(&b);
    cr_assert_eq(r.nfindings, 0);
    analysis_result_free(&r);
}

Test(misuse, cond_wait_without_mutex)
{
    struct tb b;
    tb_init(&b, NULL);
    setup(&b, 2);
    tb_ev(&b, 1, TRACE_EV_MUTEX_RELEASE, M, TRACE_REL_COND, SITE(1, 1));
    tb_ev(&b, 1, TRACE_EV_COND_WAIT, CV, 1, SITE(1, 1));
    tb_ev(&b, 2, TRACE_EV_COND_SIGNAL, CV, 0, SITE(2, 1));
    tb_ev(&b, 1, TRACE_EV_COND_WAKE, CV, 0, SITE(1, 1));
    tb_lock(&b, 1, M, SITE(1, 1));
    tb_unlock(&b, 1, M, SITE(1, 2));
    struct analysis_result r = done(&b);
    const struct finding *f = only(&r, FINDING_COND_WAIT_WITHOUT_MUTEX, 1, CV);
    cr_assert(tb_has_object(f, M));
    analysis_result_free(&r);

    /* with the mutex held: fine */
    tb_init(&b, NULL);
    setup(&b, 2);
    tb_lock(&b, 1, M, SITE(1, 0));
    tb_ev(&b, 1, TRACE_EV_MUTEX_RELEASE, M, TRACE_REL_COND, SITE(1, 1));
    tb_ev(&b, 1, TRACE_EV_COND_WAIT, CV, 1, SITE(1, 1));
    tb_ev(&b, 2, TRACE_EV_COND_SIGNAL, CV, 0, SITE(2, 1));
    tb_ev(&b, 1, TRACE_EV_COND_WAKE, CV, 0, SITE(1, 1));
    tb_lock(&b, 1, M, SITE(1, 1));
    tb_unlock(&b, 1, M, SITE(1, 2));
    r = done(&b);
    cr_assert_eq(r.nfindings, 0);
    analysis_result_free(&r);
}

static void cond_wait(struct tb *b, uint32_t t, uint64_t m)
{
    tb_lock(b, t, m, SITE(t, 1));
    tb_ev(b, t, TRACE_EV_MUTEX_RELEASE, m, TRACE_REL_COND, SITE(t, 2));
    tb_ev(b, t, TRACE_EV_COND_WAIT, CV, 1, SITE(t, 2));
}

static void cond_wake(struct tb *b, uint32_t t, uint64_t m)
{
    tb_ev(b, t, TRACE_EV_COND_WAKE, CV, 0, SITE(t, 2));
    tb_lock(b, t, m, SITE(t, 2));
    tb_unlock(b, t, m, SITE(t, 3));
}

Test(misuse, cond_multiple_mutexes)
{
    struct tb b;
    tb_init(&b, NULL);
    setup(&b, 3);
    cond_wait(&b, 1, M);
    cond_wait(&b, 2, M2);
    tb_ev(&b, 3, TRACE_EV_COND_BROADCAST, CV, 0, SITE(3, 1));
    cond_wake(&b, 1, M);
    cond_wake(&b, 2, M2);
    struct analysis_result r = done(&b);
    const struct finding *f = only(&r, FINDING_COND_MULTIPLE_MUTEXES, 2, CV);
    cr_assert(tb_has_thread(f, 1), "the other waiter");
    cr_assert(tb_has_object(f, M) && tb_has_object(f, M2));
    analysis_result_free(&r);

    /* one mutex, then another once nobody waits: allowed */
    tb_init(&b, NULL);
    setup(&b, 3);
    cond_wait(&b, 1, M);
    tb_ev(&b, 3, TRACE_EV_COND_SIGNAL, CV, 0, SITE(3, 1));
    cond_wake(&b, 1, M);
    cond_wait(&b, 2, M2);
    tb_ev(&b, 3, TRACE_EV_COND_SIGNAL, CV, 0, SITE(3, 1));
    cond_wake(&b, 2, M2);
    r = done(&b);
    cr_assert_eq(r.nfindings, 0);
    analysis_result_free(&r);
}

static struct analysis_result leak_run(int end) /* 0 none, 1 join, 2 detach */
{
    struct tb b;
    tb_init(&b, NULL);
    setup(&b, 1);
    if (end == 2)
        tb_ev(&b, 0, TRACE_EV_THREAD_DETACH, 0x9001, 0, SITE(0, 1));
    tb_exit(&b, 1, 0x9001);
    if (end == 1)
        tb_join(&b, 0, 0x9001, SITE(0, 2));
    tb_ev(&b, 0, TRACE_EV_PROCESS_EXIT, 0, 0, SITE(0, 3));
    return done(&b);
}

Test(misuse, thread_leak)
{
    struct analysis_result r = leak_run(0);
    const struct finding *f = only(&r, FINDING_THREAD_LEAK, 1, 0);
    cr_assert(tb_has_thread(f, 0), "its creator");
    cr_assert(tb_has_site(f, 0x400001), "where it was created");
    cr_assert(tb_has_site(f, 0x4001 + 1),
              "its start routine (+1: symbolized at pc-1 like the others)");
    analysis_result_free(&r);
    r = leak_run(1);
    cr_assert_eq(r.nfindings, 0, "joined");
    analysis_result_free(&r);
    r = leak_run(2);
    cr_assert_eq(r.nfindings, 0, "detached");
    analysis_result_free(&r);
}

/* A detach that comes before the thread's start event still counts. */
Test(misuse, thread_leak_early_detach)
{
    struct tb b;
    tb_init(&b, NULL);
    tb_main(&b, 0, 0, 100);
    tb_thread(&b, 1, 0, 1);
    tb_ev(&b, 0, TRACE_EV_THREAD_CREATE, 0, 1, SITE(0, 1));
    tb_ev(&b, 0, TRACE_EV_THREAD_DETACH, 0x9001, 0, SITE(0, 2));
    tb_ev(&b, 1, TRACE_EV_THREAD_START, 0x9001, 0, 0x4001);
    tb_exit(&b, 1, 0x9001);
    tb_ev(&b, 0, TRACE_EV_PROCESS_EXIT, 0, 0, SITE(0, 3));
    struct analysis_result r = done(&b);
    cr_assert_eq(r.nfindings, 0);
    analysis_result_free(&r);
}

Test(misuse, exit_holding_lock)
{
    struct tb b;
    tb_init(&b, NULL);
    setup(&b, 1);
    tb_lock(&b, 1, M, SITE(1, 1));
    tb_exit(&b, 1, 0x9001);
    tb_join(&b, 0, 0x9001, SITE(0, 1));
    struct analysis_result r = done(&b);
    const struct finding *f = only(&r, FINDING_EXIT_HOLDING_LOCK, 1, M);
    cr_assert(tb_has_site(f, SITE(1, 1)));
    analysis_result_free(&r);
}

Test(misuse, invalid_join)
{
    struct tb b;
    tb_init(&b, NULL);
    setup(&b, 1);
    tb_exit(&b, 1, 0x9001);
    tb_join(&b, 0, 0x9001, SITE(0, 1));
    tb_ev(&b, 0, TRACE_EV_THREAD_JOIN_WAIT, 0x9001, 0, SITE(0, 2));
    tb_ev(&b, 0, TRACE_EV_THREAD_JOIN, 0x9001, ESRCH, SITE(0, 2));
    struct analysis_result r = done(&b);
    const struct finding *f = only(&r, FINDING_INVALID_JOIN, 0, 0);
    cr_assert(tb_has_thread(f, 1));
    cr_assert(tb_has_site(f, SITE(0, 2)));
    cr_assert(strstr(tb_message(f), "already joined"), "%s", tb_message(f));
    analysis_result_free(&r);

    /* join of a detached thread */
    tb_init(&b, NULL);
    setup(&b, 1);
    tb_ev(&b, 1, TRACE_EV_THREAD_DETACH, 0x9001, 0, SITE(1, 1));
    tb_ev(&b, 0, TRACE_EV_THREAD_JOIN_WAIT, 0x9001, 0, SITE(0, 3));
    tb_ev(&b, 0, TRACE_EV_THREAD_JOIN, 0x9001, EINVAL, SITE(0, 3));
    r = done(&b);
    f = only(&r, FINDING_INVALID_JOIN, 0, 0);
    cr_assert(strstr(tb_message(f), "detached"), "%s", tb_message(f));
    analysis_result_free(&r);
}

/* pthread_t values are reused: joining a new thread with the value of
 * a joined one is fine. */
Test(misuse, join_reused_pthread_t)
{
    struct tb b;
    tb_init(&b, NULL);
    tb_main(&b, 0, 0, 100);
    tb_thread(&b, 1, 0, 1);
    tb_thread(&b, 2, 0, 2);
    tb_create(&b, 0, 1, 0x9001, 0x4001);
    tb_exit(&b, 1, 0x9001);
    tb_join(&b, 0, 0x9001, SITE(0, 1));
    tb_ev(&b, 0, TRACE_EV_THREAD_CREATE, 0, 2, SITE(0, 2));
    tb_ev(&b, 0, TRACE_EV_THREAD_JOIN_WAIT, 0x9001, 0, SITE(0, 3));
    tb_ev(&b, 2, TRACE_EV_THREAD_START, 0x9001, 0, 0x4001);
    tb_exit(&b, 2, 0x9001);
    tb_ev(&b, 0, TRACE_EV_THREAD_JOIN, 0x9001, 0, SITE(0, 3));
    tb_ev(&b, 0, TRACE_EV_PROCESS_EXIT, 0, 0, SITE(0, 4));
    struct analysis_result r = done(&b);
    if (r.nfindings)
        tb_dump(&r);
    cr_assert_eq(r.nfindings, 0);
    analysis_result_free(&r);
}

Test(misuse, lock_in_signal_handler)
{
    struct tb b;
    tb_init(&b, NULL);
    setup(&b, 2);
    tb_ev(&b, 1, TRACE_EV_SIGNAL_ENTER, 0, 10, 0);
    tb_lock(&b, 1, M, SITE(1, 1));
    tb_unlock(&b, 1, M, SITE(1, 2));
    tb_ev(&b, 1, TRACE_EV_SIGNAL_LEAVE, 0, 10, 0);
    tb_lock(&b, 2, M, SITE(2, 3));
    tb_unlock(&b, 2, M, SITE(2, 4));
    struct analysis_result r = done(&b);
    const struct finding *f = only(&r, FINDING_LOCK_IN_SIGNAL_HANDLER, 1, M);
    cr_assert(tb_has_thread(f, 2));
    cr_assert(tb_has_site(f, SITE(1, 1)), "in the handler");
    cr_assert(tb_has_site(f, SITE(2, 3)), "outside");
    analysis_result_free(&r);

    /* a lock only ever taken inside handlers cannot be held by the
     * interrupted code */
    tb_init(&b, NULL);
    setup(&b, 2);
    for (uint32_t t = 1; t <= 2; t++) {
        tb_ev(&b, t, TRACE_EV_SIGNAL_ENTER, 0, 10, 0);
        tb_lock(&b, t, M, SITE(t, 1));
        tb_unlock(&b, t, M, SITE(t, 2));
        tb_ev(&b, t, TRACE_EV_SIGNAL_LEAVE, 0, 10, 0);
        tb_lock(&b, t, M2, SITE(t, 3));
        tb_unlock(&b, t, M2, SITE(t, 4));
    }
    r = done(&b);
    cr_assert_eq(r.nfindings, 0);
    analysis_result_free(&r);
}

Test(misuse, sem_uninitialised)
{
    struct tb b;
    tb_init(&b, NULL);
    setup(&b, 1);
    tb_ev(&b, 1, TRACE_EV_SEM_POST, S, 0, SITE(1, 1));
    struct analysis_result r = done(&b);
    const struct finding *f = only(&r, FINDING_SEM_MISUSE, 1, S);
    cr_assert(strstr(tb_message(f), "never initialised"), "%s", tb_message(f));
    analysis_result_free(&r);
}

Test(misuse, sem_destroyed_while_waited)
{
    struct tb b;
    tb_init(&b, NULL);
    setup(&b, 2);
    tb_ev(&b, 0, TRACE_EV_SEM_INIT, S, 0, SITE(0, 1));
    tb_ev(&b, 1, TRACE_EV_SEM_WAIT, S, 0, SITE(1, 1));
    tb_ev(&b, 2, TRACE_EV_SEM_DESTROY, S, 0, SITE(2, 1));
    struct analysis_result r = done(&b);
    cr_assert_eq(tb_count(&r, FINDING_SEM_MISUSE), 1);
    const struct finding *f = tb_find(&r, FINDING_SEM_MISUSE, 0);
    cr_assert(tb_has_thread(f, 2) && tb_has_object(f, S));
    cr_assert(strstr(tb_message(f), "while threads wait"), "%s", tb_message(f));
    analysis_result_free(&r);

    /* the fine version: post, then wait, then destroy */
    tb_init(&b, NULL);
    setup(&b, 2);
    tb_ev(&b, 0, TRACE_EV_SEM_INIT, S, 0, SITE(0, 1));
    tb_ev(&b, 2, TRACE_EV_SEM_POST, S, 0, SITE(2, 2));
    tb_ev(&b, 1, TRACE_EV_SEM_ACQUIRE, S, 0, SITE(1, 1));
    tb_ev(&b, 2, TRACE_EV_SEM_DESTROY, S, 0, SITE(2, 1));
    r = done(&b);
    cr_assert_eq(r.nfindings, 0);
    analysis_result_free(&r);
}

Test(misuse, barrier_destroyed_while_waited)
{
    struct tb b;
    tb_init(&b, NULL);
    setup(&b, 2);
    tb_ev(&b, 0, TRACE_EV_BARRIER_INIT, BAR, 2, SITE(0, 1));
    tb_ev(&b, 1, TRACE_EV_BARRIER_WAIT, BAR, 0, SITE(1, 1));
    tb_ev(&b, 2, TRACE_EV_BARRIER_DESTROY, BAR, 0, SITE(2, 1));
    struct analysis_result r = done(&b);
    cr_assert_eq(tb_count(&r, FINDING_BARRIER_MISUSE), 1);
    analysis_result_free(&r);
}

/* count 2, three threads: the third waits forever */
Test(misuse, barrier_more_waiters_than_count)
{
    for (int n = 2; n <= 3; n++) {
        struct tb b;
        tb_init(&b, NULL);
        setup(&b, 3);
        tb_ev(&b, 0, TRACE_EV_BARRIER_INIT, BAR, 2, SITE(0, 1));
        for (uint32_t t = 1; t <= (uint32_t)n; t++)
            tb_ev(&b, t, TRACE_EV_BARRIER_WAIT, BAR, 0, SITE(t, 1));
        tb_ev(&b, 1, TRACE_EV_BARRIER_LEAVE, BAR, 1, SITE(1, 1));
        tb_ev(&b, 2, TRACE_EV_BARRIER_LEAVE, BAR, 0, SITE(2, 1));
        struct analysis_result r = done(&b);
        if (n == 2) {
            cr_assert_eq(r.nfindings, 0);
        } else {
            cr_assert_eq(tb_count(&r, FINDING_BARRIER_MISUSE), 1);
            const struct finding *f = tb_find(&r, FINDING_BARRIER_MISUSE, 0);
            cr_assert(tb_has_thread(f, 3) && tb_has_object(f, BAR));
        }
        analysis_result_free(&r);
    }
}

/* The same misuse, the same sites, many objects: one finding, counted. */
Test(misuse, dedup)
{
    struct tb b;
    tb_init(&b, NULL);
    setup(&b, 1);
    for (uint64_t i = 0; i < 10; i++)
        tb_unlock(&b, 1, 0x100000 + 64 * i, SITE(1, 1));
    tb_unlock(&b, 1, 0x200000, SITE(1, 2));
    struct analysis_result r = done(&b);
    cr_assert_eq(r.nfindings, 2);
    cr_assert_eq(r.findings[0].count + r.findings[1].count, 11);
    cr_assert(r.findings[0].count == 10 || r.findings[1].count == 10);
    analysis_result_free(&r);
}

Test(misuse, message_placeholders)
{
    struct tb b;
    tb_init(&b, NULL);
    setup(&b, 2);
    tb_lock(&b, 1, M, SITE(1, 1));
    tb_unlock(&b, 2, M, SITE(2, 1));
    struct analysis_result r = done(&b);
    const struct finding *f = &r.findings[0];
    cr_assert_str_eq(f->message,
                     "{thread:2} unlocks {object:0}, which {thread:1} holds");
    cr_assert_str_eq(tb_message(f),
                     "thread 2 unlocks mutex 0x2000, which thread 1 holds");
    analysis_result_free(&r);
}
