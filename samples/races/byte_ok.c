/* Two threads write neighbouring bytes of one word: no race (different
 * memory locations, C11 3.14).  Twin of byte_race.c. */
#include <pthread.h>
#include <stdio.h>

#include "order.h"

static _Alignas(8) volatile char flags[8];
static struct order turn;

static void *first(void *arg)
{
    (void)arg;
    flags[5] = 1;
    order_post(&turn);
    return NULL;
}

static void *second(void *arg)
{
    (void)arg;
    order_wait(&turn);
    flags[6] = 2;
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
    printf("flags %d %d\n", flags[5], flags[6]);
    return 0;
}
