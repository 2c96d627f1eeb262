/* Sample: a program that closes every descriptor it has (close_range),
 * then goes on creating threads and locking.  Bug-free.  The shim keeps
 * no descriptor open between chunk allocations, so it must record all of
 * it.  With stdout gone it reports through its exit status: 0 when every
 * thread counted what it should. */
#include <pthread.h>
#include <unistd.h>

#define FDS_THREADS 4
#define FDS_ITERATIONS 50000 /* enough pairs to need several new chunks */

static pthread_mutex_t fds_lock = PTHREAD_MUTEX_INITIALIZER;
static long fds_counter;

static void *fds_worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < FDS_ITERATIONS; i++) {
        pthread_mutex_lock(&fds_lock);
        fds_counter++;
        pthread_mutex_unlock(&fds_lock);
    }
    return NULL;
}

int main(void)
{
    if (close_range(0, ~0U, 0) != 0)
        return 3;
    pthread_t threads[FDS_THREADS];
    for (int i = 0; i < FDS_THREADS; i++)
        if (pthread_create(&threads[i], NULL, fds_worker, NULL) != 0)
            return 4;
    for (int i = 0; i < FDS_THREADS; i++)
        pthread_join(threads[i], NULL);
    return fds_counter == (long)FDS_THREADS * FDS_ITERATIONS ? 0 : 1;
}
