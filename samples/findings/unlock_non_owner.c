/* unlock_non_owner: thread "owner" takes session_lock and waits; main
 * then unlocks session_lock, which it does not hold.  session_lock is an
 * error-checking mutex, so the call fails with EPERM (a default mutex
 * would really be unlocked under its owner).  Semaphores order the steps.
 * With "fixed" main asks the owner to unlock instead. */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>

static pthread_mutex_t session_lock;
static sem_t locked, may_unlock;

static void *owner_thread(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "owner");
    pthread_mutex_lock(&session_lock); /* LINE:owner_lock */
    sem_post(&locked);
    sem_wait(&may_unlock);
    pthread_mutex_unlock(&session_lock);
    return NULL;
}

int main(int argc, char **argv)
{
    int fixed = argc > 1 && strcmp(argv[1], "fixed") == 0;
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_init(&session_lock, &attr);
    pthread_mutexattr_destroy(&attr);
    sem_init(&locked, 0, 0);
    sem_init(&may_unlock, 0, 0);
    pthread_t t;
    pthread_create(&t, NULL, owner_thread, NULL);
    sem_wait(&locked);
    if (!fixed) {
        int rc = pthread_mutex_unlock(&session_lock); /* LINE:foreign_unlock */
        printf("unlock by main: %s\n", strerror(rc));
    }
    sem_post(&may_unlock);
    pthread_join(t, NULL);
    pthread_mutex_destroy(&session_lock);
    return 0;
}
