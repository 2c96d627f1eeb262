/* Process tree and exit statuses, end to end: fork, fork of a fork,
 * fork+exec, vfork+exec, posix_spawn, system() (the shell and its
 * child), exec with an environment that lacks LD_PRELOAD, a failing
 * exec; then children ending by exit, _exit, _Exit, SIGKILL and a main
 * that returns. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "process_test.h"

static const struct trace_process *image_of(const struct e2e_trace *t,
                                            uint32_t pid, uint32_t image)
{
    int i = proc_image_index(t, pid, image);
    cr_assert_geq(i, 0, "no trace image %u of pid %u", image, pid);
    return &t->procs[i];
}

static bool has_reap(const struct e2e_trace *t, uint32_t pid, int32_t child,
                     int32_t status)
{
    for (size_t i = 0; i < t->n; i++) {
        const struct trace_event *e = &t->ev[i];
        if (e->type != TRACE_EV_PROCESS_REAP || e->pid != pid)
            continue;
        const struct trace_reap_info *r = e->payload;
        if (r->pid == child && r->status == status)
            return true;
    }
    return false;
}

/* A process made by fork: image 0, flagged, linked to its parent image,
 * announced by a fork event there, reaped by the parent with status 0. */
static void check_forked(const struct e2e_trace *t, uint32_t pid,
                         uint32_t parent_pid, uint32_t parent_image)
{
    const struct trace_process *p = image_of(t, pid, 0);
    cr_expect(p->flags & TRACE_FILE_FORKED, "pid %u not marked forked", pid);
    cr_expect_eq(p->ppid, parent_pid);
    cr_expect_eq(p->parent, proc_image_index(t, parent_pid, parent_image),
                 "pid %u: wrong parent image", pid);
    cr_expect_eq(proc_count_arg(t, TRACE_EV_FORK, parent_pid, pid), 1,
                 "no fork event for %u in %u", pid, parent_pid);
}

/* pid exec'd once: image 1 comes from image 0 and ends with exit 0. */
static void check_execed(const struct e2e_trace *t, uint32_t pid)
{
    const struct trace_process *img0 = image_of(t, pid, 0);
    const struct trace_process *img1 = image_of(t, pid, 1);
    cr_expect(img1->flags & TRACE_FILE_EXECED, "pid %u image 1 not execed",
              pid);
    cr_expect_eq(img1->exec_from, proc_image_index(t, pid, 0));
    cr_expect(!img0->exited, "pid %u image 0 marked exited", pid);
    cr_expect(img1->exited && img1->exit_status == 0,
              "pid %u image 1: exited %d status %u", pid, img1->exited,
              img1->exit_status);
    const struct trace_event *ex = proc_find(t, TRACE_EV_EXEC, pid, 0);
    cr_assert_not_null(ex, "no exec event in pid %u", pid);
    cr_expect(strstr(ex->payload, "fork_tree") != NULL, "exec path '%s'",
              (const char *)ex->payload);
    cr_expect(strstr(img1->cmdline, "leaf") != NULL, "image 1 cmdline '%s'",
              img1->cmdline);
}

