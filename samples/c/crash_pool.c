/* Sample (exception groups): a pool of five forked workers, each
 * parsing one record.  Workers 0, 1 and 2 get a record with no data and
 * segfault at one site (parse_record); workers 3 and 4 get a record with
 * a negative length and fail one assert (check_record).  The parent
 * waits for all of them and exits 0: five failures, two groups.  The
 * crashing workers are started and reaped before the asserting ones, so
 * the order in which the failures happen (the report's group order) is
 * fixed, not left to the scheduler.
 *
 * With the argument "ok" every worker gets a good record and exits 0:
 * the twin with no failure at all.
 *
 * Each worker prints "worker K pid P" before it parses; the parent prints
 * "pool done" at the end.  The lines marked SEGV_SITE and ASSERT_SITE are
 * found by the tests in this file. */
#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define POOL_WORKERS 5

struct record {
    const int *data; /* NULL: the bad record that crashes */
    int len;
};

static const int good_data[3] = {1, 2, 3};

__attribute__((noinline)) static void check_record(const struct record *r)
{
    assert(r->len >= 0); /* ASSERT_SITE */
}

__attribute__((noinline)) static int parse_record(const struct record *r)
{
    check_record(r);
    int sum = 0;
    for (int i = 0; i < r->len; i++)
        sum += r->data[i]; /* SEGV_SITE */
    return sum;
}

__attribute__((noinline)) static int worker_main(int k, int ok)
{
    struct record r = {good_data, 3};
    if (!ok && k < 3)
        r.data = NULL;
    else if (!ok)
        r.len = -1;
    printf("worker %d pid %d\n", k, (int)getpid());
    fflush(stdout);
    return parse_record(&r) == 6 ? 0 : 1;
}

int main(int argc, char **argv)
{
    int ok = argc > 1 && strcmp(argv[1], "ok") == 0;
    static const int waves[] = {0, 3, POOL_WORKERS};
    for (int w = 0; w < 2; w++) {
        pid_t pids[POOL_WORKERS];
        for (int k = waves[w]; k < waves[w + 1]; k++) {
            pids[k] = fork();
            if (pids[k] < 0)
                return 2;
            if (pids[k] == 0)
                _exit(worker_main(k, ok));
        }
        for (int k = waves[w]; k < waves[w + 1]; k++)
            waitpid(pids[k], NULL, 0);
    }
    printf("pool done\n");
    return 0;
}
