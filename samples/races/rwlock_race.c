/* Two threads update a table while holding the read side of a rwlock:
 * readers exclude writers, not each other, so the updates race.  Twin:
 * rwlock_ok.c. */
#include <pthread.h>
#include <stdio.h>

#include "order.h"

static int table[16];
static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
static struct order turn;

static void *updater(void *arg)
{
    int first = arg != NULL;
    if (!first)
        order_wait(&turn);
    pthread_rwlock_rdlock(&lock);
    table[3] += 1; /* RACE */
    pthread_rwlock_unlock(&lock);
    if (first)
        order_post(&turn);
    return NULL;
}

int main(void)
{
    pthread_t a, b;
    order_init(&turn);
    pthread_create(&a, NULL, updater, (void *)1);
    pthread_create(&b, NULL, updater, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("table[3] = %d\n", table[3]);
    return 0;
}
