/* inversion_pair: a lock-order inversion between two global locks that
 * never deadlocks in this run.  transfer() takes accounts_lock then
 * ledger_lock; audit() takes ledger_lock then accounts_lock.  main runs
 * them one after the other (join in between), so the cycle exists only in
 * the lock graph: run concurrently at the wrong moment, they would
 * deadlock.  With "fixed" audit() takes the locks in transfer()'s order:
 * the bug-free twin.  The LINE: markers let the tests find these lines. */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>

static pthread_mutex_t accounts_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t ledger_lock = PTHREAD_MUTEX_INITIALIZER;
static sem_t named; /* the thread waits until main has named it */
static int fixed;
static long balance, entries;

static void *transfer(void *arg)
{
    (void)arg;
    sem_wait(&named);
    pthread_mutex_lock(&accounts_lock); /* LINE:transfer_first */
    pthread_mutex_lock(&ledger_lock);   /* LINE:transfer_second */
    balance += 10;
    entries++;
    pthread_mutex_unlock(&ledger_lock);
    pthread_mutex_unlock(&accounts_lock);
    return NULL;
}

static void *audit(void *arg)
{
    (void)arg;
    sem_wait(&named);
    if (fixed) {
        pthread_mutex_lock(&accounts_lock); /* LINE:audit_fixed_first */
        pthread_mutex_lock(&ledger_lock);   /* LINE:audit_fixed_second */
    } else {
        pthread_mutex_lock(&ledger_lock);   /* LINE:audit_first */
        pthread_mutex_lock(&accounts_lock); /* LINE:audit_second */
    }
    printf("balance %ld entries %ld\n", balance, entries);
    pthread_mutex_unlock(&accounts_lock);
    pthread_mutex_unlock(&ledger_lock);
    return NULL;
}

/* The second thread reuses the first one's pthread_t, and may be named
 * before it has even started: the report must still tell them apart. */
static void run_alone(void *(*fn)(void *), const char *name)
{
    pthread_t t;
    pthread_create(&t, NULL, fn, NULL);
    pthread_setname_np(t, name);
    sem_post(&named);
    pthread_join(t, NULL);
}

int main(int argc, char **argv)
{
    fixed = argc > 1 && strcmp(argv[1], "fixed") == 0;
    sem_init(&named, 0, 0);
    run_alone(transfer, "transfer");
    run_alone(audit, "audit");
    return 0;
}
