/* End-to-end tests of the `ctrace` command, through the real binary.
 *
 * Two suites in one executable, run as two meson tests:
 *   checks/  ctrace refuses or answers without running a traced program
 *            (help, options, program checks, output dir): meson suite
 *            'unit', so they also run under ASan+UBSan;
 *   run/     a program runs with libctrace.so preloaded: suite 'inject'.
 * Helper programs: CLI_PROBE (tests/cli/probe.c) and CLI_STATIC (linked
 * -static); CLI_SHIM is the built libctrace.so and CLI_BIN_TO_SHIM where
 * an installed ctrace looks for it.  All compiled in by
 * tests/cli/meson.build. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctrace_config.h"
#include "e2e.h"
#include "format.h"

/* ---- helpers -------------------------------------------------------- */

/* Each test's scratch directory: fresh, removed after the test. */
static char *cli_scratch;

static int cli_remove_one(const char *path, const struct stat *st, int type,
                          struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    return remove(path);
}

static void cli_scratch_make(void) { cli_scratch = (char *)e2e_tmpdir(); }

static void cli_scratch_remove(void)
{
    nftw(cli_scratch, cli_remove_one, 16, FTW_DEPTH | FTW_PHYS);
    free(cli_scratch);
    cli_scratch = NULL;
}

TestSuite(checks, .init = cli_scratch_make, .fini = cli_scratch_remove);
TestSuite(run, .init = cli_scratch_make, .fini = cli_scratch_remove);

/* SCRATCH/ctrace.data, not created. */
static const char *cli_trace_dir(void)
{
    static char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/ctrace.data", cli_scratch);
    return dir;
}

static char *cli_path(const char *dir, const char *name)
{
    char *p = NULL;
    cr_assert(asprintf(&p, "%s/%s", dir, name) > 0);
    return p;
}

static void cli_write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "cannot create %s", path);
    fputs(text, f);
    fclose(f);
    cr_assert_eq(chmod(path, mode), 0);
}

static bool cli_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* Run ctrace with argv (NULL-terminated, without "ctrace") and extra
 * environment; the result must be freed. */
static struct e2e_result cli_run_env(const char *const env[],
                                     const char *const args[])
{
    const char *argv[32] = {"ctrace"};
    size_t n = 1;
    for (; args[n - 1]; n++) {
        cr_assert_lt(n, 31);
        argv[n] = args[n - 1];
    }
    argv[n] = NULL;
    struct e2e_result r;
    cr_assert_eq(e2e_run_env(&r, argv, env, NULL, E2E_TIMEOUT_S), 0,
                 "cannot start %s", e2e_ctrace());
    cr_assert(!r.timed_out, "ctrace timed out; stderr: %s", r.err);
    return r;
}

#define CLI_RUN(...) cli_run_env(NULL, (const char *const[]){__VA_ARGS__, NULL})
#define CLI_RUN_ENV(env, ...)                                                  \
    cli_run_env((const char *const[]){env, NULL},                              \
                (const char *const[]){__VA_ARGS__, NULL})

static void cli_expect(const struct e2e_result *r, int status,
                       const char *err_part)
{
    cr_expect_eq(r->status, status, "exit status %d, expected %d; stderr: %s",
                 r->status, status, r->err);
    if (err_part)
        cr_expect_not_null(strstr(r->err, err_part), "stderr lacks \"%s\": %s",
                           err_part, r->err);
}

/* true when dir holds at least one process file (p*.ctrace). */
static bool cli_has_trace_files(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return false;
    bool found = false;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        found |= e->d_name[0] == 'p' && strstr(e->d_name, ".ctrace") != NULL;
    closedir(d);
    return found;
}

/* A trace directory left by an earlier run (marked as ctrace marks
 * them), with a file of a name ctrace writes (`marker`) to recognise it. */
static void cli_fake_trace(const char *dir, const char *marker)
{
    cr_assert_eq(mkdir(dir, 0700), 0);
    char *seq = cli_path(dir, "seq.map");
    char *mark = cli_path(dir, marker);
    char *dir_marker = cli_path(dir, TRACE_DIR_MARKER);
    cli_write_file(seq, "", 0600);
    cli_write_file(mark, "", 0600);
    cli_write_file(dir_marker, TRACE_DIR_MARKER_TEXT, 0600);
    free(seq);
    free(mark);
    free(dir_marker);
}

