/* Sample (exception groups): four children and their exit statuses.
 * Child 0 exits 0, children 1 and 2 exit 1 (from one exit_failing()),
 * child 3 waits on a pipe until its parent kills it with SIGKILL: no
 * stack, no exit status, only the parent's wait status tells.  The
 * parent waits for all four, prints their statuses and exits 0: three
 * failures, two groups ("exit status 1" twice, "killed by SIGKILL").
 *
 * With the argument "ok" children 1 and 2 exit 0 and child 3 leaves when
 * its pipe closes, with 0: the twin with no failure.  Child 3 says it is
 * ready (a byte on a second pipe) before the parent kills it, so the
 * kill never lands before the child's trace has started. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

__attribute__((noinline)) static void exit_failing(int ok)
{
    exit(ok ? 0 : 1); /* EXIT_SITE */
}

static void child_wait_pipe(int fd_in, int fd_ready)
{
    char c = 'r';
    if (write(fd_ready, &c, 1) != 1)
        _exit(3);
    while (read(fd_in, &c, 1) > 0)
        ;
    _exit(0);
}

int main(int argc, char **argv)
{
    int ok = argc > 1 && strcmp(argv[1], "ok") == 0;
    int hold[2], ready[2];
    if (pipe(hold) != 0 || pipe(ready) != 0)
        return 2;
    pid_t pids[4];
    for (int k = 0; k < 4; k++) {
        pids[k] = fork();
        if (pids[k] < 0)
            return 2;
        if (pids[k] > 0)
            continue;
        if (k == 0)
            exit(0);
        if (k < 3)
            exit_failing(ok);
        close(hold[1]);
        child_wait_pipe(hold[0], ready[1]);
    }
    close(hold[0]);
    char c;
    if (read(ready[0], &c, 1) != 1)
        return 2;
    if (ok)
        close(hold[1]);
    else
        kill(pids[3], SIGKILL);
    for (int k = 0; k < 4; k++) {
        int st = 0;
        waitpid(pids[k], &st, 0);
        if (WIFSIGNALED(st))
            printf("child %d killed by signal %d\n", k, WTERMSIG(st));
        else
            printf("child %d exit %d\n", k, WEXITSTATUS(st));
    }
    return 0;
}
