/* deadlock_ring: three threads, three global locks, a real deadlock.
 * Thread i takes its own lock, waits on a barrier until every thread holds
 * one, then asks for the next thread's lock: each waits for the next, for
 * ever.  The barrier makes the cycle form on every run.  ctrace's live
 * monitor reports it and ends the program; the trace it leaves gives the
 * same finding offline.  With "fixed" every thread passes the barrier
 * first and takes the two locks lowest first: no cycle, no wait. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_mutex_t stock_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t order_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t bill_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t *const ring[3] = {&stock_lock, &order_lock, &bill_lock};
static pthread_barrier_t all_hold_one;
static int fixed;
static long done;

static void *ring_thread(void *arg)
{
    int i = (int)(long)arg, next = (i + 1) % 3;
    char name[16];
    snprintf(name, sizeof name, "ring%d", i);
    pthread_setname_np(pthread_self(), name);
    if (fixed) {
        pthread_barrier_wait(&all_hold_one);
        pthread_mutex_lock(ring[i < next ? i : next]);
        pthread_mutex_lock(ring[i < next ? next : i]);
    } else {
        pthread_mutex_lock(ring[i]); /* LINE:ring_own */
        pthread_barrier_wait(&all_hold_one);
        pthread_mutex_lock(ring[next]); /* LINE:ring_next */
    }
    done++;
    pthread_mutex_unlock(ring[next]);
    pthread_mutex_unlock(ring[i]);
    return NULL;
}

int main(int argc, char **argv)
{
    fixed = argc > 1 && strcmp(argv[1], "fixed") == 0;
    pthread_barrier_init(&all_hold_one, NULL, 3);
    pthread_t t[3];
    for (long i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, ring_thread, (void *)i);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    printf("done %ld\n", done);
    return 0;
}
