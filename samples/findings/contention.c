/* contention: known lock figures for the contention section.
 *   hot_lock   main takes it SOLO times alone; then, ROUNDS times, thread
 *              "holder" takes it and keeps it until thread "waiter" is
 *              queued on it, so each of the waiter's ROUNDS acquisitions
 *              is contended and none of the others is.
 *   cold_lock  taken COLD times by main, never contended.
 * Exact: hot_lock 2*ROUNDS+SOLO acquisitions, ROUNDS contended; cold_lock
 * COLD acquisitions, 0 contended.  The holder sees the waiter queued by
 * glibc's lock word (2: locked with waiters), which the waiter sets only
 * after its first attempt failed; semaphores order the rest.  The bug-free
 * twin is "fixed": no waiter, hence no contention at all. */
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>

#define ROUNDS 100
#define SOLO 1000
#define COLD 5

static pthread_mutex_t hot_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t cold_lock = PTHREAD_MUTEX_INITIALIZER;
static sem_t held, done;
static int fixed;
static long counter;

static void wait_for_queued_waiter(void)
{
    while (__atomic_load_n(&hot_lock.__data.__lock, __ATOMIC_ACQUIRE) != 2)
        sched_yield();
}

static void *holder_thread(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "holder");
    for (int r = 0; r < ROUNDS; r++) {
        pthread_mutex_lock(&hot_lock); /* LINE:holder_lock */
        counter++;
        if (!fixed) {
            sem_post(&held);
            wait_for_queued_waiter();
        }
        pthread_mutex_unlock(&hot_lock);
        if (!fixed)
            sem_wait(&done);
    }
    return NULL;
}

static void *waiter_thread(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "waiter");
    for (int r = 0; r < ROUNDS; r++) {
        sem_wait(&held);
        pthread_mutex_lock(&hot_lock); /* LINE:waiter_lock */
        counter++;
        pthread_mutex_unlock(&hot_lock);
        sem_post(&done);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    fixed = argc > 1 && strcmp(argv[1], "fixed") == 0;
    sem_init(&held, 0, 0);
    sem_init(&done, 0, 0);
    for (int i = 0; i < SOLO; i++) {
        pthread_mutex_lock(&hot_lock); /* LINE:solo_lock */
        counter++;
        pthread_mutex_unlock(&hot_lock);
    }
    for (int i = 0; i < COLD; i++) {
        pthread_mutex_lock(&cold_lock); /* LINE:cold_lock */
        pthread_mutex_unlock(&cold_lock);
    }
    pthread_t h, w;
    pthread_create(&h, NULL, holder_thread, NULL);
    if (!fixed)
        pthread_create(&w, NULL, waiter_thread, NULL);
    pthread_join(h, NULL);
    if (!fixed)
        pthread_join(w, NULL);
    printf("counter %ld\n", counter);
    return 0;
}