/* ---- checks: help, version, options -------------------------------- */

Test(checks, help_and_version)
{
    struct e2e_result r = CLI_RUN("--help");
    cli_expect(&r, 0, NULL);
    cr_expect_not_null(strstr(r.out, "Usage: ctrace"));
    cr_expect_not_null(strstr(r.out, "  run "));
    e2e_result_free(&r);

    r = CLI_RUN("run", "--help");
    cli_expect(&r, 0, NULL);
    cr_expect_not_null(strstr(r.out, "--stack-depth=N"));
    cr_expect_not_null(strstr(r.out, "CTRACE_OPTIONS"));
    e2e_result_free(&r);

    r = CLI_RUN("--version");
    cli_expect(&r, 0, NULL);
    cr_expect_str_eq(r.out, "ctrace " CTRACE_VERSION "\n");
    e2e_result_free(&r);
}

Test(checks, no_arguments_is_a_usage_error)
{
    const char *argv[] = {"ctrace", NULL};
    struct e2e_result r;
    cr_assert_eq(e2e_run(&r, argv), 0);
    cli_expect(&r, 2, "Usage: ctrace");
    e2e_result_free(&r);

    r = CLI_RUN("run");
    cli_expect(&r, 2, "ctrace run: no program to run");
    e2e_result_free(&r);
    r = CLI_RUN("run", "--no-report", "--");
    cli_expect(&r, 2, "no program to run");
    e2e_result_free(&r);
}

Test(checks, unknown_options_are_usage_errors)
{
    struct e2e_result r = CLI_RUN("run", "--bogus", "true");
    cli_expect(&r, 2, "ctrace run: unknown option '--bogus'");
    e2e_result_free(&r);
    r = CLI_RUN("--bogus", "true");
    cli_expect(&r, 2, "ctrace: unknown option '--bogus'");
    e2e_result_free(&r);
    r = CLI_RUN("run", "-x", "true");
    cli_expect(&r, 2, "unknown option '-x'");
    e2e_result_free(&r);
}

Test(checks, bad_option_values_are_usage_errors)
{
    struct e2e_result r = CLI_RUN("run", "--stack-depth=0", "true");
    cli_expect(&r, 2, "--stack-depth needs a number from 1 to 64, not '0'");
    e2e_result_free(&r);
    r = CLI_RUN("run", "--stack-depth", "x8", "true");
    cli_expect(&r, 2, "not 'x8'");
    e2e_result_free(&r);
    r = CLI_RUN("run", "--error-exitcode=256", "true");
    cli_expect(&r, 2, "--error-exitcode needs a number from 0 to 255");
    e2e_result_free(&r);
    r = CLI_RUN("run", "--no-report=1", "true");
    cli_expect(&r, 2, "option '--no-report' takes no value");
    e2e_result_free(&r);
    r = CLI_RUN("run", "-o");
    cli_expect(&r, 2, "option '-o' needs a value (DIR)");
    e2e_result_free(&r);
}

Test(checks, ctrace_options_errors)
{
    struct e2e_result r =
        CLI_RUN_ENV("CTRACE_OPTIONS=stack_depth=abc", "run", "true");
    cli_expect(&r, 2,
               "ctrace: CTRACE_OPTIONS: stack_depth needs a number from 1 "
               "to 64, not 'abc'");
    e2e_result_free(&r);
    r = CLI_RUN_ENV("CTRACE_OPTIONS=  error_exitcode  ", "true");
    cli_expect(&r, 2, "'error_exitcode' needs a value (error_exitcode=N)");
    e2e_result_free(&r);
    r = CLI_RUN_ENV("CTRACE_OPTIONS=no_report=maybe", "true");
    cli_expect(&r, 2, "no_report takes 1 or 0, not 'maybe'");
    e2e_result_free(&r);
}

/* Every command `ctrace --help` lists as not available says so. */
/* ---- checks: programs ctrace cannot trace --------------------------- */

