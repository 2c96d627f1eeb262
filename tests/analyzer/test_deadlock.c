/* Real deadlocks (wait-for cycles) and hangs, at the end of a trace and
 * live, and the states that are neither. */
#include <criterion/criterion.h>

#include <signal.h>
#include <sys/time.h>

#include "builder.h"

#define MS 1000000ull
#define SEC 1000000000ull

static const uint64_t A = 0x2000, B = 0x3000, C = 0x4000;
#define SITE(t, k) (0x600000ull + 0x100ull * (t) + (k))

static void setup(struct tb *b, size_t nthreads)
{
    tb_main(b, 0, 0, 100);
    for (uint32_t t = 1; t <= nthreads; t++) {
        tb_thread(b, t, 0, t);
        tb_create(b, 0, t, 0x9000 + t, 0x4000 + t);
    }
}

/* Threads 1 and 2 each hold one lock and wait for the other's. */
static void abba(struct tb *b)
{
    tb_lock(b, 1, A, SITE(1, 1));
    tb_lock(b, 2, B, SITE(2, 1));
    tb_lock_wait(b, 1, B, SITE(1, 2));
    tb_lock_wait(b, 2, A, SITE(2, 2));
}

Test(deadlock, abba_offline)
{
    struct tb b;
    tb_init(&b, NULL);
    setup(&b, 2);
    abba(&b);
    /* main joins thread 1: blocked too */
    tb_ev(&b, 0, TRACE_EV_THREAD_JOIN_WAIT, 0x9001, 0, SITE(0, 1));
    struct analysis_result r;
    tb_finish(&b, &r);
    cr_assert_eq(tb_count(&r, FINDING_DEADLOCK), 1);
    const struct finding *f = tb_find(&r, FINDING_DEADLOCK, 0);
    cr_assert_eq(f->severity, SEV_ERROR);
    cr_assert_eq(f->nthreads, 2);
    cr_assert(tb_has_thread(f, 1) && tb_has_thread(f, 2));
    cr_assert_eq(f->nobjects, 2);
    cr_assert(tb_has_object(f, A) && tb_has_object(f, B));
    /* each blocking call, and where each held lock was taken */
    cr_assert_eq(f->nstacks, 4);
    cr_assert(tb_has_site(f, SITE(1, 2)) && tb_has_site(f, SITE(2, 2)));
    cr_assert(tb_has_site(f, SITE(1, 1)) && tb_has_site(f, SITE(2, 1)));
    cr_assert_eq(tb_count(&r, FINDING_HANG), 0,
                 "the deadlock already says why the process is stuck");
    cr_assert_eq(tb_count(&r, FINDING_LOCK_ORDER_INVERSION), 0,
                 "the inversion that really deadlocked is the deadlock");
    cr_assert_eq(r.nfindings, 1);
    analysis_result_free(&r);
}

Test(deadlock, live_confirm_and_once)
{
    struct analyzer_options o;
    analyzer_options_default(&o);
    o.deadlock_confirm_ns = 500 * MS;
    struct tb b;
    tb_init(&b, &o);
    setup(&b, 2);
    abba(&b);
    uint64_t formed = b.now;
    struct analysis_result live;
    memset(&live, 0, sizeof live);
    cr_assert_eq(analyzer_check_live(b.a, formed + 100 * MS, &live), 0,
                 "not confirmed yet");
    cr_assert_eq(analyzer_check_live(b.a, formed + 600 * MS, &live), 1);
    cr_assert_eq(live.nfindings, 1);
    cr_assert_eq(live.findings[0].kind, FINDING_DEADLOCK);
    cr_assert(tb_has_thread(&live.findings[0], 1));
    cr_assert_eq(analyzer_check_live(b.a, formed + 900 * MS, &live), 0,
                 "reported once");
    struct analysis_result r;
    tb_finish(&b, &r);
    cr_assert_eq(tb_count(&r, FINDING_DEADLOCK), 1, "not again at the end");
    analysis_result_free(&r);
    analysis_result_free(&live);
}

