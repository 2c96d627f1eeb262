/* Sample: C11 <threads.h>.  4 threads (thrd_create) add to a counter
 * under a plain mtx_t (1000 times each) and call call_once; one ends with
 * thrd_exit, the others return; thrd_join collects their results.  A
 * prober meets a held timed mutex with mtx_trylock (thrd_busy) and
 * mtx_timedlock (thrd_timedout); main then takes it with each; a
 * detached thread hands main a flag through cnd_signal (main holds the
 * mutex while it creates it, so main always waits); cnd_timedwait times
 * out; cnd_broadcast is called once.  Bug-free.
 *
 * Known counts: thread-create 6, thread-join 5, thread-detach 1,
 * mutex-init 2, mutex-destroy 2, on `counter_lock` mutex-acquire 4002 +
 * the wakes of `flag_cond`; on `timed_lock` mutex-acquire 2 (+1 after
 * the timed-out cnd_timedwait), mutex-fail 2 (EBUSY, ETIMEDOUT);
 * cond-init 2, cond-signal 1, cond-broadcast 1, cond-wake ETIMEDOUT 1,
 * cond-destroy 2; once-enter 4, once-run 1, once-done 4 on `once`.  The
 * addresses of `once` and the mutexes go to stderr so that a test can
 * find them in the trace (thrd_exit's unwinder calls pthread_once on
 * objects of its own). */
#include <stdint.h>
#include <stdio.h>
#include <threads.h>
#include <time.h>

#define WORKERS 4
#define ADDS 1000

static mtx_t counter_lock, timed_lock;
static cnd_t flag_cond, idle_cond;
static once_flag once = ONCE_FLAG_INIT;
static long counter;
static int once_runs, flag;
static int failures;

static void expect(const char *what, int got, int want)
{
    static const char *names[] = {"thrd_success", "thrd_busy", "thrd_error",
                                  "thrd_nomem", "thrd_timedout"};
    printf("%-22s %s\n", what, got >= 0 && got <= 4 ? names[got] : "?");
    if (got != want)
        failures++;
}

static void init_once(void) { once_runs++; }

static int worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    for (int i = 0; i < ADDS; i++) {
        mtx_lock(&counter_lock);
        counter++;
        mtx_unlock(&counter_lock);
    }
    call_once(&once, init_once);
    if (id == WORKERS - 1)
        thrd_exit(100 + id);
    return 100 + id;
}

static struct timespec at(int offset_s)
{
    struct timespec t;
    timespec_get(&t, TIME_UTC);
    t.tv_sec += offset_s;
    return t;
}

static int prober(void *arg)
{
    (void)arg;
    struct timespec past = at(-1);
    expect("trylock held", mtx_trylock(&timed_lock), thrd_busy);
    expect("timedlock held", mtx_timedlock(&timed_lock, &past), thrd_timedout);
    return 0;
}

static void probe_timed_lock(void)
{
    thrd_t t;
    int res;
    mtx_lock(&timed_lock);
    thrd_create(&t, prober, NULL);
    expect("join prober", thrd_join(t, &res), thrd_success);
    mtx_unlock(&timed_lock);
    struct timespec future = at(60), past = at(-1);
    expect("trylock free", mtx_trylock(&timed_lock), thrd_success);
    mtx_unlock(&timed_lock);
    expect("timedlock free", mtx_timedlock(&timed_lock, &future), thrd_success);
    expect("cnd_timedwait", cnd_timedwait(&idle_cond, &timed_lock, &past),
           thrd_timedout);
    mtx_unlock(&timed_lock);
}

static int flagger(void *arg)
{
    (void)arg;
    mtx_lock(&counter_lock);
    flag = 1;
    cnd_signal(&flag_cond);
    mtx_unlock(&counter_lock);
    return 0;
}

static void handshake(void)
{
    thrd_t t;
    mtx_lock(&counter_lock);
    thrd_create(&t, flagger, NULL);
    expect("detach", thrd_detach(t), thrd_success);
    while (!flag)
        cnd_wait(&flag_cond, &counter_lock);
    mtx_unlock(&counter_lock);
    expect("broadcast", cnd_broadcast(&idle_cond), thrd_success);
}

int main(void)
{
    thrd_t t[WORKERS];
    fprintf(stderr, "once=%p counter_lock=%p timed_lock=%p\n", (void *)&once,
            (void *)&counter_lock, (void *)&timed_lock);
    mtx_init(&counter_lock, mtx_plain);
    mtx_init(&timed_lock, mtx_timed);
    cnd_init(&flag_cond);
    cnd_init(&idle_cond);
    for (int i = 0; i < WORKERS; i++)
        thrd_create(&t[i], worker, (void *)(intptr_t)i);
    for (int i = 0; i < WORKERS; i++) {
        int res = -1;
        thrd_join(t[i], &res);
        if (res != 100 + i)
            failures++;
    }
    probe_timed_lock();
    handshake();
    cnd_destroy(&flag_cond);
    cnd_destroy(&idle_cond);
    mtx_destroy(&timed_lock);
    mtx_destroy(&counter_lock);
    printf("counter %ld (expected %d), once ran %d\n", counter, WORKERS * ADDS,
           once_runs);
    return failures || counter != WORKERS * ADDS || once_runs != 1 ? 1 : 0;
}
