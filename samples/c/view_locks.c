/* Sample (viewer): every kind of timeline cell in a fraction of a second,
 * with named threads.  Three "worker-N" threads meet at a barrier, then
 * queue for `table_lock`, each holding it about a millisecond (lock
 * waits, holds, contention); "producer" hands items to "consumer" through
 * a condition variable; "order-ab" takes `lock_a` then `lock_b`, then
 * posts a semaphore that "order-ba" waits on before taking them in the
 * opposite order: a lock-order inversion that never deadlocks (the
 * semaphore keeps the two apart).  main joins everyone.
 * Bug: the lock-order inversion (a finding), nothing else. */
#include <pthread.h>
#include <semaphore.h>
#include <unistd.h>

#define WORKERS 3
#define ROUNDS 20
#define ITEMS 10

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_nonempty = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t start_line;
static sem_t ab_done;
static int queued, table[WORKERS];

static void *worker(void *arg)
{
    long id = (long)arg;
    char name[16] = "worker-0";
    name[7] = (char)('1' + id);
    pthread_setname_np(pthread_self(), name);
    pthread_barrier_wait(&start_line);
    for (int i = 0; i < ROUNDS; i++) {
        pthread_mutex_lock(&table_lock);
        table[id]++;
        usleep(1000);
        pthread_mutex_unlock(&table_lock);
        usleep(300);
    }
    return NULL;
}

static void *producer(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "producer");
    for (int i = 0; i < ITEMS; i++) {
        usleep(3000);
        pthread_mutex_lock(&queue_lock);
        queued++;
        pthread_cond_signal(&queue_nonempty);
        pthread_mutex_unlock(&queue_lock);
    }
    return NULL;
}

static void *consumer(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "consumer");
    for (int i = 0; i < ITEMS; i++) {
        pthread_mutex_lock(&queue_lock);
        while (queued == 0)
            pthread_cond_wait(&queue_nonempty, &queue_lock);
        queued--;
        pthread_mutex_unlock(&queue_lock);
    }
    return NULL;
}

static void *order_ab(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "order-ab");
    usleep(5000);
    pthread_mutex_lock(&lock_a);
    pthread_mutex_lock(&lock_b);
    usleep(2000);
    pthread_mutex_unlock(&lock_b);
    pthread_mutex_unlock(&lock_a);
    sem_post(&ab_done);
    return NULL;
}

static void *order_ba(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "order-ba");
    sem_wait(&ab_done);
    pthread_mutex_lock(&lock_b);
    pthread_mutex_lock(&lock_a);
    usleep(2000);
    pthread_mutex_unlock(&lock_a);
    pthread_mutex_unlock(&lock_b);
    return NULL;
}

int main(void)
{
    pthread_t t[WORKERS + 4];
    int n = 0;
    pthread_barrier_init(&start_line, NULL, WORKERS);
    sem_init(&ab_done, 0, 0);
    for (long i = 0; i < WORKERS; i++)
        pthread_create(&t[n++], NULL, worker, (void *)i);
    pthread_create(&t[n++], NULL, producer, NULL);
    pthread_create(&t[n++], NULL, consumer, NULL);
    pthread_create(&t[n++], NULL, order_ab, NULL);
    pthread_create(&t[n++], NULL, order_ba, NULL);
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    return 0;
}
