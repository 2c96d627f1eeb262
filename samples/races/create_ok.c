/* The parent writes only before pthread_create: create -> start orders
 * the write before the child's read.  Twin of create_race.c. */
#include <pthread.h>
#include <stdio.h>

static int setting;

static void *child(void *arg)
{
    (void)arg;
    return (void *)(long)setting;
}

int main(void)
{
    pthread_t t;
    void *r;
    setting = 1;
    pthread_create(&t, NULL, child, NULL);
    pthread_join(t, &r);
    setting = 3;
    printf("child saw %ld\n", (long)r);
    return 0;
}
