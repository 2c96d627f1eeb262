/* The recorder under hostile conditions (docs/design.md rules 1 and 2): the
 * disk fills up, or the program's file size limit is reached.  The program
 * behaves exactly as without ctrace, the trace keeps what fitted, says how
 * many events were lost, and reads back without an error.
 *
 * The "disk" is a 512 KiB tmpfs mounted for the test (root only; the test
 * is skipped where mounting is not allowed). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "e2e.h"
#include "process_test.h"

static char *mounted;

static void unmount_disk(void)
{
    if (mounted)
        umount2(mounted, MNT_DETACH);
    mounted = NULL;
}

/* A fresh directory with a tiny file system on it, or NULL. */
static const char *tiny_disk(void)
{
    const char *dir = e2e_tmpdir();
    if (mount("tmpfs", dir, "tmpfs", 0, "size=512k") != 0)
        return NULL;
    mounted = strdup(dir);
    return dir;
}

/* The disk fills under the lock loop: with the TSC clock where the
 * kernel trusts it, and with clock=monotonic, whose shared sequence file
 * (seq.map) is mapped too: no store may land on a page the full disk
 * never gave (that is a SIGBUS). */
static void disk_full(const char *options)
{
    const char *disk = tiny_disk();
    if (!disk)
        cr_skip("cannot mount a tmpfs here (not root?)");
    const char *sample = e2e_sample("c/lock_loop");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/ctrace.data", disk);

    struct e2e_result native, traced;
    const char *nat_argv[] = {sample, "200000", NULL};
    cr_assert_eq(e2e_run(&native, nat_argv), 0);
    /* 2 x 200000 pairs = 800000 events = 12.8 MB: 25 times the disk. */
    const char *tr_argv[] = {"ctrace", "run",  "--no-report", "-o",
                             dir,      sample, "200000",      NULL};
    const char *env[] = {options, NULL};
    cr_assert_eq(e2e_run_env(&traced, tr_argv, env, NULL, E2E_TIMEOUT_S), 0);

    cr_expect_eq(traced.status, native.status, "%s: exit %d vs %d: %s", options,
                 traced.status, native.status, traced.err);
    cr_expect_str_eq(traced.out, native.out);
    cr_expect_str_eq(native.out, "counters 200000 200000\n");
    /* debug=1 names the reason once per thread (not once per event) */
    const char *first = "starts losing events: disk full, ENOSPC (28) on '";
    size_t said = 0;
    for (const char *p = traced.err; (p = strstr(p, first)); p++)
        said++;
    if (strstr(options, "debug=1")) {
        cr_expect(said >= 1 && said <= 2, "%zu lines: %s", said, traced.err);
        cr_expect_not_null(strstr(traced.err, " events lost (disk full: "),
                           "summary at exit: %s", traced.err);
    } else {
        cr_expect_str_eq(traced.err, "", "nothing on stderr without debug=1");
    }

    struct e2e_trace t;
    e2e_load_trace(&t, dir);
    size_t pairs = e2e_count(&t, TRACE_EV_MUTEX_RELEASE, 0);
    cr_expect_gt(t.lost, 0, "a full disk must show as lost events");
    cr_expect_gt(pairs, 100, "what fitted before the disk filled is kept");
    cr_expect_lt(pairs, 400000, "the disk cannot hold every event");
    cr_expect_gt(t.lost + pairs * 2, 400000,
                 "lost (%llu) + recorded events account for the run",
                 (unsigned long long)t.lost);
    e2e_trace_free(&t);

    struct e2e_result dump;
    const char *dump_argv[] = {"ctrace", "dump", dir, NULL};
    cr_assert_eq(e2e_run(&dump, dump_argv), 0);
    cr_expect_eq(dump.status, 0, "dump of a disk-full trace: %s", dump.err);
    e2e_result_free(&dump);
    e2e_result_free(&native);
    e2e_result_free(&traced);
}

Test(robust, disk_full_keeps_program_and_trace, .fini = unmount_disk)
{
    disk_full("CTRACE_OPTIONS=");
}

Test(robust, disk_full_with_sequence_file, .fini = unmount_disk)
{
    disk_full("CTRACE_OPTIONS=clock=monotonic");
}

Test(robust, disk_full_said_with_debug, .fini = unmount_disk)
{
    disk_full("CTRACE_OPTIONS=debug=1");
}

/* RLIMIT_FSIZE is the program's limit (ulimit -f, in KiB blocks): the
 * trace must stop growing at it instead of earning the program a
 * SIGXFSZ, and must leave the limit as the program set it (the sample
 * prints it: `sh -c ulimit -f` after the loop). */
