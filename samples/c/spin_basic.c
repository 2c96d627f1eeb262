/* Sample: pthread spinlocks.  main takes the lock with trylock, fails a
 * second trylock (EBUSY) and unlocks; then 4 threads x 10000 lock/unlock
 * pairs guard a counter.  Bug-free.
 *
 * Known counts: spin-init 1 (private), spin-acquire 40001 (1 TRY),
 * spin-release 40001, spin-fail 1 (EBUSY), spin-destroy 1. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define THREADS 4
#define PAIRS 10000

static pthread_spinlock_t spin;
static long counter;

static void *worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < PAIRS; i++) {
        pthread_spin_lock(&spin);
        counter++;
        pthread_spin_unlock(&spin);
    }
    return NULL;
}

int main(void)
{
    pthread_t t[THREADS];
    pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE);
    int r1 = pthread_spin_trylock(&spin);
    int r2 = pthread_spin_trylock(&spin);
    pthread_spin_unlock(&spin);
    printf("trylock free: %s\ntrylock held: %s\n", strerror(r1), strerror(r2));
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, worker, NULL);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    pthread_spin_destroy(&spin);
    printf("counter %ld (expected %d)\n", counter, THREADS * PAIRS);
    return r1 == 0 && r2 == EBUSY && counter == THREADS * PAIRS ? 0 : 1;
}
