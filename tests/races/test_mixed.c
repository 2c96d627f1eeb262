/* Mixed builds: one file instrumented, the rest plain.  The instrumented
 * half (progs/mixed_lib.c) races with itself across threads that the
 * plain half (progs/mixed_main.c) runs; built four ways, with GCC and
 * clang: `ctrace cc -c` + plain `cc -c` + `ctrace cc` link; the same
 * linked by the plain compiler with pkg-config's ctrace-tsan flags; the
 * instrumented half as a shared library (`ctrace cc -shared`) used by a
 * plain program; one `ctrace cc` command for both files.  Every build
 * runs natively (same output, libctrace.so idle) and under ctrace (the
 * race, at mixed_lib.c's RACE line). */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "races_test.h"

static void sh_ok(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh_ok(const char *fmt, ...)
{
    va_list ap;
    char *cmd = NULL, *out = NULL;
    va_start(ap, fmt);
    cr_assert_geq(vasprintf(&cmd, fmt, ap), 0);
    va_end(ap);
    cr_assert_eq(races_sh(cmd, &out), 0, "%s\n%s", cmd, out);
    free(cmd);
    free(out);
}

static void mixed_check(const char *exe)
{
    const char *argv[] = {exe, NULL};
    struct e2e_result native;
    cr_assert_eq(e2e_run(&native, argv), 0);
    cr_assert_eq(native.status, 0, "%s: %s", exe, native.err);
    cr_assert_str_eq(native.out, "mixed 2\n");
    struct races_run r;
    races_run(&r, argv);
    cr_assert_eq(r.run.status, 0, "%s", r.run.err);
    cr_assert_str_eq(r.run.out, native.out);
    const struct json *fs = races_findings(&r);
    cr_assert_eq(json_len(fs), 1, "%zu findings: %s", json_len(fs),
                 json_str(json_at(fs, 0), "message"));
    const struct json *f = json_at(fs, 0);
    cr_assert_str_eq(json_str(f, "kind"), "data-race");
    int line;
    cr_assert_eq(races_markers(races_source("tests/races/progs/mixed_lib.c"),
                               "RACE", &line, 1),
                 1);
    for (size_t i = 0; i < 2; i++) {
        cr_assert_str_eq(races_stack_file(f, i), "mixed_lib.c");
        cr_assert_eq(races_stack_line(f, i), line);
    }
    races_run_free(&r);
    e2e_result_free(&native);
}

struct build {
    const char *dir, *ctrace, *cc, *lib, *main;
};

static int build_init(struct build *b, const char *cc)
{
    if (!races_have(cc))
        return -1;
    b->dir = e2e_tmpdir();
    b->ctrace = e2e_ctrace();
    b->cc = cc;
    b->lib = races_source("tests/races/progs/mixed_lib.c");
    b->main = races_source("tests/races/progs/mixed_main.c");
    sh_ok("%s -g -O1 -c %s -o %s/main.o", cc, b->main, b->dir);
    return 0;
}

static void mixed_objects(const char *cc)
{
    struct build b;
    if (build_init(&b, cc) != 0)
        return;
    sh_ok("CC=%s %s cc -g -O1 -c %s -o %s/lib.o", cc, b.ctrace, b.lib, b.dir);
    sh_ok("CC=%s %s cc %s/main.o %s/lib.o -o %s/prog -pthread", cc, b.ctrace,
          b.dir, b.dir, b.dir);
    char exe[512];
    snprintf(exe, sizeof exe, "%s/prog", b.dir);
    mixed_check(exe);
}

static void mixed_pkgconfig(const char *cc)
{
    struct build b;
    if (build_init(&b, cc) != 0)
        return;
    /* clang emits no address index (.debug_aranges) by default, and the
     * symbolizer's libdw then finds no line: ask for one, as `ctrace cc`
     * does */
    const char *aranges = strstr(cc, "clang") ? "-gdwarf-aranges" : "";
    sh_ok("%s -g -O1 %s $(pkg-config --cflags ctrace-tsan) -c %s -o %s/lib.o",
          cc, aranges, b.lib, b.dir);
    sh_ok("%s %s/main.o %s/lib.o -o %s/prog -pthread "
          "$(pkg-config --libs ctrace-tsan)",
          cc, b.dir, b.dir, b.dir);
    char exe[512];
    snprintf(exe, sizeof exe, "%s/prog", b.dir);
    mixed_check(exe);
}

static void mixed_shared(const char *cc)
{
    struct build b;
    if (build_init(&b, cc) != 0)
        return;
    sh_ok("CC=%s %s cc -g -O1 -shared -fPIC %s -o %s/libmixed.so", cc, b.ctrace,
          b.lib, b.dir);
    sh_ok("%s %s/main.o -o %s/prog -pthread -L%s -lmixed -Wl,-rpath,%s", cc,
          b.dir, b.dir, b.dir, b.dir);
    char exe[512];
    snprintf(exe, sizeof exe, "%s/prog", b.dir);
    mixed_check(exe);
}

static void one_command(const char *cc)
{
    struct build b;
    if (build_init(&b, cc) != 0)
        return;
    sh_ok("CC=%s %s cc -g -O1 %s %s -o %s/prog -pthread", cc, b.ctrace, b.main,
          b.lib, b.dir);
    char exe[512];
    snprintf(exe, sizeof exe, "%s/prog", b.dir);
    mixed_check(exe);
}

Test(mixed, objects_gcc, .timeout = 300) { mixed_objects("gcc"); }
Test(mixed, objects_clang, .timeout = 300) { mixed_objects("clang"); }
Test(mixed, pkgconfig_gcc, .timeout = 300) { mixed_pkgconfig("gcc"); }
Test(mixed, shared_library_gcc, .timeout = 300) { mixed_shared("gcc"); }
Test(mixed, shared_library_clang, .timeout = 300) { mixed_shared("clang"); }
Test(mixed, one_command_gcc, .timeout = 300) { one_command("gcc"); }
Test(mixed, one_command_clang, .timeout = 300) { one_command("clang"); }

/* With clang, the Cflags must stay off the link (or clang links its own
 * runtime): compile with them, link with the Libs alone. */
Test(mixed, pkgconfig_clang, .timeout = 300) { mixed_pkgconfig("clang"); }

/* The command itself: --help, and a compiler that does not exist. */
Test(mixed, cc_usage)
{
    char *out = NULL;
    char *cmd = NULL;
    cr_assert_geq(asprintf(&cmd, "%s cc --help", e2e_ctrace()), 0);
    cr_assert_eq(races_sh(cmd, &out), 0);
    cr_assert_not_null(strstr(out, "Usage: ctrace cc"), "%s", out);
    free(cmd);
    free(out);
    cr_assert_geq(
        asprintf(&cmd, "CC=/nonexistent/cc %s cc -c x.c", e2e_ctrace()), 0);
    cr_assert_eq(races_sh(cmd, &out), 127, "%s", out);
    cr_assert_not_null(strstr(out, "cannot run /nonexistent/cc"), "%s", out);
    free(cmd);
    free(out);
}
