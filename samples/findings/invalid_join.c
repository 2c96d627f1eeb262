/* invalid_join [double|detached|fixed]: joining a thread that cannot be
 * joined.
 *   double   (default) main joins thread "worker" twice: the second join
 *            names a thread that no longer exists (glibc: ESRCH)
 *   detached main detaches "worker", then joins it while it still runs
 *            (glibc: EINVAL); semaphores make main wait until the worker
 *            runs (so the report can name it) and keep it alive until
 *            then
 *   fixed    one join, no detach: the twin */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>

static sem_t started, go, finished;

static void *worker_thread(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "worker");
    sem_post(&started);
    sem_wait(&go);
    sem_post(&finished);
    return NULL;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "double";
    sem_init(&started, 0, 0);
    sem_init(&go, 0, 0);
    sem_init(&finished, 0, 0);
    pthread_t t;
    pthread_create(&t, NULL, worker_thread, NULL);
    sem_wait(&started);
    if (strcmp(mode, "detached") == 0) {
        pthread_detach(t);              /* LINE:detach */
        int rc = pthread_join(t, NULL); /* LINE:join_detached */
        printf("join of a detached thread: %s\n", strerror(rc));
        sem_post(&go);
        sem_wait(&finished);
        return 0;
    }
    sem_post(&go);
    pthread_join(t, NULL); /* LINE:join_first */
    if (strcmp(mode, "double") == 0) {
        int rc = pthread_join(t, NULL); /* LINE:join_again */
        printf("second join: %s\n", strerror(rc));
    }
    return 0;
}
