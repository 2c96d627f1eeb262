/* Test program for `ctrace attach`, with no bug: two workers compute
 * until main, which reads stdin, sees it closed; then main joins them and
 * prints "busy done" (exit 0).  Attached to meanwhile, it has nothing to
 * report: its workers run. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

static atomic_bool stop;
static pthread_mutex_t total_mutex = PTHREAD_MUTEX_INITIALIZER;
static uint64_t total;

static void *worker(void *arg)
{
    uint64_t x = (uintptr_t)arg + 1, n = 0;
    while (!atomic_load(&stop)) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        if (++n % 4096 == 0) {
            pthread_mutex_lock(&total_mutex);
            total += x & 1;
            pthread_mutex_unlock(&total_mutex);
        }
    }
    return NULL;
}

int main(void)
{
    pthread_t t[2];
    char buf[64];
    for (uintptr_t i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, worker, (void *)i);
    while (read(0, buf, sizeof buf) > 0)
        ;
    atomic_store(&stop, 1);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    printf("busy done\n");
    return 0;
}
