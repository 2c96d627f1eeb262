/* Transparency on programs nobody here wrote: GNU sort with two threads,
 * dash, and python3 with threading and with multiprocessing (fork and
 * spawn start methods) print the same and exit the same with and without
 * ctrace, and their trace loads with every process in it. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "process_test.h"

#define PYTHON "/usr/bin/python3"
#define SORT_LINES 400000 /* sort threads from 2 x 128K lines on */

static void compare(const char *what, const char *const argv[],
                    const char *input, struct proc_run *r)
{
    struct e2e_result native;
    proc_run_native(&native, argv, input);
    proc_run_traced(r, argv, input);
    proc_assert_same(what, &native, &r->res, NULL);
    e2e_result_free(&native);
}

static size_t images_with_threads(const struct e2e_trace *t, size_t min)
{
    size_t n = 0;
    for (size_t p = 0; p < t->nprocs; p++) {
        size_t threads = 0;
        for (size_t i = 0; i < t->nthreads; i++)
            threads += t->threads[i].proc == p;
        n += threads >= min;
    }
    return n;
}

/* Deterministic pseudo-random numbers, one per line. */
static char *sort_input(void)
{
    char *buf = malloc((size_t)SORT_LINES * 12 + 1), *p = buf;
    uint32_t x = 12345;
    for (int i = 0; i < SORT_LINES; i++) {
        x = x * 1103515245u + 12345u;
        p += sprintf(p, "%u\n", (x >> 8) % 1000000u);
    }
    return buf;
}

Test(transparency, sort_parallel, .timeout = 300)
{
    char *input = sort_input();
    const char *argv[] = {"/usr/bin/sort", "--parallel=2", "-n", NULL};
    struct proc_run r;
    compare("sort --parallel=2", argv, input, &r);
    cr_expect_eq(r.res.status, 0);
    cr_expect_eq(r.res.out_len, strlen(input));
    cr_expect_geq(r.t.nprocs, 1);
    cr_expect_geq(proc_count(&r.t, TRACE_EV_THREAD_CREATE, 0), 1,
                  "sort --parallel=2 made no thread under ctrace");
    proc_run_free(&r);
    free(input);
}

Test(transparency, sh_exit_status)
{
    const char *argv[] = {"/bin/sh", "-c", "echo hi; exit 3", NULL};
    struct proc_run r;
    compare("sh -c", argv, NULL, &r);
    cr_expect_eq(r.res.status, 3);
    cr_expect_str_eq(r.res.out, "hi\n");
    cr_expect_eq(proc_count_arg(&r.t, TRACE_EV_PROCESS_EXIT, 0, 3), 1);
    proc_run_free(&r);
}

static void python_or_skip(void)
{
    if (access(PYTHON, X_OK) != 0)
        cr_skip_test(PYTHON " is not installed");
}

static const char py_threads[] =
    "import threading\n"
    "lock = threading.Lock()\n"
    "total = [0]\n"
    "def work():\n"
    "    for _ in range(20000):\n"
    "        with lock:\n"
    "            total[0] += 1\n"
    "ts = [threading.Thread(target=work) for _ in range(4)]\n"
    "[t.start() for t in ts]\n"
    "[t.join() for t in ts]\n"
    "print('total', total[0])\n";

Test(transparency, python_threading, .timeout = 300)
{
    python_or_skip();
    const char *argv[] = {PYTHON, "-c", py_threads, NULL};
    struct proc_run r;
    compare("python3 threading", argv, NULL, &r);
    cr_expect_str_eq(r.res.out, "total 80000\n");
    cr_expect_geq(images_with_threads(&r.t, 5), 1,
                  "no image with the 5 threads");
    proc_run_free(&r);
}

static const char py_multiprocessing[] =
    "import multiprocessing as mp, sys\n"
    "ctx = mp.get_context(sys.argv[1])\n"
    "with ctx.Pool(2) as pool:\n"
    "    print('sum', sum(pool.map(abs, range(-1000, 1000))))\n"
    "q = ctx.Queue()\n"
    "p = ctx.Process(target=q.put, args=(42,))\n"
    "p.start()\n"
    "print('got', q.get())\n"
    "p.join()\n"
    "print('exitcode', p.exitcode)\n"
    "sys.exit(4)\n";

static void python_multiprocessing(const char *method)
{
    python_or_skip();
    const char *argv[] = {PYTHON, "-c", py_multiprocessing, method, NULL};
    struct proc_run r;
    compare(method, argv, NULL, &r);
    cr_expect_eq(r.res.status, 4);
    cr_expect_str_eq(r.res.out, "sum 1000000\ngot 42\nexitcode 0\n");
    /* The root, two pool workers and one Process at least. */
    size_t roots = 0;
    for (size_t i = 0; i < r.t.nprocs; i++)
        roots += r.t.procs[i].parent < 0;
    cr_expect_eq(roots, 1, "%zu images without a parent", roots);
    cr_expect_geq(r.t.nprocs, 4, "%s: only %zu images", method, r.t.nprocs);
    proc_run_free(&r);
}

Test(transparency, python_multiprocessing_fork, .timeout = 300)
{
    python_multiprocessing("fork");
}

Test(transparency, python_multiprocessing_spawn, .timeout = 300)
{
    python_multiprocessing("spawn");
}
