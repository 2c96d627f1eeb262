/* deadlock_abba: two threads take two locks in opposite orders and a
 * barrier makes sure each holds its first lock before asking for the
 * second, so the program deadlocks every time (ctrace reports the
 * deadlock live and ends the program).  With an argument "fixed" both
 * threads take the locks in the same order: the bug-free twin. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_mutex_t accounts_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t ledger_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold_one;
static int fixed;
static long transfers, audits;

static void *transfer(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&accounts_lock);
    pthread_barrier_wait(&both_hold_one);
    pthread_mutex_lock(&ledger_lock);
    transfers++;
    pthread_mutex_unlock(&ledger_lock);
    pthread_mutex_unlock(&accounts_lock);
    return NULL;
}

static void *audit(void *arg)
{
    (void)arg;
    pthread_mutex_t *first = fixed ? &accounts_lock : &ledger_lock;
    pthread_mutex_t *second = fixed ? &ledger_lock : &accounts_lock;
    if (fixed) { /* the same order as transfer(): no cycle, no wait */
        pthread_barrier_wait(&both_hold_one);
        pthread_mutex_lock(first);
    } else {
        pthread_mutex_lock(first);
        pthread_barrier_wait(&both_hold_one);
    }
    pthread_mutex_lock(second);
    audits++;
    pthread_mutex_unlock(second);
    pthread_mutex_unlock(first);
    return NULL;
}

int main(int argc, char **argv)
{
    fixed = argc > 1 && strcmp(argv[1], "fixed") == 0;
    pthread_barrier_init(&both_hold_one, NULL, 2);
    pthread_t a, b;
    pthread_create(&a, NULL, transfer, NULL);
    pthread_create(&b, NULL, audit, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("transfers %ld audits %ld\n", transfers, audits);
    return 0;
}