Test(checks, program_not_found)
{
    struct e2e_result r = CLI_RUN("run", "ctrace-no-such-program");
    cli_expect(&r, 127,
               "ctrace: cannot run ctrace-no-such-program: command not found "
               "in PATH");
    e2e_result_free(&r);
    r = CLI_RUN("./no/such/program");
    cli_expect(&r, 127, "ctrace: cannot run ./no/such/program: No such file");
    e2e_result_free(&r);
}

Test(checks, program_not_executable)
{
    const char *dir = cli_scratch;
    char *file = cli_path(dir, "tool");
    cli_write_file(file, "#!/bin/sh\nexit 0\n", 0644);
    struct e2e_result r = CLI_RUN(file);
    cli_expect(&r, 126, "it is not executable");
    e2e_result_free(&r);

    /* Found through PATH but not executable: 126, as a shell says. */
    char *path_env = NULL;
    cr_assert(asprintf(&path_env, "PATH=%s", dir) > 0);
    r = CLI_RUN_ENV(path_env, "run", "tool");
    cli_expect(&r, 126, "it is not executable");
    e2e_result_free(&r);

    r = CLI_RUN("run", dir);
    cli_expect(&r, 126, "it is a directory");
    e2e_result_free(&r);
    free(path_env);
    free(file);
}

Test(checks, static_binary_is_refused)
{
    char *msg = NULL;
    cr_assert(asprintf(&msg,
                       "ctrace: cannot trace %s: it is statically linked, so "
                       "LD_PRELOAD cannot work; link it dynamically",
                       CLI_STATIC) > 0);
    struct e2e_result r = CLI_RUN("run", CLI_STATIC);
    cli_expect(&r, 126, msg);
    cr_expect_eq(r.out_len, 0, "the static program ran: %s", r.out);
    e2e_result_free(&r);
    free(msg);
}

Test(checks, script_with_static_interpreter_is_refused)
{
    const char *dir = cli_scratch;
    char *script = cli_path(dir, "script");
    char *text = NULL;
    cr_assert(asprintf(&text, "#!%s\n", CLI_STATIC) > 0);
    cli_write_file(script, text, 0755);
    struct e2e_result r = CLI_RUN(script);
    char *msg = NULL;
    cr_assert(asprintf(&msg,
                       "%s (the interpreter of %s): it is statically "
                       "linked",
                       CLI_STATIC, script) > 0);
    cli_expect(&r, 126, msg);
    e2e_result_free(&r);
    free(msg);
    free(text);
    free(script);
}

/* An ELF of another word size (a 32-bit header) cannot host the 64-bit
 * libctrace.so. */
Test(checks, foreign_elf_is_refused)
{
    unsigned char elf32[64] = {0x7f, 'E', 'L', 'F', 1 /* ELFCLASS32 */, 1, 1};
    char *path = cli_path(cli_scratch, "elf32");
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(elf32, sizeof elf32, 1, f), 1);
    fclose(f);
    cr_assert_eq(chmod(path, 0755), 0);
    struct e2e_result r = CLI_RUN(path);
    cli_expect(&r, 126, "it is built for another architecture or word size");
    e2e_result_free(&r);
    free(path);
}

/* A copy of the probe owned by uid:gid with `mode`, in a fresh dir on a
 * filesystem that honours setuid bits (else the test is skipped). */
static char *cli_setid_copy(uid_t uid, gid_t gid, mode_t mode)
{
    if (geteuid() != 0)
        cr_skip_test("needs root to chown a setuid test binary");
    const char *dir = cli_scratch;
    struct statvfs vfs;
    if (statvfs(dir, &vfs) == 0 && (vfs.f_flag & ST_NOSUID))
        cr_skip_test("%s is mounted nosuid", dir);
    cr_assert_eq(chmod(dir, 0755), 0);
    char *copy = cli_path(dir, "probe");
    char *cmd = NULL;
    cr_assert(asprintf(&cmd, "cp '%s' '%s'", CLI_PROBE, copy) > 0);
    cr_assert_eq(system(cmd), 0);
    cr_assert_eq(chown(copy, uid, gid), 0);
    cr_assert_eq(chmod(copy, mode), 0);
    free(cmd);
    return copy;
}

