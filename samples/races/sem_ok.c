/* A producer writes the data, then posts; the consumer waits, then
 * reads: post -> wait orders them.  Twin of sem_race.c. */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>

static int data;
static sem_t ready;

static void *producer(void *arg)
{
    (void)arg;
    data = 42;
    sem_post(&ready);
    return NULL;
}

int main(void)
{
    pthread_t p;
    sem_init(&ready, 0, 0);
    pthread_create(&p, NULL, producer, NULL);
    sem_wait(&ready);
    printf("data = %d\n", data);
    pthread_join(p, NULL);
    sem_destroy(&ready);
    return 0;
}
