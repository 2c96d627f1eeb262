/* destroy_locked: thread "holder" takes cache_lock and waits; main
 * destroys cache_lock while the holder still has it (glibc refuses with
 * EBUSY; POSIX calls it undefined).  Semaphores order the steps.  With
 * "fixed" main destroys it after the holder has unlocked and ended. */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>

static pthread_mutex_t cache_lock;
static sem_t locked, may_unlock;

static void *holder_thread(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "holder");
    pthread_mutex_lock(&cache_lock); /* LINE:holder_lock */
    sem_post(&locked);
    sem_wait(&may_unlock);
    pthread_mutex_unlock(&cache_lock);
    return NULL;
}

int main(int argc, char **argv)
{
    int fixed = argc > 1 && strcmp(argv[1], "fixed") == 0;
    pthread_mutex_init(&cache_lock, NULL);
    sem_init(&locked, 0, 0);
    sem_init(&may_unlock, 0, 0);
    pthread_t t;
    pthread_create(&t, NULL, holder_thread, NULL);
    sem_wait(&locked);
    if (!fixed) {
        int rc = pthread_mutex_destroy(&cache_lock); /* LINE:destroy_held */
        printf("destroy while held: %s\n", strerror(rc));
    }
    sem_post(&may_unlock);
    pthread_join(t, NULL);
    if (fixed)
        pthread_mutex_destroy(&cache_lock);
    return 0;
}