Test(checks, setuid_binary_of_another_user_is_refused)
{
    char *copy = cli_setid_copy(65534, 0, 04755); /* nobody */
    struct e2e_result r = CLI_RUN(copy, "exit", "0");
    char *msg = NULL;
    cr_assert(asprintf(&msg,
                       "ctrace: cannot preload into %s: setuid "
                       "binaries ignore LD_PRELOAD; run it as a normal "
                       "binary",
                       copy) > 0);
    cli_expect(&r, 126, msg);
    e2e_result_free(&r);
    free(msg);
    free(copy);
}

Test(checks, setgid_binary_of_another_group_is_refused)
{
    char *copy = cli_setid_copy(0, 65534, 02755); /* nogroup */
    struct e2e_result r = CLI_RUN(copy, "exit", "0");
    cli_expect(&r, 126, "setgid binaries ignore LD_PRELOAD");
    e2e_result_free(&r);
    free(copy);
}

Test(checks, ctrace_lib_must_exist)
{
    struct e2e_result r =
        CLI_RUN_ENV("CTRACE_LIB=/no/such/libctrace.so", CLI_PROBE, "env");
    cli_expect(&r, 1, "ctrace: CTRACE_LIB=/no/such/libctrace.so: No such file");
    cr_expect_eq(r.out_len, 0, "the program ran: %s", r.out);
    e2e_result_free(&r);
}

/* ---- checks: the output directory ---------------------------------- */

Test(checks, failed_check_leaves_old_trace_alone)
{
    const char *dir = cli_trace_dir();
    cli_fake_trace(dir, "p1.0.ctrace");
    struct e2e_result r = CLI_RUN("-o", dir, "ctrace-no-such-program");
    cli_expect(&r, 127, NULL);
    char *marker = cli_path(dir, "p1.0.ctrace");
    char *old = NULL;
    cr_assert(asprintf(&old, "%s.old", dir) > 0);
    cr_expect(cli_exists(marker), "the old trace was moved");
    cr_expect(!cli_exists(old));
    e2e_result_free(&r);
    free(marker);
    free(old);
}

Test(checks, refuses_a_directory_that_is_not_a_trace)
{
    const char *dir = cli_scratch;
    char *notes = cli_path(dir, "notes.txt");
    cli_write_file(notes, "keep me\n", 0644);
    struct e2e_result r = CLI_RUN("-o", dir, CLI_PROBE, "env");
    cli_expect(&r, 1, "it is not a ctrace trace directory");
    cr_expect_eq(r.out_len, 0, "the program ran: %s", r.out);
    cr_expect(cli_exists(notes));
    e2e_result_free(&r);

    r = CLI_RUN("-o", notes, CLI_PROBE, "env");
    cli_expect(&r, 1, "it exists and is not a directory");
    e2e_result_free(&r);
    free(notes);
}

Test(checks, refuses_to_replace_an_old_dir_that_is_not_a_trace)
{
    const char *dir = cli_trace_dir();
    cli_fake_trace(dir, "p1.0.ctrace");
    char *old = NULL;
    cr_assert(asprintf(&old, "%s.old", dir) > 0);
    cr_assert_eq(mkdir(old, 0755), 0);
    char *notes = cli_path(old, "notes.txt");
    cli_write_file(notes, "keep me\n", 0644);
    struct e2e_result r = CLI_RUN("-o", dir, CLI_PROBE, "env");
    cli_expect(&r, 1, "it is not a ctrace trace directory");
    cr_expect(cli_exists(notes));
    e2e_result_free(&r);
    free(notes);
    free(old);
}

Test(checks, dump_of_a_missing_directory_fails)
{
    const char *dir = cli_trace_dir(); /* does not exist */
    struct e2e_result r = CLI_RUN("dump", dir);
    cr_expect_neq(r.status, 0);
    cr_expect_not_null(strstr(r.err, dir), "stderr does not name %s: %s", dir,
                       r.err);
    e2e_result_free(&r);
}

/* ---- run: programs that are traced ---------------------------------- */