Test(process, tree_every_process_with_its_parent, .timeout = 300)
{
    const char *argv[] = {e2e_sample("c/fork_tree"), NULL};
    struct proc_run r;
    proc_run_traced(&r, argv, NULL);
    cr_assert_eq(r.res.status, 0, "fork_tree: %d\n%s%s", r.res.status,
                 r.res.out, r.res.err);
    const struct e2e_trace *t = &r.t;
    const char *out = r.res.out;
    uint32_t root = proc_out_role_pid(out, "root");
    uint32_t child = proc_out_role_pid(out, "child");
    uint32_t grandchild = proc_out_role_pid(out, "grandchild");
    uint32_t execed = proc_out_role_pid(out, "leaf-exec");
    uint32_t vexeced = proc_out_role_pid(out, "leaf-vexec");
    uint32_t spawned = proc_out_role_pid(out, "leaf-spawn");
    uint32_t sys_leaf = proc_out_role_pid(out, "leaf-system");
    uint32_t clean = proc_out_role_pid(out, "leaf-cleanenv");
    cr_assert(root && child && grandchild && execed && vexeced && spawned &&
                  sys_leaf && clean,
              "a role is missing from the output:\n%s", out);

    const struct trace_process *rp = image_of(t, root, 0);
    cr_expect_eq(rp->parent, -1);
    cr_expect(rp->exited && rp->exit_status == 0);

    check_forked(t, child, root, 0);
    check_forked(t, grandchild, child, 0);
    check_forked(t, execed, root, 0);
    check_forked(t, vexeced, root, 0);
    check_forked(t, clean, root, 0);
    check_execed(t, execed);
    check_execed(t, vexeced);
    check_execed(t, clean);

    /* posix_spawn: a new process, not a fork, announced by `spawn`. */
    const struct trace_process *sp = image_of(t, spawned, 0);
    cr_expect_eq(sp->flags & (TRACE_FILE_FORKED | TRACE_FILE_EXECED), 0);
    cr_expect_eq(sp->parent, proc_image_index(t, root, 0));
    const struct trace_event *se = proc_find(t, TRACE_EV_SPAWN, root, 0);
    cr_assert_not_null(se);
    const struct trace_spawn_info *si = se->payload;
    cr_expect_eq(si->child_pid, spawned);
    cr_expect_eq(si->result, 0);
    cr_expect(strstr(si->path, "fork_tree") != NULL);

    /* system(): the shell is a child of root, the leaf the shell's. */
    const struct trace_process *leaf0 = image_of(t, sys_leaf, 0);
    uint32_t shell = leaf0->ppid;
    const struct trace_process *sh = image_of(t, shell, 0);
    cr_expect_eq(sh->ppid, root);
    cr_expect_eq(sh->parent, proc_image_index(t, root, 0));
    check_forked(t, sys_leaf, shell, 0);
    check_execed(t, sys_leaf);
    const struct trace_event *sys = proc_find(t, TRACE_EV_SYSTEM, root, 0);
    cr_assert_not_null(sys);
    cr_expect(strstr(sys->payload, "leaf system") != NULL);

    /* popen(): a shell child of root, reaped by pclose. */
    const struct trace_event *po = proc_find(t, TRACE_EV_POPEN, root, 0);
    cr_assert_not_null(po);
    cr_expect_str_eq(po->payload, "echo popen-line");
    int popen_shells = 0;
    for (size_t i = 0; i < t->nprocs; i++)
        popen_shells += t->procs[i].ppid == root &&
                        strstr(t->procs[i].cmdline, "echo popen-line") &&
                        t->procs[i].exited && t->procs[i].exit_status == 0;
    cr_expect_eq(popen_shells, 1);
    size_t libc_reaps = 0;
    for (size_t i = 0; i < t->n; i++) {
        const struct trace_event *e = &t->ev[i];
        if (e->type != TRACE_EV_PROCESS_REAP || e->pid != root)
            continue;
        const struct trace_reap_info *ri = e->payload;
        if (ri->how == 5 || ri->how == 6) {
            cr_expect_eq(ri->pid, 0);
            cr_expect_eq(ri->status, 0);
            libc_reaps++;
        }
    }
    cr_expect_eq(libc_reaps, 2, "system and pclose reaps: %zu", libc_reaps);

    /* Every parent reaped every child it waited for, status 0. */
    cr_expect(has_reap(t, root, (int32_t)child, 0));
    cr_expect(has_reap(t, child, (int32_t)grandchild, 0));
    cr_expect(has_reap(t, root, (int32_t)execed, 0));
    cr_expect(has_reap(t, root, (int32_t)vexeced, 0));
    cr_expect(has_reap(t, root, (int32_t)spawned, 0));
    cr_expect(has_reap(t, root, (int32_t)clean, 0));
    cr_expect(has_reap(t, shell, (int32_t)sys_leaf, 0));
    cr_expect(has_reap(t, root, 0, 0), "no reap for system()");
    cr_expect_eq(proc_count(t, TRACE_EV_FORK, root), 4);
    cr_expect_eq(t->nprocs, 14, "images: %zu", t->nprocs);
    proc_run_free(&r);
}

Test(process, failing_exec_keeps_errno_and_environment)
{
    const char *argv[] = {e2e_sample("c/fork_tree"), NULL};
    struct e2e_result native;
    proc_run_native(&native, argv, NULL);
    struct proc_run r;
    proc_run_traced(&r, argv, NULL);
    cr_expect(strstr(native.out, "execfail rc=-1 errno=2 env=same\n"), "%s",
              native.out);
    cr_expect(strstr(r.res.out, "execfail rc=-1 errno=2 env=same\n"),
              "under ctrace: %s", r.res.out);
    uint32_t root = proc_out_role_pid(r.res.out, "root");
    const struct trace_event *ex = proc_find(&r.t, TRACE_EV_EXEC, root, 0);
    cr_assert_not_null(ex);
    cr_expect_str_eq(ex->payload, "/nonexistent/ctrace-no-such-program");
    const struct trace_event *fail =
        proc_find(&r.t, TRACE_EV_EXEC_FAIL, root, 0);
    cr_assert_not_null(fail);
    cr_expect_eq(fail->arg, 2 /* ENOENT */);
    e2e_result_free(&native);
    proc_run_free(&r);
}

