/* A producer posts a semaphore and only then writes the data the
 * consumer reads after its wait: the write is not ordered before the
 * read.  Twin: sem_ok.c. */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>

#include "order.h"

static int data;
static sem_t ready;
static struct order turn;

static void *producer(void *arg)
{
    (void)arg;
    sem_post(&ready);
    data = 42; /* RACE */
    order_post(&turn);
    return NULL;
}

int main(void)
{
    pthread_t p;
    sem_init(&ready, 0, 0);
    order_init(&turn);
    pthread_create(&p, NULL, producer, NULL);
    sem_wait(&ready);
    order_wait(&turn);
    printf("data = %d\n", data); /* RACE */
    pthread_join(p, NULL);
    sem_destroy(&ready);
    return 0;
}
