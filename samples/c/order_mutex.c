/* Sample (order workload): 4 threads x 100000 lock/unlock pairs spread
 * over 3 mutexes, all threads released together by a barrier so they
 * really contend.  The trace must show, per mutex, acquisitions and
 * releases strictly alternating with hold intervals that never overlap.
 * order_rwlock.c builds the same on the write side of 3 rwlocks.
 * Bug-free. */
#include <pthread.h>
#include <stdio.h>

#ifdef ORDER_RWLOCK
typedef pthread_rwlock_t order_lock_t;
#define ORDER_LOCK_INIT PTHREAD_RWLOCK_INITIALIZER
#define order_lock pthread_rwlock_wrlock
#define order_unlock pthread_rwlock_unlock
#else
typedef pthread_mutex_t order_lock_t;
#define ORDER_LOCK_INIT PTHREAD_MUTEX_INITIALIZER
#define order_lock pthread_mutex_lock
#define order_unlock pthread_mutex_unlock
#endif

#define THREADS 4
#define PAIRS 100000
#define LOCKS 3

static order_lock_t locks[LOCKS] = {ORDER_LOCK_INIT, ORDER_LOCK_INIT,
                                    ORDER_LOCK_INIT};
static long counters[LOCKS];
static pthread_barrier_t start;

static void *worker(void *arg)
{
    unsigned id = (unsigned)(long)arg;
    pthread_barrier_wait(&start);
    for (unsigned i = 0; i < PAIRS; i++) {
        unsigned k = (i + id) % LOCKS;
        order_lock(&locks[k]);
        counters[k]++;
        order_unlock(&locks[k]);
    }
    return NULL;
}

int main(void)
{
    pthread_t t[THREADS];
    pthread_barrier_init(&start, NULL, THREADS);
    for (long i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, worker, (void *)i);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&start);
    long total = 0;
    for (int k = 0; k < LOCKS; k++)
        total += counters[k];
    printf("total %ld (expected %d)\n", total, THREADS * PAIRS);
    return total == THREADS * PAIRS ? 0 : 1;
}
