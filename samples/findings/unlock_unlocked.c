/* unlock_unlocked: flush() unlocks queue_lock, and its caller unlocks it
 * again: the second unlock releases a lock nobody holds.  queue_lock is an
 * error-checking mutex, so the call fails with EPERM instead of
 * corrupting the mutex.  With "fixed" only flush() unlocks. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_mutex_t queue_lock;
static int queued = 3;

static void flush(void)
{
    queued = 0;
    pthread_mutex_unlock(&queue_lock); /* LINE:unlock_first */
}

int main(int argc, char **argv)
{
    int fixed = argc > 1 && strcmp(argv[1], "fixed") == 0;
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_init(&queue_lock, &attr);
    pthread_mutexattr_destroy(&attr);
    pthread_mutex_lock(&queue_lock);
    flush();
    if (!fixed) {
        int rc = pthread_mutex_unlock(&queue_lock); /* LINE:unlock_again */
        printf("second unlock: %s\n", strerror(rc));
    }
    pthread_mutex_destroy(&queue_lock);
    printf("queued %d\n", queued);
    return 0;
}
