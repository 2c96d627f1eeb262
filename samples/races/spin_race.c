/* A spinlock guards a balance, but one path forgets to take it: a race
 * between the guarded update and the unguarded one.  Twin: spin_ok.c. */
#include <pthread.h>
#include <stdio.h>

#include "order.h"

static long balance;
static pthread_spinlock_t lock;
static struct order turn;

static void *deposit(void *arg)
{
    (void)arg;
    pthread_spin_lock(&lock);
    balance += 10; /* RACE */
    pthread_spin_unlock(&lock);
    order_post(&turn);
    return NULL;
}

static void *fee(void *arg)
{
    (void)arg;
    order_wait(&turn);
    balance -= 1; /* RACE */
    return NULL;
}

int main(void)
{
    pthread_t a, b;
    pthread_spin_init(&lock, PTHREAD_PROCESS_PRIVATE);
    order_init(&turn);
    pthread_create(&a, NULL, deposit, NULL);
    pthread_create(&b, NULL, fee, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    pthread_spin_destroy(&lock);
    printf("balance = %ld\n", balance);
    return 0;
}