/* "child K pid P status S" lines of exit_codes. */
static void exit_child(const char *out, int k, uint32_t *pid, int *status)
{
    char key[32];
    snprintf(key, sizeof key, "child %d pid", k);
    *pid = (uint32_t)proc_out_value(out, key);
    const char *line = strstr(out, key);
    const char *st = strstr(line, "status ");
    cr_assert_not_null(st);
    *status = atoi(st + 7);
}

Test(process, exit_statuses_recorded)
{
    const char *argv[] = {e2e_sample("c/exit_codes"), NULL};
    struct e2e_result native;
    proc_run_native(&native, argv, NULL);
    struct proc_run r;
    proc_run_traced(&r, argv, NULL);
    cr_assert_eq(native.status, 2);
    cr_assert_eq(r.res.status, 2);
    const struct e2e_trace *t = &r.t;
    uint32_t root = 0;
    for (size_t i = 0; i < t->nprocs; i++)
        if (t->procs[i].parent < 0)
            root = t->procs[i].pid;
    const struct trace_process *rp = image_of(t, root, 0);
    cr_expect(rp->exited && rp->exit_status == 2, "root: exited %d status %u",
              rp->exited, rp->exit_status);
    cr_expect_eq(proc_count_arg(t, TRACE_EV_PROCESS_EXIT, root, 2), 1);

    static const int want_exit[] = {0, 1, 1, -1, 5}; /* -1: SIGKILL */
    for (int k = 0; k < 5; k++) {
        uint32_t pid;
        int status;
        exit_child(r.res.out, k, &pid, &status);
        const struct trace_process *p = image_of(t, pid, 0);
        cr_expect(has_reap(t, root, (int32_t)pid, status),
                  "child %d: no reap with status %d", k, status);
        cr_expect_eq(proc_count_arg(t, TRACE_EV_PROCESS_WAIT, root, pid), 1);
        if (want_exit[k] < 0) {
            cr_expect(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
            cr_expect(!p->exited, "killed child %d marked exited", k);
            cr_expect_eq(proc_count(t, TRACE_EV_PROCESS_EXIT, pid), 0);
            continue;
        }
        cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == want_exit[k]);
        cr_expect(p->exited && p->exit_status == (uint32_t)want_exit[k],
                  "child %d: exited %d status %u", k, p->exited,
                  p->exit_status);
        cr_expect_eq(proc_count_arg(t, TRACE_EV_PROCESS_EXIT, pid,
                                    (uint32_t)want_exit[k]),
                     1, "child %d: process-exit", k);
        /* _exit and _Exit end the thread there and then. */
        size_t immediate =
            proc_count_arg(t, TRACE_EV_THREAD_EXIT, pid, TRACE_EXIT_PROCESS);
        cr_expect_eq(immediate, k == 2 || k == 4 ? 1u : 0u,
                     "child %d: %zu thread-exit(process)", k, immediate);
    }
    e2e_result_free(&native);
    proc_run_free(&r);
}

/* One pid through every exec variant (execl, execlp, execle, execv,
 * execvp, execvpe, fexecve, execveat), the last four with their own
 * environment: nine images, each exec'd from the one before. */
Test(process, exec_family_chain)
{
    const char *argv[] = {e2e_sample("c/exec_chain"), NULL};
    struct proc_run r;
    proc_run_traced(&r, argv, NULL);
    cr_assert_eq(r.res.status, 0, "%s%s", r.res.out, r.res.err);
    cr_expect(strstr(r.res.out, "chain done\n") != NULL);
    uint32_t pid = (uint32_t)proc_out_value(r.res.out, "step 0 pid");
    const struct e2e_trace *t = &r.t;
    cr_expect_eq(t->nprocs, 9);
    for (uint32_t k = 0; k < 9; k++) {
        const struct trace_process *p = image_of(t, pid, k);
        char step[32];
        snprintf(step, sizeof step, "step %u pid", k);
        cr_expect_eq(proc_out_value(r.res.out, step), pid);
        if (k == 0)
            continue;
        cr_expect(p->flags & TRACE_FILE_EXECED, "image %u not execed", k);
        cr_expect_eq(p->exec_from, proc_image_index(t, pid, k - 1));
    }
    cr_expect(image_of(t, pid, 8)->exited);
    cr_expect_eq(proc_count(t, TRACE_EV_EXEC, pid), 8);
    cr_expect_eq(proc_count(t, TRACE_EV_EXEC_FAIL, pid), 0);
    for (size_t i = 0; i < 8; i++) {
        const struct trace_event *e = proc_find(t, TRACE_EV_EXEC, pid, i);
        cr_expect(strstr(e->payload, "exec_chain") != NULL,
                  "exec %zu payload '%s'", i, (const char *)e->payload);
    }
    proc_run_free(&r);
}
