/* Work before the barrier is ordered before everything after it, but
 * two threads that both write after the barrier race.  Twin:
 * barrier_ok.c. */
#include <pthread.h>
#include <stdio.h>

#include "order.h"

static pthread_barrier_t barrier;
static int phase1[2];
static int result;
static struct order turn;

static void *worker(void *arg)
{
    int id = (int)(long)arg;
    phase1[id] = id + 1;
    pthread_barrier_wait(&barrier);
    if (id == 1)
        order_wait(&turn);
    result = phase1[0] + phase1[1] + id; /* RACE */
    if (id == 0)
        order_post(&turn);
    return NULL;
}

int main(void)
{
    pthread_t t[2];
    pthread_barrier_init(&barrier, NULL, 2);
    order_init(&turn);
    for (long i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, worker, (void *)i);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&barrier);
    printf("result = %d\n", result);
    return 0;
}
