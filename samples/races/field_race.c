/* Two threads write the same field of a struct: a race on that field.
 * Twin: field_ok.c, where each thread has its own field. */
#include <pthread.h>
#include <stdio.h>

#include "order.h"

static struct stats {
    int hits;
    int misses;
} stats;
static struct order turn;

static void *count_hits(void *arg)
{
    (void)arg;
    stats.hits = 10; /* RACE */
    order_post(&turn);
    return NULL;
}

static void *count_more_hits(void *arg)
{
    (void)arg;
    order_wait(&turn);
    stats.hits = 20; /* RACE */
    return NULL;
}

int main(void)
{
    pthread_t a, b;
    order_init(&turn);
    pthread_create(&a, NULL, count_hits, NULL);
    pthread_create(&b, NULL, count_more_hits, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("%d hits, %d misses\n", stats.hits, stats.misses);
    return 0;
}
