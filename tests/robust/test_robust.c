/* The recorder when the disk fills up (DESIGN.md rule 2): the program
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

Test(robust, disk_full_keeps_program_and_trace, .fini = unmount_disk)
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
    cr_assert_eq(e2e_run(&traced, tr_argv), 0);

    cr_expect_eq(traced.status, native.status, "exit %d vs %d: %s",
                 traced.status, native.status, traced.err);
    cr_expect_str_eq(traced.out, native.out);
    cr_expect_str_eq(native.out, "counters 200000 200000\n");

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
