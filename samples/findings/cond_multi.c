/* cond_multi: one condition variable, two mutexes.  Thread "consumer"
 * waits on work_cond with queue_lock; while it waits, main waits on the
 * same work_cond with stats_lock (a deadline already past makes that
 * wait return at once).  POSIX leaves it undefined.  With "fixed" main
 * uses queue_lock too.  The steps are ordered by a semaphore and by
 * queue_lock itself: main can only take queue_lock once the consumer has
 * released it inside its wait. */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work_cond = PTHREAD_COND_INITIALIZER;
static sem_t about_to_wait;
static int work_ready;

static void *consumer_thread(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "consumer");
    pthread_mutex_lock(&queue_lock);
    sem_post(&about_to_wait);
    while (!work_ready)
        pthread_cond_wait(&work_cond, &queue_lock); /* LINE:consumer_wait */
    pthread_mutex_unlock(&queue_lock);
    return NULL;
}

int main(int argc, char **argv)
{
    int fixed = argc > 1 && strcmp(argv[1], "fixed") == 0;
    sem_init(&about_to_wait, 0, 0);
    pthread_t t;
    pthread_create(&t, NULL, consumer_thread, NULL);
    sem_wait(&about_to_wait);
    /* the consumer holds queue_lock until it waits: once main has it,
     * the consumer is a waiter of work_cond */
    pthread_mutex_lock(&queue_lock);
    pthread_mutex_unlock(&queue_lock);

    pthread_mutex_t *m = fixed ? &queue_lock : &stats_lock;
    struct timespec past = {0, 0};
    pthread_mutex_lock(m);
    int rc = pthread_cond_timedwait(&work_cond, m, &past); /* LINE:main_wait */
    pthread_mutex_unlock(m);
    printf("main's wait: %s\n", strerror(rc));

    pthread_mutex_lock(&queue_lock);
    work_ready = 1;
    pthread_cond_signal(&work_cond);
    pthread_mutex_unlock(&queue_lock);
    pthread_join(t, NULL);
    return 0;
}
