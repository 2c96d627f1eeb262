/* Every reader calls pthread_once before reading what the init routine
 * wrote: ordered, whichever thread ran it.  Twin of once_race.c. */
#include <pthread.h>
#include <stdio.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int config;

static void config_init(void) { config = 99; }

static void *reader(void *arg)
{
    (void)arg;
    pthread_once(&once, config_init);
    return (void *)(long)config;
}

int main(void)
{
    pthread_t t[3];
    void *r[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, reader, NULL);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], &r[i]);
    printf("config %ld %ld %ld\n", (long)r[0], (long)r[1], (long)r[2]);
    return 0;
}
