/* hang_cond: a worker waits for a "ready" signal that main forgets to
 * send, and main joins the worker: every thread of the process is blocked
 * and nothing can wake them (ctrace reports a hang after --hang-timeout).
 * With an argument "fixed" main signals first: the bug-free twin. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_mutex_t ready_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready_cond = PTHREAD_COND_INITIALIZER;
static int ready;

static void *worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&ready_lock);
    while (!ready)
        pthread_cond_wait(&ready_cond, &ready_lock);
    pthread_mutex_unlock(&ready_lock);
    return NULL;
}

int main(int argc, char **argv)
{
    int fixed = argc > 1 && strcmp(argv[1], "fixed") == 0;
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    if (fixed) {
        pthread_mutex_lock(&ready_lock);
        ready = 1;
        pthread_cond_signal(&ready_cond);
        pthread_mutex_unlock(&ready_lock);
    }
    pthread_join(t, NULL);
    printf("worker done\n");
    return 0;
}
