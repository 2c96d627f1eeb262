/* The same heap block, every update under its mutex: no race.  Twin of
 * heap_race.c. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct account {
    pthread_mutex_t lock;
    long balance;
};

static void *spend(void *arg)
{
    struct account *acc = arg;
    for (int i = 0; i < 100; i++) {
        pthread_mutex_lock(&acc->lock);
        acc->balance -= 5;
        pthread_mutex_unlock(&acc->lock);
    }
    return NULL;
}

int main(void)
{
    struct account *acc = malloc(sizeof *acc);
    pthread_mutex_init(&acc->lock, NULL);
    acc->balance = 0;
    pthread_t t;
    pthread_create(&t, NULL, spend, acc);
    for (int i = 0; i < 100; i++) {
        pthread_mutex_lock(&acc->lock);
        acc->balance += 100;
        pthread_mutex_unlock(&acc->lock);
    }
    pthread_join(t, NULL);
    printf("balance = %ld\n", acc->balance);
    pthread_mutex_destroy(&acc->lock);
    free(acc);
    return 0;
}