/* A cycle that resolves (thread 1 gets B after all) is no deadlock. */
Test(deadlock, resolved_is_none)
{
    struct tb b;
    tb_init(&b, NULL);
    setup(&b, 2);
    tb_lock(&b, 1, A, SITE(1, 1));
    tb_lock(&b, 2, B, SITE(2, 1));
    tb_lock_wait(&b, 1, B, SITE(1, 2));
    tb_unlock(&b, 2, B, SITE(2, 3));
    tb_ev(&b, 1, TRACE_EV_MUTEX_ACQUIRE, B, TRACE_ACQ_CONTENDED, SITE(1, 2));
    tb_lock_wait(&b, 2, A, SITE(2, 2));
    struct analysis_result r;
    tb_finish(&b, &r);
    cr_assert_eq(tb_count(&r, FINDING_DEADLOCK), 0);
    analysis_result_free(&r);
}

/* Three threads in a cycle, a fourth waiting on the cycle (not in it). */
Test(deadlock, three_way)
{
    struct tb b;
    tb_init(&b, NULL);
    setup(&b, 4);
    tb_lock(&b, 1, A, SITE(1, 1));
    tb_lock(&b, 2, B, SITE(2, 1));
    tb_lock(&b, 3, C, SITE(3, 1));
    tb_lock_wait(&b, 1, B, SITE(1, 2));
    tb_lock_wait(&b, 2, C, SITE(2, 2));
    tb_lock_wait(&b, 3, A, SITE(3, 2));
    tb_lock_wait(&b, 4, A, SITE(4, 2));
    struct analysis_result r;
    tb_finish(&b, &r);
    cr_assert_eq(tb_count(&r, FINDING_DEADLOCK), 1);
    const struct finding *f = tb_find(&r, FINDING_DEADLOCK, 0);
    cr_assert_eq(f->nthreads, 3);
    cr_assert(!tb_has_thread(f, 4));
    cr_assert_eq(f->nobjects, 3);
    analysis_result_free(&r);
}

/* Thread 1 joins thread 2 while holding A; thread 2 waits for A. */
Test(deadlock, join_cycle)
{
    struct tb b;
    tb_init(&b, NULL);
    setup(&b, 2);
    tb_lock(&b, 1, A, SITE(1, 1));
    tb_ev(&b, 1, TRACE_EV_THREAD_JOIN_WAIT, 0x9002, 0, SITE(1, 2));
    tb_lock_wait(&b, 2, A, SITE(2, 2));
    struct analysis_result r;
    tb_finish(&b, &r);
    cr_assert_eq(tb_count(&r, FINDING_DEADLOCK), 1);
    const struct finding *f = tb_find(&r, FINDING_DEADLOCK, 0);
    cr_assert(tb_has_thread(f, 1) && tb_has_thread(f, 2));
    cr_assert(strstr(tb_message(f), "waits to join thread 2"), "%s",
              tb_message(f));
    analysis_result_free(&r);
}

/* A writer waits for a reader that waits for the writer's other lock. */
Test(deadlock, rwlock_reader_holds)
{
    struct tb b;
    tb_init(&b, NULL);
    setup(&b, 2);
    tb_ev(&b, 1, TRACE_EV_RWLOCK_RDACQUIRE, A, 0, SITE(1, 1));
    tb_lock(&b, 2, B, SITE(2, 1));
    tb_ev(&b, 2, TRACE_EV_RWLOCK_WRWAIT, A, 0, SITE(2, 2));
    tb_lock_wait(&b, 1, B, SITE(1, 2));
    struct analysis_result r;
    tb_finish(&b, &r);
    cr_assert_eq(tb_count(&r, FINDING_DEADLOCK), 1);
    analysis_result_free(&r);
}

/* A cond waiter that was woken must retake its mutex, held by a thread
 * waiting for a lock the waiter holds. */
Test(deadlock, cond_retake)
{
    struct tb b;
    tb_init(&b, NULL);
    setup(&b, 2);
    const uint64_t M = 0x5000, CV = 0x6000;
    tb_lock(&b, 1, A, SITE(1, 0));
    tb_lock(&b, 1, M, SITE(1, 1));
    tb_ev(&b, 1, TRACE_EV_MUTEX_RELEASE, M, TRACE_REL_COND, SITE(1, 2));
    tb_ev(&b, 1, TRACE_EV_COND_WAIT, CV, 0, SITE(1, 2));
    tb_lock(&b, 2, M, SITE(2, 1));
    tb_ev(&b, 2, TRACE_EV_COND_BROADCAST, CV, 0, SITE(2, 2));
    tb_lock_wait(&b, 2, A, SITE(2, 3));
    struct analysis_result r;
    tb_finish(&b, &r);
    cr_assert_eq(tb_count(&r, FINDING_DEADLOCK), 1);
    analysis_result_free(&r);
}

