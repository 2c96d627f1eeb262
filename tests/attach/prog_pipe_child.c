/* Test program for `ctrace attach --children`: the parent makes a pipe,
 * forks a child that reads a line from it, and waits for the child
 * without ever writing: the parent waits for the child, the child for
 * data only the parent (holding the pipe's write end) could send.  The
 * test releases it with SIGUSR1, whose handler writes the line; then the
 * child exits 0 and the parent prints "child done" and exits 0. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int request_pipe[2];

static void on_usr1(int sig)
{
    (void)sig;
    if (write(request_pipe[1], "go\n", 3) != 3)
        _exit(3);
}

static int child_main(void)
{
    char line[16];
    close(request_pipe[1]);
    ssize_t n = read(request_pipe[0], line, sizeof line); /* blocks */
    return n > 0 ? 0 : 1;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    if (pipe(request_pipe) != 0)
        return 2;
    pid_t pid = fork();
    if (pid == 0)
        _exit(child_main());
    int status;
    while (waitpid(pid, &status, 0) < 0) /* blocks: nobody writes */
        ;
    printf("child done %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return 0;
}
