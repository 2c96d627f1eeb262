/* fd_numbers: a program that relies on open() and dup() returning the
 * lowest free descriptor, as POSIX says: after a lock (the shim's first
 * stack capture) it duplicates stdout, closes 0-2, locks again and
 * reopens 0-2 and one more, then prints the numbers it got through the
 * duplicate.  Bug-free; natively "out 3, then 0 1 2 4" when it starts
 * with only 0-2 open (a test harness may leave more open: the numbers
 * are for comparing with the native run).  Exits 1 if 0-2 did not come
 * back in order. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static pthread_mutex_t fd_lock = PTHREAD_MUTEX_INITIALIZER;
static long fd_counter;

static void fd_lock_once(void)
{
    pthread_mutex_lock(&fd_lock);
    fd_counter++;
    pthread_mutex_unlock(&fd_lock);
}

int main(void)
{
    fd_lock_once();
    int out = dup(1);
    close(0);
    close(1);
    close(2);
    fd_lock_once();
    int a = open("/dev/null", O_RDONLY);
    int b = dup(a), c = dup(a), d = dup(a);
    fd_lock_once();
    dprintf(out, "out %d, then %d %d %d %d\n", out, a, b, c, d);
    return a == 0 && b == 1 && c == 2 ? 0 : 1;
}
