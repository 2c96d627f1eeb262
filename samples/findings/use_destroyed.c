/* use_destroyed: config_lock is destroyed when the configuration is
 * unloaded, and reload() then locks it again.  glibc marks a destroyed
 * mutex invalid, so the lock fails with EINVAL (POSIX: undefined).  With
 * "fixed" the configuration is set up again (pthread_mutex_init) before
 * reload(): a new lock at the same address, no finding. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_mutex_t config_lock;
static int generation;

static void reload(void)
{
    int rc = pthread_mutex_lock(&config_lock); /* LINE:use_after */
    generation++;
    if (rc == 0)
        pthread_mutex_unlock(&config_lock);
    else
        printf("lock after destroy: %s\n", strerror(rc));
}

int main(int argc, char **argv)
{
    int fixed = argc > 1 && strcmp(argv[1], "fixed") == 0;
    pthread_mutex_init(&config_lock, NULL);
    reload();
    pthread_mutex_destroy(&config_lock); /* LINE:destroy */
    if (fixed)
        pthread_mutex_init(&config_lock, NULL);
    reload();
    pthread_mutex_destroy(&config_lock);
    printf("generation %d\n", generation);
    return 0;
}
