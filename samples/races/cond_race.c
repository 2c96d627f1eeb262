/* A producer signals a condition and then, after unlocking, updates the
 * message again: the consumer's read after its wakeup races with that
 * late write.  Twin: cond_ok.c. */
#include <pthread.h>
#include <stdio.h>

#include "order.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int ready;
static int message;
static struct order turn;

static void *producer(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    ready = 1;
    pthread_cond_signal(&cond);
    pthread_mutex_unlock(&lock);
    message = 7; /* RACE */
    order_post(&turn);
    return NULL;
}

int main(void)
{
    pthread_t p;
    order_init(&turn);
    pthread_create(&p, NULL, producer, NULL);
    pthread_mutex_lock(&lock);
    while (!ready)
        pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
    order_wait(&turn);
    printf("message = %d\n", message); /* RACE */
    pthread_join(p, NULL);
    return 0;
}
