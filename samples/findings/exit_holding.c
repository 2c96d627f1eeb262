/* exit_holding: thread "loader" takes cache_lock and returns on an error
 * path without unlocking it: every later user of cache_lock would block
 * for ever.  With "fixed" the error path unlocks. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static int fixed;
static int loaded;

static void *loader_thread(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "loader");
    pthread_mutex_lock(&cache_lock); /* LINE:take */
    if (loaded == 0) {               /* the error path */
        if (fixed)
            pthread_mutex_unlock(&cache_lock);
        return NULL;
    }
    loaded++;
    pthread_mutex_unlock(&cache_lock);
    return NULL;
}

int main(int argc, char **argv)
{
    fixed = argc > 1 && strcmp(argv[1], "fixed") == 0;
    pthread_t t;
    pthread_create(&t, NULL, loader_thread, NULL);
    pthread_join(t, NULL);
    printf("loaded %d\n", loaded);
    return 0;
}
