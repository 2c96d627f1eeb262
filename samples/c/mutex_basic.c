/* Sample: every pthread mutex call with known outcomes.  Mutexes of each
 * kind are initialised (default, recursive, error-checking, process-shared
 * robust) and destroyed; a statically initialised one is used without
 * init; 4 threads x 1000 lock/unlock pairs contend on the default one; a
 * prober meets it held with trylock (EBUSY), timedlock and clocklock
 * (ETIMEDOUT); main takes it with trylock, timedlock and clocklock; the
 * recursive one is taken twice; the error-checking one fails a relock
 * (EDEADLK) and an unlock when not held (EPERM).  Bug-free.
 *
 * Known counts: mutex-init 4, mutex-destroy 4; on `plain`: acquire 4004
 * (TRY 1, TIMED 2), release 4004, fail 3 (EBUSY 1, ETIMEDOUT 2); on
 * `recursive` 2 and 2; on `checked` acquire 1, fail 1 (EDEADLK), release
 * 2, release-fail 1 (EPERM); on `robust` 1 and 1; on the static one 1
 * and 1. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define THREADS 4
#define PAIRS 1000

static pthread_mutex_t plain, recursive, checked, robust;
static pthread_mutex_t static_lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static int failures;

static void expect(const char *what, int got, int want)
{
    printf("%-24s %s\n", what, strerror(got));
    if (got != want)
        failures++;
}

static struct timespec at(clockid_t clock, int offset_s)
{
    struct timespec t;
    clock_gettime(clock, &t);
    t.tv_sec += offset_s;
    return t;
}

static void init_kind(pthread_mutex_t *m, int type, int pshared, int robustness)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, type);
    pthread_mutexattr_setpshared(&a, pshared);
    pthread_mutexattr_setrobust(&a, robustness);
    pthread_mutex_init(m, &a);
    pthread_mutexattr_destroy(&a);
}

static void *worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < PAIRS; i++) {
        pthread_mutex_lock(&plain);
        counter++;
        pthread_mutex_unlock(&plain);
    }
    return NULL;
}

static void *prober(void *arg)
{
    (void)arg;
    struct timespec past = at(CLOCK_REALTIME, -1);
    struct timespec mpast = at(CLOCK_MONOTONIC, -1);
    expect("trylock held", pthread_mutex_trylock(&plain), EBUSY);
    expect("timedlock held", pthread_mutex_timedlock(&plain, &past), ETIMEDOUT);
    expect("clocklock held",
           pthread_mutex_clocklock(&plain, CLOCK_MONOTONIC, &mpast), ETIMEDOUT);
    return NULL;
}

static void plain_each_way(void)
{
    pthread_t t;
    pthread_mutex_lock(&plain);
    pthread_create(&t, NULL, prober, NULL);
    pthread_join(t, NULL);
    pthread_mutex_unlock(&plain);
    struct timespec future = at(CLOCK_REALTIME, 60);
    struct timespec mfuture = at(CLOCK_MONOTONIC, 60);
    expect("trylock free", pthread_mutex_trylock(&plain), 0);
    pthread_mutex_unlock(&plain);
    expect("timedlock free", pthread_mutex_timedlock(&plain, &future), 0);
    pthread_mutex_unlock(&plain);
    expect("clocklock free",
           pthread_mutex_clocklock(&plain, CLOCK_MONOTONIC, &mfuture), 0);
    pthread_mutex_unlock(&plain);
}

static void other_kinds(void)
{
    expect("recursive lock", pthread_mutex_lock(&recursive), 0);
    expect("recursive relock", pthread_mutex_lock(&recursive), 0);
    pthread_mutex_unlock(&recursive);
    pthread_mutex_unlock(&recursive);
    expect("checked lock", pthread_mutex_lock(&checked), 0);
    expect("checked relock", pthread_mutex_lock(&checked), EDEADLK);
    expect("checked unlock", pthread_mutex_unlock(&checked), 0);
    expect("checked unlock again", pthread_mutex_unlock(&checked), EPERM);
    expect("robust lock", pthread_mutex_lock(&robust), 0);
    pthread_mutex_unlock(&robust);
    expect("static lock", pthread_mutex_lock(&static_lock), 0);
    pthread_mutex_unlock(&static_lock);
}

int main(void)
{
    pthread_t t[THREADS];
    pthread_mutex_init(&plain, NULL);
    init_kind(&recursive, PTHREAD_MUTEX_RECURSIVE, PTHREAD_PROCESS_PRIVATE,
              PTHREAD_MUTEX_STALLED);
    init_kind(&checked, PTHREAD_MUTEX_ERRORCHECK, PTHREAD_PROCESS_PRIVATE,
              PTHREAD_MUTEX_STALLED);
    init_kind(&robust, PTHREAD_MUTEX_NORMAL, PTHREAD_PROCESS_SHARED,
              PTHREAD_MUTEX_ROBUST);
    plain_each_way();
    other_kinds();
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, worker, NULL);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    expect("destroy",
           pthread_mutex_destroy(&plain) | pthread_mutex_destroy(&recursive) |
               pthread_mutex_destroy(&checked) | pthread_mutex_destroy(&robust),
           0);
    printf("counter %ld (expected %d)\n", counter, THREADS * PAIRS);
    return failures || counter != THREADS * PAIRS ? 1 : 0;
}
