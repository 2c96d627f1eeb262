/* The same buffer, filled and read under one mutex: no race.  Twin of
 * memcpy_race.c. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static char shared[256];
static const char text[] = "the quick brown fox jumps over the lazy dog";
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *filler(void *arg)
{
    size_t n = (size_t)(long)arg;
    pthread_mutex_lock(&lock);
    memcpy(shared, text, n);
    pthread_mutex_unlock(&lock);
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, filler, (void *)(long)sizeof text);
    pthread_mutex_lock(&lock);
    char c = shared[10];
    pthread_mutex_unlock(&lock);
    pthread_join(t, NULL);
    printf("shared[10] = %c\n", c);
    return 0;
}
