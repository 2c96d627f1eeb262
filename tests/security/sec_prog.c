/* Test program for tests/security: a second thread and the main thread
 * take the same mutex, so a traced run writes a process file and (with
 * clock=monotonic) seq.map; prints "ran".  Also compiled with `ctrace cc`
 * into the setuid test binary. */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int counter;

static void *worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    counter++;
    pthread_mutex_unlock(&lock);
    return NULL;
}

int main(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, worker, NULL) != 0)
        return 1;
    pthread_mutex_lock(&lock);
    counter++;
    pthread_mutex_unlock(&lock);
    pthread_join(t, NULL);
    printf("ran %d\n", counter);
    return 0;
}
