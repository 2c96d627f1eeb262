/* The shim's side (docs/security.md): trace files are created
 * without following links and with checks on what is opened; a setuid
 * program built with `ctrace cc` records nothing (secure-execution mode)
 * and reads no CTRACE_* variable, so CTRACE_DIR cannot aim root's writes
 * at a file of the attacker's choosing. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sec_common.h"

/* SEC_PROG run with the shim preloaded, recording into dir. */
static struct e2e_result shim_run(const char *dir)
{
    char *preload = NULL, *trace = NULL;
    cr_assert(asprintf(&preload, "LD_PRELOAD=%s", getenv("SEC_SHIM")) > 0);
    cr_assert(asprintf(&trace, "CTRACE_DIR=%s", dir) > 0);
    const char *env[] = {preload, trace, "CTRACE_OPTIONS=clock=monotonic",
                         NULL};
    const char *argv[] = {getenv("SEC_PROG"), NULL};
    struct e2e_result r;
    cr_assert_eq(e2e_run_env(&r, argv, env, NULL, 60), 0);
    cr_assert(!r.timed_out, "the program hung; stderr: %s", r.err);
    cr_expect_eq(r.status, 0, "status %d; stderr: %s", r.status, r.err);
    cr_expect_not_null(strstr(r.out, "ran 2"), "output: %s", r.out);
    free(preload);
    free(trace);
    return r;
}

static int shim_count_files(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return n;
}

Test(shim, seq_map_symlink_is_not_followed)
{
    const char *tmp = e2e_tmpdir();
    char *victim = sec_path(tmp, "victim"), *dir = sec_path(tmp, "t");
    sec_write(victim, "victim\n", 0600);
    cr_assert_eq(mkdir(dir, 0700), 0);
    cr_assert_eq(symlink(victim, sec_path(dir, "seq.map")), 0);
    struct e2e_result r = shim_run(dir);
    char *text = sec_read(victim);
    cr_expect(text && strcmp(text, "victim\n") == 0,
              "the file behind the symlink was written");
    cr_expect_eq(shim_count_files(dir, "p"), 1, "no process file recorded");
    free(text);
    e2e_result_free(&r);
}

Test(shim, seq_map_fifo_is_not_used)
{
    const char *tmp = e2e_tmpdir();
    char *dir = sec_path(tmp, "t");
    cr_assert_eq(mkdir(dir, 0700), 0);
    cr_assert_eq(mkfifo(sec_path(dir, "seq.map"), 0600), 0);
    struct e2e_result r = shim_run(dir);
    cr_expect_eq(shim_count_files(dir, "p"), 1, "no process file recorded");
    e2e_result_free(&r);
}

/* Root's shim told to record into a directory another user controls. */
Test(shim, dir_of_another_user_gets_no_files)
{
    sec_require_other_user();
    const char *tmp = sec_shared_dir();
    char *dir = sec_path(tmp, "t");
    cr_assert_eq(mkdir(dir, 0777), 0);
    sec_give_away(dir);
    struct e2e_result r = shim_run(dir);
    cr_expect_eq(shim_count_files(dir, "p"), 0, "root wrote into their dir");
    cr_expect_eq(shim_count_files(dir, "seq"), 0, "root wrote into their dir");
    e2e_result_free(&r);
}

/* `ctrace cc` SEC_PROG into dir/name, setuid root. */
static char *shim_build_setuid(const char *dir)
{
    char *bin = sec_path(dir, "suid_prog"), *src = NULL;
    cr_assert(asprintf(&src, "%s/tests/security/sec_prog.c",
                       getenv("CTRACE_SOURCE_ROOT")) > 0);
    const char *argv[] = {"ctrace", "cc", "-pthread", "-o", bin, src, NULL};
    struct e2e_result r;
    cr_assert_eq(e2e_run(&r, argv), 0);
    cr_assert_eq(r.status, 0, "ctrace cc failed: %s", r.err);
    e2e_result_free(&r);
    cr_assert_eq(chown(bin, 0, 0), 0);
    cr_assert_eq(chmod(bin, 04755), 0);
    free(src);
    return bin;
}

Test(shim, setuid_program_records_nothing, .timeout = 300)
{
    sec_require_other_user();
    const char *tmp = sec_open_dir();
    char *bin = shim_build_setuid(tmp);
    char *secret_dir = sec_path(tmp, "root"), *evil = sec_path(tmp, "evil");
    cr_assert_eq(mkdir(secret_dir, 0755), 0);
    char *secret = sec_path(secret_dir, "secret");
    sec_write(secret, "root's secret\n", 0600);
    cr_assert_eq(mkdir(evil, 0755), 0);
    char *link = sec_path(evil, "seq.map");
    cr_assert_eq(symlink(secret, link), 0);
    sec_give_away(link);
    sec_give_away(evil);

    char *trace = NULL;
    cr_assert(asprintf(&trace, "CTRACE_DIR=%s", evil) > 0);
    const char *argv[] = {"setpriv",
                          "--reuid=65534",
                          "--regid=65534",
                          "--clear-groups",
                          "env",
                          trace,
                          "CTRACE_OPTIONS=clock=monotonic",
                          bin,
                          NULL};
    struct e2e_result r;
    cr_assert_eq(e2e_run(&r, argv), 0);
    cr_expect_eq(r.status, 0, "status %d; stderr: %s", r.status, r.err);
    cr_expect_not_null(strstr(r.out, "ran 2"), "output: %s", r.out);
    const char *says = strstr(r.err, "secure-execution mode");
    cr_expect_not_null(says, "stderr does not say so: %s", r.err);
    cr_expect(!says || !strstr(says + 1, "secure-execution mode"),
              "said more than once: %s", r.err);
    char *text = sec_read(secret);
    cr_expect(text && strcmp(text, "root's secret\n") == 0,
              "root's file was overwritten through CTRACE_DIR");
    cr_expect_eq(shim_count_files(evil, "p"), 0, "a process file was made");
    free(text);
    e2e_result_free(&r);
}
