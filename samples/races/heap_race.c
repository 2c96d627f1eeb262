/* Two threads update the same field of a heap block with no lock: the
 * report names the block, its size and where it was allocated.  Twin:
 * heap_ok.c. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "order.h"

struct account {
    long id;
    long balance;
    char name[48];
};

static struct order turn;

static void *spend(void *arg)
{
    struct account *acc = arg;
    order_wait(&turn);
    acc->balance -= 5; /* RACE */
    return NULL;
}

int main(void)
{
    struct account *acc = calloc(1, sizeof *acc); /* ALLOC */
    pthread_t t;
    order_init(&turn);
    pthread_create(&t, NULL, spend, acc);
    acc->balance += 100; /* RACE */
    order_post(&turn);
    pthread_join(t, NULL);
    printf("balance = %ld\n", acc->balance);
    free(acc);
    return 0;
}