/* ---- hangs ---- */

/* main joins thread 1, which waits on a condition nobody signals. */
static void lost_wakeup(struct tb *b, bool timed)
{
    const uint64_t M = 0x5000, CV = 0x6000;
    setup(b, 1);
    tb_lock(b, 1, M, SITE(1, 1));
    tb_ev(b, 1, TRACE_EV_MUTEX_RELEASE, M, TRACE_REL_COND, SITE(1, 2));
    tb_ev(b, 1, TRACE_EV_COND_WAIT, CV, timed, SITE(1, 2));
    tb_ev(b, 0, TRACE_EV_THREAD_JOIN_WAIT, 0x9001, 0, SITE(0, 3));
}

Test(hang, killed_while_hung)
{
    struct tb b;
    tb_init(&b, NULL);
    lost_wakeup(&b, false);
    struct analysis_result r;
    tb_finish(&b, &r);
    cr_assert_eq(r.nfindings, 1);
    const struct finding *f = tb_find(&r, FINDING_HANG, 0);
    cr_assert(f);
    cr_assert_eq(f->pid, 100);
    cr_assert_eq(f->nthreads, 2);
    cr_assert_eq(f->nstacks, 2);
    cr_assert(tb_has_site(f, SITE(1, 2)) && tb_has_site(f, SITE(0, 3)));
    cr_assert(
        strstr(tb_message(f), "thread 1 in pthread_cond_wait on cond 0x6000"),
        "%s", tb_message(f));
    cr_assert(strstr(tb_message(f), "thread 0 in pthread_join of thread 1"),
              "%s", tb_message(f));
    analysis_result_free(&r);
}

Test(hang, live_after_timeout)
{
    struct analyzer_options o;
    analyzer_options_default(&o);
    o.hang_timeout_ns = 10 * SEC;
    struct tb b;
    tb_init(&b, &o);
    lost_wakeup(&b, false);
    uint64_t t0 = b.now;
    struct analysis_result live;
    memset(&live, 0, sizeof live);
    cr_assert_eq(analyzer_check_live(b.a, t0 + 9 * SEC, &live), 0);
    cr_assert_eq(analyzer_check_live(b.a, t0 + 11 * SEC, &live), 1);
    cr_assert_eq(live.findings[0].kind, FINDING_HANG);
    cr_assert_eq(analyzer_check_live(b.a, t0 + 20 * SEC, &live), 0);
    struct analysis_result r;
    tb_finish(&b, &r);
    cr_assert_eq(tb_count(&r, FINDING_HANG), 1);
    analysis_result_free(&r);
    analysis_result_free(&live);
}

Test(hang, timed_wait_is_not_a_hang)
{
    struct tb b;
    tb_init(&b, NULL);
    lost_wakeup(&b, true);
    struct analysis_result r;
    tb_finish(&b, &r);
    cr_assert_eq(r.nfindings, 0);
    analysis_result_free(&r);
}

Test(hang, one_thread_running)
{
    struct tb b;
    tb_init(&b, NULL);
    setup(&b, 2);
    const uint64_t S = 0x7000;
    tb_ev(&b, 0, TRACE_EV_SEM_INIT, S, 0, SITE(0, 1));
    tb_ev(&b, 1, TRACE_EV_SEM_WAIT, S, 0, SITE(1, 1));
    tb_ev(&b, 0, TRACE_EV_THREAD_JOIN_WAIT, 0x9001, 0, SITE(0, 2));
    tb_lock(&b, 2, A, SITE(2, 1)); /* thread 2 still runs */
    struct analysis_result r;
    tb_finish(&b, &r);
    cr_assert_eq(r.nfindings, 0);
    analysis_result_free(&r);
}

Test(hang, exited_process_is_not_hung)
{
    struct tb b;
    tb_init(&b, NULL);
    lost_wakeup(&b, false);
    /* another thread calls exit(): the waiters die with the process */
    tb_thread(&b, 5, 0, 5);
    tb_create(&b, 0, 5, 0x9005, 0x4005);
    tb_ev(&b, 5, TRACE_EV_PROCESS_EXIT, 0, 0, SITE(5, 1));
    struct analysis_result r;
    tb_finish(&b, &r);
    cr_assert_eq(tb_count(&r, FINDING_HANG), 0);
    analysis_result_free(&r);
}

