/* The plain half of the mixed-build test (compiled without ctrace):
 * threads, ordered by a pipe only, call into the instrumented half. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void mixed_bump(void);
long mixed_value(void);

static int fds[2];

static void *worker(void *arg)
{
    char ch = 0;
    if (arg && read(fds[0], &ch, 1) != 1)
        abort();
    mixed_bump();
    if (!arg && write(fds[1], &ch, 1) != 1)
        abort();
    return NULL;
}

int main(void)
{
    pthread_t a, b;
    if (pipe(fds) != 0)
        return 1;
    pthread_create(&a, NULL, worker, NULL);
    pthread_create(&b, NULL, worker, (void *)1);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("mixed %ld\n", mixed_value());
    return 0;
}
