/* Sample: errno and results after failing and succeeding sync calls must
 * be exactly what they are without ctrace.  A trylock on a held mutex
 * returns EBUSY and leaves errno alone; sem_trywait on a zero semaphore
 * returns -1 with errno EAGAIN; the same checks for rwlocks, spinlocks,
 * timed calls with invalid timeouts and C11 mutexes; and errno survives
 * successful calls.  Prints what it saw; exits 1 if anything differs
 * from what POSIX and glibc promise. */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <threads.h>
#include <time.h>

#define SENTINEL 4242

static int failures;

/* A call returning an error number: errno must stay SENTINEL. */
static void check_rc(const char *what, int rc, int want)
{
    int err = errno;
    printf("%-30s rc=%d errno=%s\n", what, rc,
           err == SENTINEL ? "unchanged" : strerror(err));
    if (rc != want || err != SENTINEL)
        failures++;
}

/* A call returning -1 and setting errno. */
static void check_errno(const char *what, int rc, int want_errno)
{
    int err = errno;
    printf("%-30s rc=%d errno=%s\n", what, rc,
           err == SENTINEL ? "unchanged" : strerror(err));
    if (rc != (want_errno ? -1 : 0) ||
        err != (want_errno ? want_errno : SENTINEL))
        failures++;
}

int main(void)
{
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
    pthread_spinlock_t spin;
    sem_t zero, one;
    mtx_t cm;
    struct timespec bad = {0, 1000000000L};

    pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE);
    sem_init(&zero, 0, 0);
    sem_init(&one, 0, 1);
    mtx_init(&cm, mtx_plain);

    errno = SENTINEL;
    check_rc("mutex lock", pthread_mutex_lock(&m), 0);
    check_rc("mutex trylock (held)", pthread_mutex_trylock(&m), EBUSY);
    check_rc("mutex unlock", pthread_mutex_unlock(&m), 0);
    check_rc("rwlock wrlock", pthread_rwlock_wrlock(&rw), 0);
    check_rc("rwlock tryrdlock (held)", pthread_rwlock_tryrdlock(&rw), EBUSY);
    check_rc("rwlock trywrlock (held)", pthread_rwlock_trywrlock(&rw), EBUSY);
    check_rc("rwlock unlock", pthread_rwlock_unlock(&rw), 0);
    check_rc("rwlock timedrdlock (bad)", pthread_rwlock_timedrdlock(&rw, &bad),
             EINVAL);
    check_rc("spin lock", pthread_spin_lock(&spin), 0);
    check_rc("spin trylock (held)", pthread_spin_trylock(&spin), EBUSY);
    check_rc("spin unlock", pthread_spin_unlock(&spin), 0);
    check_rc("mtx lock", mtx_lock(&cm), thrd_success);
    check_rc("mtx trylock (held)", mtx_trylock(&cm), thrd_busy);
    check_rc("mtx unlock", mtx_unlock(&cm), thrd_success);

    check_errno("sem_trywait (zero)", sem_trywait(&zero), EAGAIN);
    errno = SENTINEL;
    check_errno("sem_wait (one)", sem_wait(&one), 0);
    check_errno("sem_trywait (zero again)", sem_trywait(&one), EAGAIN);
    errno = SENTINEL;
    check_errno("sem_post", sem_post(&one), 0);
    check_errno("sem_timedwait (bad)", sem_timedwait(&one, &bad), EINVAL);
    errno = SENTINEL;
    check_errno("sem_trywait (one)", sem_trywait(&one), 0);

    sem_destroy(&zero);
    sem_destroy(&one);
    pthread_spin_destroy(&spin);
    mtx_destroy(&cm);
    printf("%s\n", failures ? "MISMATCH" : "all as expected");
    return failures ? 1 : 0;
}
