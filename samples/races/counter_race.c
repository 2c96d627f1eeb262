/* Two threads increment a shared counter with no lock: a data race
 * (read-modify-write of `counter` against the same in the other thread).
 * Twin: counter_mutex_ok.c. */
#include <pthread.h>
#include <stdio.h>

#include "order.h"

static long counter;
static struct order turn;

static void *worker(void *arg)
{
    int first = arg != NULL;
    if (!first)
        order_wait(&turn);
    counter++; /* RACE */
    if (first)
        order_post(&turn);
    return NULL;
}

int main(void)
{
    pthread_t a, b;
    order_init(&turn);
    pthread_create(&a, NULL, worker, (void *)1);
    pthread_create(&b, NULL, worker, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("counter = %ld\n", counter);
    return 0;
}
