/* Both paths take the spinlock: no race.  Twin of spin_race.c. */
#include <pthread.h>
#include <stdio.h>

static long balance;
static pthread_spinlock_t lock;

static void *deposit(void *arg)
{
    (void)arg;
    for (int i = 0; i < 100; i++) {
        pthread_spin_lock(&lock);
        balance += 10;
        pthread_spin_unlock(&lock);
    }
    return NULL;
}

static void *fee(void *arg)
{
    (void)arg;
    for (int i = 0; i < 100; i++) {
        pthread_spin_lock(&lock);
        balance -= 1;
        pthread_spin_unlock(&lock);
    }
    return NULL;
}

int main(void)
{
    pthread_t a, b;
    pthread_spin_init(&lock, PTHREAD_PROCESS_PRIVATE);
    pthread_create(&a, NULL, deposit, NULL);
    pthread_create(&b, NULL, fee, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    pthread_spin_destroy(&lock);
    printf("balance = %ld\n", balance);
    return 0;
}
