/* Sample: a process tree made every way a program makes processes, with
 * every parent waiting for its children.  Bug-free.
 *
 *   root ─fork─▶ child ─fork─▶ grandchild
 *        ─fork─▶ execer ─exec─▶ (same pid) fork_tree leaf
 *        ─vfork─▶ vforked ─exec─▶ (same pid) fork_tree leaf
 *        ─posix_spawn─▶ fork_tree leaf
 *        ─system─▶ /bin/sh ─fork+exec─▶ fork_tree leaf
 *        ─popen─▶ /bin/sh (echo, a builtin: no child), read, pclose
 *        ─fork─▶ cleaner ─execle with an environment of its own (no
 *                LD_PRELOAD)─▶ (same pid) fork_tree leaf
 * and first an exec that fails (a path that does not exist): errno must
 * be ENOENT and the environment untouched ("execfail errno=2 env=same").
 *
 * Every process prints one line "ROLE pid=P ppid=Q" so a test can match
 * the trace's process images against what really happened.  Exits 0 when
 * every child exited 0. */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void tree_say(const char *role)
{
    printf("%s pid=%d ppid=%d\n", role, (int)getpid(), (int)getppid());
    fflush(stdout);
}

/* Wait for one child; true when it exited 0. */
static int tree_wait(pid_t pid)
{
    int st = 0;
    if (waitpid(pid, &st, 0) != pid)
        return 0;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static int tree_fork_of_fork(void)
{
    pid_t child = fork();
    if (child == 0) {
        tree_say("child");
        pid_t grandchild = fork();
        if (grandchild == 0) {
            tree_say("grandchild");
            _exit(0);
        }
        exit(grandchild > 0 && tree_wait(grandchild) ? 0 : 1);
    }
    return child > 0 && tree_wait(child);
}

static int tree_fork_exec(const char *self, int use_vfork)
{
    char *const argv[] = {(char *)self, (char *)"leaf",
                          (char *)(use_vfork ? "vexec" : "exec"), NULL};
    pid_t pid = use_vfork ? vfork() : fork();
    if (pid == 0) {
        execv(self, argv);
        _exit(127);
    }
    return pid > 0 && tree_wait(pid);
}

static int tree_popen(void)
{
    FILE *p = popen("echo popen-line", "r");
    if (!p)
        return 0;
    char line[64] = "";
    int ok = fgets(line, sizeof line, p) != NULL &&
             strcmp(line, "popen-line\n") == 0;
    int st = pclose(p);
    return ok && st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static int tree_clean_env(const char *self)
{
    char *const envp[] = {(char *)"TREE_ONLY=1", NULL};
    pid_t pid = fork();
    if (pid == 0) {
        execle(self, self, "leaf", "cleanenv", (char *)NULL, envp);
        _exit(127);
    }
    return pid > 0 && tree_wait(pid);
}

static void tree_exec_fail(void)
{
    const char *before = getenv("LD_PRELOAD");
    size_t count = 0;
    while (environ[count])
        count++;
    char *const argv[] = {(char *)"none", NULL};
    int rc = execv("/nonexistent/ctrace-no-such-program", argv);
    int err = errno;
    size_t after = 0;
    while (environ[after])
        after++;
    int same = after == count && getenv("LD_PRELOAD") == before &&
               getenv("CTRACE_EXEC_PID") == NULL;
    printf("execfail rc=%d errno=%d env=%s\n", rc, err,
           same ? "same" : "CHANGED");
    fflush(stdout); /* before any fork copies the buffer */
}

static int tree_spawn(const char *self)
{
    char *const argv[] = {(char *)self, (char *)"leaf", (char *)"spawn", NULL};
    pid_t pid;
    if (posix_spawn(&pid, self, NULL, NULL, argv, environ) != 0)
        return 0;
    return tree_wait(pid);
}

static int tree_system(const char *self)
{
    /* Two commands, so the shell forks for the first (the last one, a
     * builtin, runs in the shell itself). */
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "'%s' leaf system; exit 0", self);
    int st = system(cmd);
    return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "leaf") == 0) {
        char role[64];
        snprintf(role, sizeof role, "leaf-%s", argv[2]);
        tree_say(role);
        return 0;
    }
    tree_say("root");
    tree_exec_fail();
    int ok = tree_fork_of_fork();
    ok &= tree_fork_exec(argv[0], 0);
    ok &= tree_fork_exec(argv[0], 1);
    ok &= tree_spawn(argv[0]);
    ok &= tree_system(argv[0]);
    ok &= tree_popen();
    ok &= tree_clean_env(argv[0]);
    printf("tree %s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
