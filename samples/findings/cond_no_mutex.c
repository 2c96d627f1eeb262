/* cond_no_mutex: thread "poller" waits on state_cond with state_lock, but
 * forgot to lock state_lock first.  state_lock is an error-checking
 * mutex, so glibc returns EPERM at once instead of waiting with a mutex it
 * does not own.  The wait has a deadline already past, so the fixed twin
 * (which locks state_lock first) returns ETIMEDOUT at once: no thread
 * has to signal anything. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t state_lock;
static pthread_cond_t state_cond = PTHREAD_COND_INITIALIZER;
static int fixed;

static void *poller_thread(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "poller");
    struct timespec past = {0, 0};
    if (fixed)
        pthread_mutex_lock(&state_lock);
    int rc =
        pthread_cond_timedwait(&state_cond, &state_lock, &past); /* LINE:wait */
    if (fixed)
        pthread_mutex_unlock(&state_lock);
    printf("wait: %s\n", strerror(rc));
    return NULL;
}

int main(int argc, char **argv)
{
    fixed = argc > 1 && strcmp(argv[1], "fixed") == 0;
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_init(&state_lock, &attr);
    pthread_mutexattr_destroy(&attr);
    pthread_t t;
    pthread_create(&t, NULL, poller_thread, NULL);
    pthread_join(t, NULL);
    pthread_mutex_lock(&state_lock); /* free, whatever the poller did */
    pthread_mutex_unlock(&state_lock);
    pthread_mutex_destroy(&state_lock);
    return 0;
}