Test(run, sample_is_recorded_and_reported)
{
    const char *dir = cli_trace_dir();
    struct e2e_result r = CLI_RUN("-o", dir, e2e_sample("c/hello_threads"));
    cli_expect(&r, 0, " events lost");
    cr_expect_str_eq(r.out, "counter = 20000 (expected 20000)\n");
    struct e2e_trace t;
    e2e_load_trace(&t, dir);
    cr_expect_eq(t.nprocs, 1);
    cr_expect_eq(t.nthreads, 3, "threads: %zu", t.nthreads);
    cr_expect_gt(e2e_count(&t, TRACE_EV_MUTEX_ACQUIRE, 0), 0);
    e2e_trace_free(&t);
    e2e_result_free(&r);
}

Test(run, exit_status_passes_through)
{
    const char *dir = cli_trace_dir();
    struct e2e_result r = CLI_RUN("-o", dir, CLI_PROBE, "exit", "3");
    cli_expect(&r, 3, " events lost");
    e2e_result_free(&r);
    r = CLI_RUN("run", "-o", dir, "--no-report", CLI_PROBE, "exit", "3");
    cli_expect(&r, 3, NULL);
    cr_expect_null(strstr(r.err, "ctrace:"), "report printed: %s", r.err);
    e2e_result_free(&r);
    /* No findings: --error-exitcode does not apply. */
    r = CLI_RUN("--error-exitcode=9", "-o", dir, CLI_PROBE, "exit", "0");
    cli_expect(&r, 0, NULL);
    e2e_result_free(&r);
}

Test(run, signal_death_is_128_plus_signo)
{
    const char *dir = cli_trace_dir();
    struct e2e_result r = CLI_RUN("-o", dir, CLI_PROBE, "segv");
    cli_expect(&r, 128 + SIGSEGV, " events lost");
    e2e_result_free(&r);
    r = CLI_RUN("-o", dir, "--no-report", CLI_PROBE, "segv");
    cli_expect(&r, 128 + SIGSEGV, NULL);
    e2e_result_free(&r);
}

/* A signal another process sends to ctrace reaches the program, and
 * ctrace lives on to report (a dead ctrace would print nothing). */
Test(run, signals_sent_to_ctrace_are_forwarded)
{
    const char *dir = cli_trace_dir();
    struct e2e_result r =
        CLI_RUN("-o", dir, "sh", "-c", "kill -TERM $PPID; exec sleep 60");
    cli_expect(&r, 128 + SIGTERM, " events lost");
    e2e_result_free(&r);
    r = CLI_RUN("-o", dir, "sh", "-c", "kill -INT $PPID; exec sleep 60");
    cli_expect(&r, 128 + SIGINT, " events lost");
    e2e_result_free(&r);
}

/* A signal ignored when ctrace starts stays ignored in the program, as
 * it would without ctrace (nohup, `cmd &` in scripts). */
Test(run, ignored_signals_stay_ignored)
{
    signal(SIGINT, SIG_IGN); /* inherited by ctrace through posix_spawn */
    struct e2e_result r = CLI_RUN("-o", cli_trace_dir(), "--no-report", "sh",
                                  "-c", "kill -INT $$; echo alive");
    cli_expect(&r, 0, NULL);
    cr_expect_str_eq(r.out, "alive\n");
    e2e_result_free(&r);
}

Test(run, environment_of_the_program)
{
    const char *dir = cli_trace_dir();
    /* A stale shim in LD_PRELOAD is dropped, other entries are kept. */
    const char *env[] = {"LD_PRELOAD=/old/libctrace.so libm.so.6",
                         "CTRACE_OPTIONS=foo=bar stack_depth=5", NULL};
    const char *argv[] = {"ctrace",  "-o",  dir, "--stack-depth=7",
                          CLI_PROBE, "env", NULL};
    struct e2e_result r;
    cr_assert_eq(e2e_run_env(&r, argv, env, NULL, E2E_TIMEOUT_S), 0);
    cli_expect(&r, 0, NULL);
    char real[PATH_MAX], *expect = NULL;
    cr_assert_not_null(realpath(dir, real));
    cr_assert(asprintf(&expect,
                       "CTRACE_DIR=%s\n"
                       "CTRACE_OPTIONS=foo=bar stack_depth=7\n",
                       real) > 0);
    cr_expect_eq(strncmp(r.out, expect, strlen(expect)), 0, "got:\n%s", r.out);
    const char *pre = strstr(r.out, "LD_PRELOAD=/");
    cr_expect_not_null(pre, "got:\n%s", r.out);
    if (pre)
        cr_expect_not_null(strstr(pre, "/libctrace.so:libm.so.6\n"), "got:\n%s",
                           r.out);
    e2e_result_free(&r);
    free(expect);
}