/* A child killed and reaped by its parent: a hang only if it had been
 * hung for the timeout. */
static size_t reaped_child_hangs(uint64_t blocked_for)
{
    struct analyzer_options o;
    analyzer_options_default(&o);
    o.hang_timeout_ns = 10 * SEC;
    struct tb b;
    tb_init(&b, &o);
    tb_main(&b, 0, 0, 100);
    tb_process(&b, 1, 200, 100, 0);
    tb_thread(&b, 7, 1, 0);
    tb_ev(&b, 0, TRACE_EV_FORK, 0, 200, SITE(0, 1));
    struct trace_process_info info = {200, 100, 0, TRACE_FILE_FORKED};
    tb_ev_payload(&b, 7, TRACE_EV_PROCESS_START, 0, sizeof info, 0, &info,
                  sizeof info);
    tb_ev(&b, 7, TRACE_EV_SEM_INIT, 0x8000, 0, SITE(7, 1));
    tb_ev(&b, 7, TRACE_EV_SEM_WAIT, 0x8000, 0, SITE(7, 2));
    b.now += blocked_for;
    struct trace_reap_info ri = {200, 9, 0, 1};
    tb_ev_payload(&b, 0, TRACE_EV_PROCESS_REAP, 0, sizeof ri, SITE(0, 2), &ri,
                  sizeof ri);
    tb_ev(&b, 0, TRACE_EV_PROCESS_EXIT, 0, 0, SITE(0, 3));
    struct analysis_result r;
    tb_finish(&b, &r);
    size_t n = tb_count(&r, FINDING_HANG);
    if (n)
        cr_assert_eq(tb_find(&r, FINDING_HANG, 0)->pid, 200);
    analysis_result_free(&r);
    return n;
}

Test(hang, reaped_child)
{
    /* the child's semaphore is private: it sem_init'ed it itself */
    cr_assert_eq(reaped_child_hangs(1 * SEC), 0);
    cr_assert_eq(reaped_child_hangs(11 * SEC), 1);
}

/* A parent waiting for its hung child: one hang, the child's.  And a
 * child waiting on a semaphore shared with a running parent: no hang. */
static struct analysis_result family_run(bool parent_waits)
{
    struct tb b;
    tb_init(&b, NULL);
    tb_main(&b, 0, 0, 100);
    tb_process(&b, 1, 200, 100, 0);
    tb_thread(&b, 7, 1, 0);
    tb_ev(&b, 0, TRACE_EV_SEM_INIT, 0x8000, 0, SITE(0, 1)); /* shared */
    tb_ev(&b, 0, TRACE_EV_FORK, 0, 200, SITE(0, 2));
    struct trace_process_info info = {200, 100, 0, TRACE_FILE_FORKED};
    tb_ev_payload(&b, 7, TRACE_EV_PROCESS_START, 0, sizeof info, 0, &info,
                  sizeof info);
    if (parent_waits) {
        const uint64_t M = 0x5000, CV = 0x6000;
        tb_lock(&b, 7, M, SITE(7, 1));
        tb_ev(&b, 7, TRACE_EV_MUTEX_RELEASE, M, TRACE_REL_COND, SITE(7, 2));
        tb_ev(&b, 7, TRACE_EV_COND_WAIT, CV, 0, SITE(7, 2));
        tb_ev(&b, 0, TRACE_EV_PROCESS_WAIT, 0, 200, SITE(0, 3));
    } else {
        tb_ev(&b, 7, TRACE_EV_SEM_WAIT, 0x8000, 0, SITE(7, 3));
        tb_lock(&b, 0, A, SITE(0, 4)); /* the parent goes on */
    }
    struct analysis_result r;
    tb_finish(&b, &r);
    return r;
}

Test(hang, child_and_waiting_parent)
{
    struct analysis_result r = family_run(true);
    cr_assert_eq(r.nfindings, 1);
    cr_assert_eq(r.findings[0].kind, FINDING_HANG);
    cr_assert_eq(r.findings[0].pid, 200);
    analysis_result_free(&r);
    r = family_run(false);
    cr_assert_eq(r.nfindings, 0, "the parent may still post");
    analysis_result_free(&r);
}

