/* Test program for `ctrace attach`: a worker waits on a condition that
 * nobody will ever signal (its predicate is set by no one), and main
 * joins the worker: every thread is blocked, the process hangs. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

static pthread_mutex_t work_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work_ready = PTHREAD_COND_INITIALIZER;
static bool ready; /* never set: the bug */

static void *worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&work_mutex);
    while (!ready)
        pthread_cond_wait(&work_ready, &work_mutex);
    pthread_mutex_unlock(&work_mutex);
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    pthread_join(t, NULL);
    puts("unreachable");
    return 0;
}