static void file_size_limit(const char *blocks, size_t min_pairs)
{
    char script[256];
    snprintf(script, sizeof script,
             "ulimit -f %s && \"$0\" \"$@\" && ulimit -f", blocks);
    const char *argv[] = {"/bin/sh", "-c", script, e2e_sample("c/lock_loop"),
                          "200000",  NULL};
    struct e2e_result native;
    struct proc_run r;
    proc_run_native(&native, argv, NULL);
    proc_run_traced(&r, argv, NULL);
    proc_assert_same("lock_loop under ulimit -f", &native, &r.res, NULL);
    char expect[128];
    snprintf(expect, sizeof expect, "counters 200000 200000\n%s\n", blocks);
    cr_expect_str_eq(native.out, expect);
    size_t pairs = proc_count(&r.t, TRACE_EV_MUTEX_RELEASE, 0);
    cr_expect_gt(r.t.lost, 0, "events past the limit are counted as lost");
    cr_expect_geq(pairs, min_pairs, "what fitted under the limit is kept");
    cr_expect_gt(r.t.lost + pairs * 2, 400000,
                 "lost (%llu) + recorded (%zu pairs) account for the run",
                 (unsigned long long)r.t.lost, pairs);
    e2e_result_free(&native);
    proc_run_free(&r);
}

Test(robust, file_size_limit_64k_no_sigxfsz) { file_size_limit("64", 0); }

Test(robust, file_size_limit_512k_keeps_what_fits)
{
    file_size_limit("512", 100);
}

/* A raw clone(SIGCHLD) is a fork the shim's fork handlers never see:
 * libc's clone() and the clone system call.  Each child must be a
 * process of its own in the trace, with its own events, never more
 * chunks for its parent's first thread. */
Test(robust, raw_clone_children_are_processes)
{
    const char *argv[] = {e2e_sample("c/raw_clone"), NULL};
    struct e2e_result native, traced;
    proc_run_native(&native, argv, NULL);
    const char *dir = e2e_trace_dir();
    const char *targv[] = {"ctrace", "run",   "--no-report", "-o",
                           dir,      argv[0], NULL};
    cr_assert_eq(e2e_run(&traced, targv), 0);
    proc_assert_same("raw_clone", &native, &traced, "pid_");
    cr_expect_eq(native.status, 0, "%s", native.out);

    struct e2e_trace t;
    e2e_load_trace(&t, dir);
    cr_expect_eq(t.nprocs, 3, "parent and two children, not %zu", t.nprocs);
    const char *children[] = {"pid_libc", "pid_syscall"};
    struct e2e_result dump;
    const char *dump_argv[] = {"ctrace", "dump", "--json", dir, NULL};
    cr_assert_eq(e2e_run(&dump, dump_argv), 0);
    cr_expect_eq(dump.status, 0);
    cr_expect_str_eq(dump.err, "", "the reader warns: %s", dump.err);
    for (size_t i = 0; i < 2; i++) {
        uint32_t pid = (uint32_t)proc_out_value(traced.out, children[i]);
        cr_expect_not_null(e2e_process(&t, pid, 0), "%s: no image %u",
                           children[i], pid);
        cr_expect_eq(proc_count(&t, TRACE_EV_MUTEX_ACQUIRE, pid), 1000,
                     "%s: %zu acquisitions", children[i],
                     proc_count(&t, TRACE_EV_MUTEX_ACQUIRE, pid));
        char key[64];
        snprintf(key, sizeof key, "\"pid\":%u,", pid);
        cr_expect_not_null(strstr(dump.out, key), "dump --json: no %s", key);
    }
    cr_expect_eq(proc_count_arg(&t, TRACE_EV_PROCESS_EXIT, 0, 7), 1,
                 "the system call's child exits through _exit(7)");
    e2e_trace_free(&t);
    e2e_result_free(&dump);
    e2e_result_free(&native);
    e2e_result_free(&traced);
}

/* A thread with a 16 KiB stack locks with 1.5 KiB of it left: enough for
 * libc, not for a stack capture, which the shim must then skip (the
 * acquisition itself is still recorded, with its return address). */
Test(robust, small_stack_edge_lock)
{
    const char *argv[] = {e2e_sample("c/stack_edge"), NULL};
    struct e2e_result native;
    struct proc_run r;
    proc_run_native(&native, argv, NULL);
    proc_run_traced(&r, argv, NULL);
    proc_assert_same("stack_edge", &native, &r.res, NULL);
    cr_expect_eq(native.status, 0, "%s", native.out);
    cr_expect_eq(proc_count(&r.t, TRACE_EV_MUTEX_ACQUIRE, 0), 2,
                 "the warm-up and the edge acquisitions");
    e2e_result_free(&native);
    proc_run_free(&r);
}