/* ---- hangs that something outside could still end ---- */

static const uint64_t S = 0x7000;

/* One thread, alone, waits on semaphore S; `before` runs first. */
static uint64_t lone_sem_wait(struct tb *b, void (*before)(struct tb *))
{
    tb_main(b, 0, 0, 100);
    tb_ev(b, 0, TRACE_EV_SEM_INIT, S, 0, SITE(0, 1));
    if (before)
        before(b);
    tb_ev(b, 0, TRACE_EV_SEM_WAIT, S, 0, SITE(0, 2));
    return b->now;
}

static struct analyzer_options one_second(void)
{
    struct analyzer_options o;
    analyzer_options_default(&o);
    o.hang_timeout_ns = 1 * SEC;
    return o;
}

/* The live findings at `at`; returns how many, *f the first. */
static int live_at(struct tb *b, uint64_t at, struct analysis_result *live,
                   const struct finding **f)
{
    size_t before = live->nfindings;
    int n = analyzer_check_live(b->a, at, live);
    *f = n > 0 ? &live->findings[before] : NULL;
    return n;
}

static void alarm_handler(struct tb *b)
{
    tb_ev(b, 0, TRACE_EV_SIGNAL_ACTION, 0,
          TRACE_SIGACT_ARG(SIGALRM, TRACE_SIGACT_HANDLER), 0x5000);
}

static void alarm_15(struct tb *b)
{
    tb_ev(b, 0, TRACE_EV_TIMER_ARM, TRACE_TIMER_ITIMER(ITIMER_REAL),
          TRACE_TIMER_ARM_ARG(15000, false, true), SITE(0, 3));
}

static void alarm_handler_15(struct tb *b)
{
    alarm_handler(b);
    alarm_15(b);
}

Test(hang, lone_private_sem_wait_is_a_hang)
{
    struct analyzer_options o = one_second();
    struct tb b;
    tb_init(&b, &o);
    uint64_t t0 = lone_sem_wait(&b, NULL);
    struct analysis_result live;
    memset(&live, 0, sizeof live);
    const struct finding *f;
    cr_assert_eq(live_at(&b, t0 + 2 * SEC, &live, &f), 1);
    cr_assert_eq(f->kind, FINDING_HANG);
    cr_assert_eq(f->severity, SEV_ERROR);
    struct analysis_result r;
    tb_finish(&b, &r);
    analysis_result_free(&r);
    analysis_result_free(&live);
}

Test(hang, pending_alarm_into_a_handler_is_a_warning_until_it_fires)
{
    struct analyzer_options o = one_second();
    struct tb b;
    tb_init(&b, &o);
    uint64_t t0 = lone_sem_wait(&b, alarm_handler_15);
    struct analysis_result live;
    memset(&live, 0, sizeof live);
    const struct finding *f;
    cr_assert_eq(live_at(&b, t0 + 2 * SEC, &live, &f), 1);
    cr_assert_eq(f->kind, FINDING_HANG);
    cr_assert_eq(f->severity, SEV_WARNING);
    cr_assert(strstr(tb_message(f), "a SIGALRM handler is installed and "
                                    "alarm(15) is pending"),
              "%s", tb_message(f));
    cr_assert_eq(live_at(&b, t0 + 5 * SEC, &live, &f), 0, "once");
    /* it fired (plus the grace for its events) and nothing woke them:
     * nothing can any more */
    cr_assert_eq(live_at(&b, t0 + 17 * SEC, &live, &f), 1);
    cr_assert_eq(f->severity, SEV_ERROR, "%s", tb_message(f));
    struct analysis_result r;
    tb_finish(&b, &r);
    analysis_result_free(&r);
    analysis_result_free(&live);
}

Test(hang, alarm_without_handler_is_a_hang)
{
    struct analyzer_options o = one_second();
    struct tb b;
    tb_init(&b, &o);
    uint64_t t0 = lone_sem_wait(&b, alarm_15);
    struct analysis_result live;
    memset(&live, 0, sizeof live);
    const struct finding *f;
    cr_assert_eq(live_at(&b, t0 + 2 * SEC, &live, &f), 1);
    cr_assert_eq(f->severity, SEV_ERROR, "the alarm kills it: %s",
                 tb_message(f));
    struct analysis_result r;
    tb_finish(&b, &r);
    analysis_result_free(&r);
    analysis_result_free(&live);
}

