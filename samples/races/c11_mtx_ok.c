/* C11 threads: thrd_create, mtx_lock and thrd_join order a shared total
 * like their pthread equivalents.  No race. */
#include <stdio.h>
#include <threads.h>

static long total;
static mtx_t lock;

static int worker(void *arg)
{
    for (int i = 0; i < 200; i++) {
        mtx_lock(&lock);
        total += (long)arg;
        mtx_unlock(&lock);
    }
    return 0;
}

int main(void)
{
    thrd_t a, b;
    mtx_init(&lock, mtx_plain);
    thrd_create(&a, worker, (void *)1);
    thrd_create(&b, worker, (void *)2);
    thrd_join(a, NULL);
    thrd_join(b, NULL);
    mtx_destroy(&lock);
    printf("total = %ld\n", total);
    return 0;
}