/* The stack depth reaches the shim: it is in every process file header. */
Test(run, stack_depth_reaches_the_shim)
{
    const char *dir = cli_trace_dir();
    struct e2e_result r = CLI_RUN_ENV("CTRACE_OPTIONS=stack_depth=5", "-o", dir,
                                      "--no-report", CLI_PROBE, "exit", "0");
    cli_expect(&r, 0, NULL);
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    size_t files = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] != 'p' || !strstr(e->d_name, ".ctrace"))
            continue;
        char *path = cli_path(dir, e->d_name);
        struct trace_file_header h;
        int fd = open(path, O_RDONLY);
        cr_assert_eq(pread(fd, &h, sizeof h, 0), (ssize_t)sizeof h);
        close(fd);
        cr_expect_eq(h.stack_depth, 5, "%s: stack_depth %u", path,
                     h.stack_depth);
        free(path);
        files++;
    }
    closedir(d);
    cr_expect_eq(files, 1);
    e2e_result_free(&r);
}

Test(run, options_from_the_environment)
{
    const char *dir = cli_trace_dir();
    char *opts = NULL;
    cr_assert(asprintf(&opts, "CTRACE_OPTIONS=output=%s no_report=1", dir) > 0);
    struct e2e_result r = CLI_RUN_ENV(opts, CLI_PROBE, "exit", "4");
    cli_expect(&r, 4, NULL);
    cr_expect_null(strstr(r.err, "ctrace:"), "report printed: %s", r.err);
    cr_expect(cli_has_trace_files(dir));
    e2e_result_free(&r);
    free(opts);
}

Test(run, output_dir_keeps_one_old_trace)
{
    const char *dir = cli_trace_dir();
    /* a name ctrace writes: DIR must hold nothing else to be rotated */
    char *old = NULL, *mark = cli_path(dir, "p1.0.ctrace"), *old_mark = NULL;
    cr_assert(asprintf(&old, "%s.old", dir) > 0);
    cr_assert(asprintf(&old_mark, "%s/p1.0.ctrace", old) > 0);
    struct e2e_result r =
        CLI_RUN("-o", dir, "--no-report", CLI_PROBE, "exit", "0");
    cli_expect(&r, 0, NULL);
    e2e_result_free(&r);
    cli_write_file(mark, "", 0644);

    /* "DIR/" is DIR: the old one must become DIR.old, not DIR/.old. */
    char *slash = NULL;
    cr_assert(asprintf(&slash, "%s/", dir) > 0);
    r = CLI_RUN("-o", slash, "--no-report", CLI_PROBE, "exit", "0");
    cli_expect(&r, 0, NULL);
    e2e_result_free(&r);
    cr_expect(cli_exists(old_mark), "first trace not kept as DIR.old");
    cr_expect(!cli_exists(mark), "new trace went into the old directory");
    cr_expect(cli_has_trace_files(dir));

    r = CLI_RUN("-o", dir, "--no-report", CLI_PROBE, "exit", "0");
    cli_expect(&r, 0, NULL);
    e2e_result_free(&r);
    cr_expect(!cli_exists(old_mark), "DIR.old was not replaced");
    cr_expect(cli_has_trace_files(old));
    free(slash);
    free(old);
    free(mark);
    free(old_mark);
}

Test(run, scripts_run_through_their_interpreter)
{
    const char *dir = cli_scratch;
    char *script = cli_path(dir, "script");
    char *plain = cli_path(dir, "plain");
    char *trace = cli_path(dir, "trace");
    cli_write_file(script, "#!/bin/sh\nexit 4\n", 0755);
    /* No #!: run by /bin/sh, as execvp and shells do. */
    cli_write_file(plain, "exit 5\n", 0755);
    struct e2e_result r = CLI_RUN("-o", trace, "--no-report", script);
    cli_expect(&r, 4, NULL);
    e2e_result_free(&r);
    r = CLI_RUN("-o", trace, "--no-report", plain);
    cli_expect(&r, 5, NULL);
    e2e_result_free(&r);
    free(script);
    free(plain);
    free(trace);
}

