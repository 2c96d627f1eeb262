/* double_lock: deposit() holds balance_lock and calls add_interest(),
 * which locks it again.  balance_lock is an error-checking mutex, so the
 * second lock fails with EDEADLK instead of hanging the program (a
 * default mutex would deadlock on itself).  With "fixed" balance_lock is
 * a recursive mutex: locking it again is allowed, no finding. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_mutex_t balance_lock;
static long balance;

static void add_interest(void)
{
    int rc = pthread_mutex_lock(&balance_lock); /* LINE:lock_again */
    balance += balance / 10;
    if (rc == 0)
        pthread_mutex_unlock(&balance_lock);
    else
        printf("second lock: %s\n", strerror(rc));
}

static void deposit(long amount)
{
    pthread_mutex_lock(&balance_lock); /* LINE:lock_first */
    balance += amount;
    add_interest();
    pthread_mutex_unlock(&balance_lock);
}

int main(int argc, char **argv)
{
    int fixed = argc > 1 && strcmp(argv[1], "fixed") == 0;
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, fixed ? PTHREAD_MUTEX_RECURSIVE
                                           : PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_init(&balance_lock, &attr);
    pthread_mutexattr_destroy(&attr);
    deposit(100);
    pthread_mutex_destroy(&balance_lock);
    printf("balance %ld\n", balance);
    return 0;
}
