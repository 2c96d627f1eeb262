/* Sample: every pthread rwlock call with known outcomes.  A prober thread
 * meets a write-held lock with each try/timed/clock variant (2 EBUSY, 4
 * ETIMEDOUT), main takes the lock once with each variant, a timed call
 * with an invalid timeout on a free lock fails with EINVAL, then 4
 * readers x 1000 and 2 writers x 500 share a counter.  Bug-free.
 *
 * Known counts: rwlock-init 1, rdacquire 4003, wracquire 1004, release
 * 5007, rwlock-fail 7 (EBUSY 2, ETIMEDOUT 4, EINVAL 1), destroy 1. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define READERS 4
#define WRITERS 2
#define READS 1000
#define WRITES 500

static pthread_rwlock_t rw;
static long shared_value;
static long reads_seen;
static int failures;

static void expect(const char *what, int got, int want)
{
    printf("%-28s %s\n", what, strerror(got));
    if (got != want)
        failures++;
}

static struct timespec at(clockid_t clock, long offset_ms)
{
    struct timespec t;
    clock_gettime(clock, &t);
    t.tv_sec += offset_ms / 1000;
    t.tv_nsec += (offset_ms % 1000) * 1000000L;
    if (t.tv_nsec < 0) {
        t.tv_nsec += 1000000000L;
        t.tv_sec--;
    } else if (t.tv_nsec >= 1000000000L) {
        t.tv_nsec -= 1000000000L;
        t.tv_sec++;
    }
    return t;
}

/* The lock is write-held by main: every attempt fails. */
static void *prober(void *arg)
{
    (void)arg;
    struct timespec past = at(CLOCK_REALTIME, -1000);
    struct timespec mpast = at(CLOCK_MONOTONIC, -1000);
    expect("busy tryrdlock", pthread_rwlock_tryrdlock(&rw), EBUSY);
    expect("busy trywrlock", pthread_rwlock_trywrlock(&rw), EBUSY);
    expect("busy timedrdlock", pthread_rwlock_timedrdlock(&rw, &past),
           ETIMEDOUT);
    expect("busy timedwrlock", pthread_rwlock_timedwrlock(&rw, &past),
           ETIMEDOUT);
    expect("busy clockrdlock",
           pthread_rwlock_clockrdlock(&rw, CLOCK_MONOTONIC, &mpast), ETIMEDOUT);
    expect("busy clockwrlock",
           pthread_rwlock_clockwrlock(&rw, CLOCK_MONOTONIC, &mpast), ETIMEDOUT);
    return NULL;
}

static void probe_busy(void)
{
    pthread_t t;
    pthread_rwlock_wrlock(&rw);
    pthread_create(&t, NULL, prober, NULL);
    pthread_join(t, NULL);
    pthread_rwlock_unlock(&rw);
}

/* Each variant once on a free lock. */
static void take_each_way(void)
{
    struct timespec future = at(CLOCK_REALTIME, 60000);
    struct timespec mfuture = at(CLOCK_MONOTONIC, 60000);
    struct timespec bad = {0, 2000000000L};
    expect("free tryrdlock", pthread_rwlock_tryrdlock(&rw), 0);
    pthread_rwlock_unlock(&rw);
    expect("free trywrlock", pthread_rwlock_trywrlock(&rw), 0);
    pthread_rwlock_unlock(&rw);
    expect("free timedrdlock", pthread_rwlock_timedrdlock(&rw, &future), 0);
    pthread_rwlock_unlock(&rw);
    expect("free timedwrlock", pthread_rwlock_timedwrlock(&rw, &future), 0);
    pthread_rwlock_unlock(&rw);
    expect("free clockrdlock",
           pthread_rwlock_clockrdlock(&rw, CLOCK_MONOTONIC, &mfuture), 0);
    pthread_rwlock_unlock(&rw);
    expect("free clockwrlock",
           pthread_rwlock_clockwrlock(&rw, CLOCK_MONOTONIC, &mfuture), 0);
    pthread_rwlock_unlock(&rw);
    expect("invalid timeout", pthread_rwlock_timedwrlock(&rw, &bad), EINVAL);
}

static void *reader(void *arg)
{
    (void)arg;
    for (int i = 0; i < READS; i++) {
        pthread_rwlock_rdlock(&rw);
        __atomic_add_fetch(&reads_seen, shared_value >= 0, __ATOMIC_RELAXED);
        pthread_rwlock_unlock(&rw);
    }
    return NULL;
}

static void *writer(void *arg)
{
    (void)arg;
    for (int i = 0; i < WRITES; i++) {
        pthread_rwlock_wrlock(&rw);
        shared_value++;
        pthread_rwlock_unlock(&rw);
    }
    return NULL;
}

int main(void)
{
    pthread_t t[READERS + WRITERS];
    pthread_rwlock_init(&rw, NULL);
    probe_busy();
    take_each_way();
    for (int i = 0; i < READERS + WRITERS; i++)
        pthread_create(&t[i], NULL, i < READERS ? reader : writer, NULL);
    for (int i = 0; i < READERS + WRITERS; i++)
        pthread_join(t[i], NULL);
    expect("destroy", pthread_rwlock_destroy(&rw), 0);
    printf("writes %ld (expected %d), reads %ld (expected %d)\n", shared_value,
           WRITERS * WRITES, reads_seen, READERS * READS);
    if (shared_value != WRITERS * WRITES || reads_seen != READERS * READS)
        failures++;
    return failures ? 1 : 0;
}