/* Installed as PREFIX/bin/ctrace and PREFIX/bin/CLI_BIN_TO_SHIM/
 * libctrace.so, with no build tree beside it, ctrace preloads that
 * copy. */
Test(run, finds_the_shim_relative_to_itself)
{
    if (CLI_BIN_TO_SHIM[0] == '/')
        cr_skip_test("configured with libdir outside the prefix");
    char *cmd = NULL, *ctrace = NULL, *shim = NULL;
    cr_assert(asprintf(&ctrace, "%s/prefix/bin/ctrace", cli_scratch) > 0);
    cr_assert(asprintf(&shim, "%s/prefix/bin/%s/libctrace.so", cli_scratch,
                       CLI_BIN_TO_SHIM) > 0);
    cr_assert(asprintf(&cmd,
                       "mkdir -p \"$(dirname '%s')\" \"$(dirname '%s')\" && "
                       "cp '%s' '%s' && cp '%s' '%s'",
                       ctrace, shim, e2e_ctrace(), ctrace, CLI_SHIM, shim) > 0);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    const char *argv[] = {ctrace, "-o", cli_trace_dir(),        "--no-report",
                          "sh",   "-c", "echo \"$LD_PRELOAD\"", NULL};
    const char *env[] = {"LD_PRELOAD=", "CTRACE_LIB=", NULL};
    struct e2e_result r;
    cr_assert_eq(e2e_run_env(&r, argv, env, NULL, E2E_TIMEOUT_S), 0);
    cli_expect(&r, 0, NULL);
    char real[PATH_MAX], want[PATH_MAX + 2];
    cr_assert_not_null(realpath(shim, real));
    snprintf(want, sizeof want, "%s\n", real);
    cr_expect_str_eq(r.out, want);
    e2e_result_free(&r);
    free(cmd);
    free(ctrace);
    free(shim);
}

/* As root, a setuid-root binary runs without secure mode: traced. */
Test(run, setuid_binary_of_the_caller_is_traced)
{
    char *copy = cli_setid_copy(0, 0, 04755);
    const char *dir = cli_trace_dir();
    struct e2e_result r = CLI_RUN("-o", dir, copy, "exit", "6");
    cli_expect(&r, 6, " events lost");
    cr_expect(cli_has_trace_files(dir));
    e2e_result_free(&r);
    free(copy);
}

/* ---- suppressions, colour, CTRACE_OPTIONS keys, CTRACE_LIB */

static const char *cli_inversion(void)
{
    return e2e_sample("findings/inversion_pair");
}

/* `run` applies suppressions to its report and to --error-exitcode,
 * from the command line and from CTRACE_OPTIONS, as `report` does. */
Test(run, suppressions_apply_to_the_report_and_exit_status)
{
    char *supp = cli_path(cli_scratch, "supp.txt");
    cli_write_file(supp, "deadlock:*\n", 0644);
    struct e2e_result r = CLI_RUN("run", "-o", cli_trace_dir(),
                                  "--error-exitcode=9", cli_inversion());
    cli_expect(&r, 9, "lock-order-inversion");
    e2e_result_free(&r);
    char *opt = NULL;
    cr_assert(asprintf(&opt, "--suppressions=%s", supp) > 0);
    r = CLI_RUN("run", "-o", cli_trace_dir(), "--error-exitcode=9", opt,
                cli_inversion());
    cli_expect(&r, 0, "1 suppressed");
    cr_expect_null(strstr(r.err, "== lock-order-inversion"), "%s", r.err);
    e2e_result_free(&r);
    char *env = NULL;
    cr_assert(asprintf(&env, "CTRACE_OPTIONS=suppressions=%s", supp) > 0);
    r = CLI_RUN_ENV(env, "run", "-o", cli_trace_dir(), "--error-exitcode=9",
                    cli_inversion());
    cli_expect(&r, 0, "1 suppressed");
    cr_expect_null(strstr(r.err, "unknown key"), "%s", r.err);
    e2e_result_free(&r);
    free(env);
    free(opt);
    free(supp);
}

