/* Two threads write two fields of one struct, which share an 8-byte
 * word: different bytes, no race.  Twin of field_race.c. */
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
    stats.hits = 10;
    order_post(&turn);
    return NULL;
}

static void *count_misses(void *arg)
{
    (void)arg;
    order_wait(&turn);
    stats.misses = 3;
    return NULL;
}

int main(void)
{
    pthread_t a, b;
    order_init(&turn);
    pthread_create(&a, NULL, count_hits, NULL);
    pthread_create(&b, NULL, count_misses, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("%d hits, %d misses\n", stats.hits, stats.misses);
    return 0;
}
