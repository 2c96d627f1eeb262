/* The main thread reads a worker's result before joining it: the read is
 * not ordered after the write (the join comes later).  Twin:
 * join_ok.c. */
#include <pthread.h>
#include <stdio.h>

#include "order.h"

static long result;
static struct order turn;

static void *worker(void *arg)
{
    (void)arg;
    result = 6 * 7; /* RACE */
    order_post(&turn);
    return NULL;
}

int main(void)
{
    pthread_t t;
    order_init(&turn);
    pthread_create(&t, NULL, worker, NULL);
    order_wait(&turn);
    long r = result; /* RACE */
    pthread_join(t, NULL);
    printf("result = %ld\n", r);
    return 0;
}