Test(hang, cpu_time_timer_cannot_fire_while_all_wait)
{
    struct analyzer_options o = one_second();
    struct tb b;
    tb_init(&b, &o);
    tb_main(&b, 0, 0, 100);
    tb_ev(&b, 0, TRACE_EV_SIGNAL_ACTION, 0,
          TRACE_SIGACT_ARG(SIGPROF, TRACE_SIGACT_HANDLER), 0x5000);
    tb_ev(&b, 0, TRACE_EV_TIMER_ARM, TRACE_TIMER_ITIMER(ITIMER_PROF),
          TRACE_TIMER_ARM_ARG(10, true, false), SITE(0, 3));
    tb_ev(&b, 0, TRACE_EV_SEM_WAIT, S, 0, SITE(0, 2));
    struct analysis_result r;
    tb_finish(&b, &r);
    const struct finding *f = tb_find(&r, FINDING_HANG, 0);
    cr_assert(f);
    cr_assert_eq(f->severity, SEV_ERROR, "%s", tb_message(f));
    analysis_result_free(&r);
}

static void open_named(struct tb *b)
{
    static const char name[] = "/orders";
    tb_ev_payload(b, 0, TRACE_EV_SEM_OPEN, S + 0x100, 0, SITE(0, 4), name,
                  sizeof name);
}

Test(hang, named_semaphore_is_a_warning_while_its_name_is_linked)
{
    struct tb b;
    tb_init(&b, NULL);
    tb_main(&b, 0, 0, 100);
    open_named(&b);
    tb_ev(&b, 0, TRACE_EV_SEM_WAIT, S + 0x100, 0, SITE(0, 2));
    struct analysis_result r;
    tb_finish(&b, &r);
    const struct finding *f = tb_find(&r, FINDING_HANG, 0);
    cr_assert(f);
    cr_assert_eq(f->severity, SEV_WARNING);
    cr_assert(strstr(tb_message(f), "named semaphore /orders can be posted by "
                                    "other processes"),
              "%s", tb_message(f));
    analysis_result_free(&r);
}

Test(hang, unlinked_named_semaphore_is_a_hang)
{
    static const char name[] = "/orders";
    struct tb b;
    tb_init(&b, NULL);
    tb_main(&b, 0, 0, 100);
    open_named(&b);
    tb_ev_payload(&b, 0, TRACE_EV_SEM_UNLINK, 0, 0, SITE(0, 5), name,
                  sizeof name);
    tb_ev(&b, 0, TRACE_EV_SEM_WAIT, S + 0x100, 0, SITE(0, 2));
    struct analysis_result r;
    tb_finish(&b, &r);
    const struct finding *f = tb_find(&r, FINDING_HANG, 0);
    cr_assert(f);
    cr_assert_eq(f->severity, SEV_ERROR, "%s", tb_message(f));
    analysis_result_free(&r);
}

/* A SIGUSR1 handler posted S once; the thread waits on S again: another
 * process can send SIGUSR1. */
static void usr1_posts(struct tb *b)
{
    tb_ev(b, 0, TRACE_EV_SIGNAL_ACTION, 0,
          TRACE_SIGACT_ARG(SIGUSR1, TRACE_SIGACT_HANDLER), 0x5000);
    tb_ev(b, 0, TRACE_EV_SIGNAL_ENTER, 0, SIGUSR1, 0x5000);
    tb_ev(b, 0, TRACE_EV_SEM_POST, S, 0, SITE(0, 6));
    tb_ev(b, 0, TRACE_EV_SIGNAL_LEAVE, 0, SIGUSR1, 0x5000);
    tb_ev(b, 0, TRACE_EV_SEM_ACQUIRE, S, TRACE_ACQ_TRY, SITE(0, 7));
}

Test(hang, handler_that_posts_is_a_warning)
{
    struct tb b;
    tb_init(&b, NULL);
    lone_sem_wait(&b, usr1_posts);
    struct analysis_result r;
    tb_finish(&b, &r);
    const struct finding *f = tb_find(&r, FINDING_HANG, 0);
    cr_assert(f);
    cr_assert_eq(f->severity, SEV_WARNING);
    cr_assert(strstr(tb_message(f), "SIGUSR1 handler posts"), "%s",
              tb_message(f));
    analysis_result_free(&r);
}
