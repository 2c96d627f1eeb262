/* One thread stores to a variable atomically, another reads it through
 * a plain pointer: an atomic access still races with a non-atomic one.
 * Twin of atomic_rmw_ok.c. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "order.h"

static atomic_int level;
static struct order turn;

static void *setter(void *arg)
{
    (void)arg;
    atomic_store(&level, 5); /* RACE */
    order_post(&turn);
    return NULL;
}

int main(void)
{
    pthread_t t;
    order_init(&turn);
    pthread_create(&t, NULL, setter, NULL);
    order_wait(&turn);
    int v = *(volatile int *)&level; /* RACE */
    pthread_join(t, NULL);
    printf("level = %d\n", v);
    return 0;
}