Test(run, color_choice)
{
    struct e2e_result r = CLI_RUN("run", "-o", cli_trace_dir(),
                                  "--color=always", cli_inversion());
    cli_expect(&r, 0, "\033[");
    e2e_result_free(&r);
    r = CLI_RUN("run", "-o", cli_trace_dir(), "--color=never", cli_inversion());
    cli_expect(&r, 0, "lock-order-inversion");
    cr_expect_null(strstr(r.err, "\033["), "%s", r.err);
    e2e_result_free(&r);
}

Test(checks, color_choice_is_checked)
{
    struct e2e_result r = CLI_RUN("run", "--color=sometimes", "true");
    cli_expect(&r, 2, "unknown --color choice 'sometimes'");
    e2e_result_free(&r);
}

/* `ctrace run --color=auto` on a terminal whose TERM is `term`: whether
 * its report had colour. */
static bool cli_colored_on_tty(const char *term)
{
    int fd;
    pid_t pid = forkpty(&fd, NULL, NULL, NULL);
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        setenv("TERM", term, 1);
        unsetenv("NO_COLOR");
        execl(e2e_ctrace(), "ctrace", "run", "-o", cli_trace_dir(),
              cli_inversion(), (char *)NULL);
        _exit(127);
    }
    char buf[65536];
    size_t len = 0;
    ssize_t n;
    while (len < sizeof buf - 1 &&
           (n = read(fd, buf + len, sizeof buf - 1 - len)) > 0)
        len += (size_t)n;
    buf[len] = '\0';
    close(fd);
    int st;
    waitpid(pid, &st, 0);
    cr_assert(strstr(buf, "lock-order-inversion"), "%s", buf);
    return strstr(buf, "\033[") != NULL;
}

Test(run, dumb_terminal_gets_no_colour)
{
    cr_expect(cli_colored_on_tty("xterm"), "a terminal gets colour");
    cr_expect(!cli_colored_on_tty("dumb"), "TERM=dumb gets none");
}

Test(checks, misspelt_ctrace_options_key_is_warned_about)
{
    struct e2e_result r =
        CLI_RUN_ENV("CTRACE_OPTIONS=stack_dept=4", "report", cli_scratch);
    cr_expect_not_null(strstr(r.err, "CTRACE_OPTIONS: unknown key "
                                     "'stack_dept'"),
                       "%s", r.err);
    cr_expect_not_null(strstr(r.err, "stack_depth"), "names the valid ones: %s",
                       r.err);
    e2e_result_free(&r);
    /* another command's keys and the shim's are no typos */
    r = CLI_RUN_ENV("CTRACE_OPTIONS=stack_depth=4 py_frames=0 clock=monotonic",
                    "report", cli_scratch);
    cr_expect_null(strstr(r.err, "unknown key"), "%s", r.err);
    e2e_result_free(&r);
}

Test(run, misspelt_ctrace_options_key_is_warned_about_by_run)
{
    struct e2e_result r = CLI_RUN_ENV("CTRACE_OPTIONS=supressions=x", "-o",
                                      cli_trace_dir(), "true");
    cli_expect(&r, 0, "CTRACE_OPTIONS: unknown key 'supressions'");
    cr_expect_not_null(strstr(r.err, "suppressions"), "%s", r.err);
    e2e_result_free(&r);
}

Test(checks, ctrace_lib_that_is_not_the_shim_is_refused)
{
    char *env = NULL;
    cr_assert(asprintf(&env, "CTRACE_LIB=%s", CLI_PROBE) > 0);
    struct e2e_result r =
        CLI_RUN_ENV(env, "run", "-o", cli_trace_dir(), CLI_PROBE, "env");
    cli_expect(&r, 1, "is not libctrace.so");
    cr_expect_str_eq(r.out, "", "the program must not run");
    e2e_result_free(&r);
    free(env);
    cr_assert(asprintf(&env, "CTRACE_LIB=%s", CLI_SHIM) > 0);
    r = CLI_RUN_ENV(env, "run", "-o", cli_trace_dir(), "--no-report", "true");
    cli_expect(&r, 0, NULL);
    e2e_result_free(&r);
    free(env);
}
