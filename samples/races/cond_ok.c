/* The producer writes the message before it signals (outside the lock,
 * but before the unlock that the consumer's wakeup follows): ordered.
 * Twin of cond_race.c. */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int ready;
static int message;

static void *producer(void *arg)
{
    (void)arg;
    message = 7;
    pthread_mutex_lock(&lock);
    ready = 1;
    pthread_cond_signal(&cond);
    pthread_mutex_unlock(&lock);
    return NULL;
}

int main(void)
{
    pthread_t p;
    pthread_create(&p, NULL, producer, NULL);
    pthread_mutex_lock(&lock);
    while (!ready)
        pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
    printf("message = %d\n", message);
    pthread_join(p, NULL);
    return 0;
}
