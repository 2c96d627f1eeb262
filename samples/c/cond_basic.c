/* Sample: condition variables.  A bounded buffer (4 slots) carries 1000
 * items from one producer to two consumers; every put signals
 * `not_empty`, every get signals `not_full`, and the end is one broadcast
 * on `not_empty`.  Then a handshake that always waits (the waiter holds
 * the mutex while it creates the thread that will signal it), and a
 * timedwait and a clockwait that time out; last, a thread waiting on
 * `never` (no one signals it) is cancelled inside its wait, and its
 * cleanup handler unlocks the mutex.  Bug-free.
 *
 * Known counts: cond-init 4, cond-signal 2002 (not_empty 1000, not_full
 * 1000, handshake 2), cond-broadcast 1, cond-wake ETIMEDOUT 2 (on the
 * handshake cond) and ECANCELED 1 (on `never`), cond-destroy 4; every
 * cond-wait has its mutex-release before and its cond-wake and
 * mutex-acquire after. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define ITEMS 1000
#define SLOTS 4
#define CONSUMERS 2

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_empty, not_full, handshake, never;
static int buffer[SLOTS];
static int head, count, produced_all;
static long consumed_sum;
static int ready, waiter_waits;

static void *producer(void *arg)
{
    (void)arg;
    for (int i = 1; i <= ITEMS; i++) {
        pthread_mutex_lock(&lock);
        while (count == SLOTS)
            pthread_cond_wait(&not_full, &lock);
        buffer[(head + count++) % SLOTS] = i;
        pthread_cond_signal(&not_empty);
        pthread_mutex_unlock(&lock);
    }
    pthread_mutex_lock(&lock);
    produced_all = 1;
    pthread_cond_broadcast(&not_empty);
    pthread_mutex_unlock(&lock);
    return NULL;
}

static void *consumer(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&lock);
        while (count == 0 && !produced_all)
            pthread_cond_wait(&not_empty, &lock);
        if (count == 0) {
            pthread_mutex_unlock(&lock);
            return NULL;
        }
        consumed_sum += buffer[head];
        head = (head + 1) % SLOTS;
        count--;
        pthread_cond_signal(&not_full);
        pthread_mutex_unlock(&lock);
    }
}

static void *signaller(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    ready = 1;
    pthread_cond_signal(&handshake);
    pthread_mutex_unlock(&lock);
    return NULL;
}

static struct timespec past(clockid_t clock)
{
    struct timespec t;
    clock_gettime(clock, &t);
    t.tv_sec -= 1;
    return t;
}

/* Returns the number of unexpected results. */
static int handshake_and_timeouts(void)
{
    pthread_t t;
    pthread_mutex_lock(&lock);
    pthread_create(&t, NULL, signaller, NULL);
    while (!ready)
        pthread_cond_wait(&handshake, &lock);
    struct timespec rt = past(CLOCK_REALTIME), mono = past(CLOCK_MONOTONIC);
    int r1 = pthread_cond_timedwait(&handshake, &lock, &rt);
    int r2 = pthread_cond_clockwait(&handshake, &lock, CLOCK_MONOTONIC, &mono);
    pthread_mutex_unlock(&lock);
    pthread_join(t, NULL);
    printf("timedwait: %s\nclockwait: %s\n", strerror(r1), strerror(r2));
    return (r1 != ETIMEDOUT) + (r2 != ETIMEDOUT);
}

static void unlock_on_cancel(void *m) { pthread_mutex_unlock(m); }

static void *cancelled_waiter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    pthread_cleanup_push(unlock_on_cancel, &lock);
    waiter_waits = 1;
    pthread_cond_signal(&handshake);
    for (;;) /* cancelled in here */
        pthread_cond_wait(&never, &lock);
    pthread_cleanup_pop(1);
    return NULL;
}

/* Returns the number of unexpected results. */
static int cancel_a_waiter(void)
{
    pthread_t t;
    void *ret;
    pthread_mutex_lock(&lock);
    pthread_create(&t, NULL, cancelled_waiter, NULL);
    /* Holding the mutex again after the waiter's signal means the waiter
     * gave it up: it is inside its wait on `never`. */
    while (!waiter_waits)
        pthread_cond_wait(&handshake, &lock);
    pthread_mutex_unlock(&lock);
    pthread_cancel(t);
    pthread_join(t, &ret);
    printf("waiter cancelled: %s\n", ret == PTHREAD_CANCELED ? "yes" : "no");
    return ret != PTHREAD_CANCELED;
}

int main(void)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setpshared(&attr, PTHREAD_PROCESS_PRIVATE);
    pthread_cond_init(&not_empty, &attr);
    pthread_cond_init(&not_full, NULL);
    pthread_cond_init(&handshake, NULL);
    pthread_cond_init(&never, NULL);
    pthread_condattr_destroy(&attr);

    pthread_t p, c[CONSUMERS];
    pthread_create(&p, NULL, producer, NULL);
    for (int i = 0; i < CONSUMERS; i++)
        pthread_create(&c[i], NULL, consumer, NULL);
    pthread_join(p, NULL);
    for (int i = 0; i < CONSUMERS; i++)
        pthread_join(c[i], NULL);
    int bad = handshake_and_timeouts();
    bad += cancel_a_waiter();

    pthread_cond_destroy(&not_empty);
    pthread_cond_destroy(&not_full);
    pthread_cond_destroy(&handshake);
    pthread_cond_destroy(&never);
    long want = (long)ITEMS * (ITEMS + 1) / 2;
    printf("consumed sum %ld (expected %ld)\n", consumed_sum, want);
    return bad || consumed_sum != want ? 1 : 0;
}
