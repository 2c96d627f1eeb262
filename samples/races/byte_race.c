/* Two threads write the same byte of a word: a race on that byte.
 * Twin: byte_ok.c, where they write neighbouring bytes. */
#include <pthread.h>
#include <stdio.h>

#include "order.h"

static _Alignas(8) volatile char flags[8];
static struct order turn;

static void *first(void *arg)
{
    (void)arg;
    flags[5] = 1; /* RACE */
    order_post(&turn);
    return NULL;
}

static void *second(void *arg)
{
    (void)arg;
    order_wait(&turn);
    flags[5] = 2; /* RACE */
    return NULL;
}

int main(void)
{
    pthread_t a, b;
    order_init(&turn);
    pthread_create(&a, NULL, first, NULL);
    pthread_create(&b, NULL, second, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("flags[5] = %d\n", flags[5]);
    return 0;
}
