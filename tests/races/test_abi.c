/* The ThreadSanitizer ABI is complete: programs using every construct
 * (tests/races/progs/abi_all.c and .cpp), compiled by GCC and clang at
 * -O0 and -O2 with -fsanitize=thread, link against libctrace.so alone
 * (no libtsan: a missing entry point is an undefined reference, and the
 * test names it), then run natively and under ctrace with the same
 * output. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "races_test.h"

/* __tsan_* symbols an object needs that libctrace.so lacks, one a line. */
static char *missing_symbols(const char *obj)
{
    char *cmd = NULL, *out = NULL;
    cr_assert_geq(asprintf(&cmd,
                           "nm -u %s | awk '/__tsan_/ {print $2}' | sort -u > "
                           "%s.need && nm -D --defined-only %s/libctrace.so | "
                           "awk '{print $3}' | sort -u > %s.have && "
                           "comm -23 %s.need %s.have",
                           obj, obj, races_shim_dir(), obj, obj, obj),
                  0);
    cr_assert_eq(races_sh(cmd, &out), 0, "%s", out);
    free(cmd);
    return out;
}

static void abi_check(const char *compiler, const char *src, const char *opt)
{
    if (!races_have(compiler)) {
        cr_log_warn("%s is not installed: skipped", compiler);
        return;
    }
    const char *dir = e2e_tmpdir();
    char *cmd = NULL, *out = NULL;
    /* compile instrumented */
    cr_assert_geq(asprintf(&cmd, "%s -fsanitize=thread %s -g -c %s -o %s/abi.o",
                           compiler, opt, races_source(src), dir),
                  0);
    cr_assert_eq(races_sh(cmd, &out), 0, "%s: %s", cmd, out);
    free(cmd);
    free(out);
    /* every symbol it needs is exported */
    char obj[512];
    snprintf(obj, sizeof obj, "%s/abi.o", dir);
    char *missing = missing_symbols(obj);
    cr_expect_str_empty(missing, "%s %s %s needs what libctrace.so lacks:\n%s",
                        compiler, opt, src, missing);
    free(missing);
    /* link with libctrace.so and nothing of ThreadSanitizer's */
    /* (-latomic: clang leaves 16-byte _Atomic to libatomic, with or
     * without ThreadSanitizer) */
    cr_assert_geq(asprintf(&cmd,
                           "%s %s/abi.o -o %s/abi -pthread -L%s -lctrace "
                           "-Wl,-rpath,%s -latomic",
                           compiler, dir, dir, races_shim_dir(),
                           races_shim_dir()),
                  0);
    cr_assert_eq(races_sh(cmd, &out), 0, "link failed: %s\n%s", cmd, out);
    free(cmd);
    free(out);
    cr_assert_geq(asprintf(&cmd, "ldd %s/abi | grep -c tsan", dir), 0);
    cr_assert_neq(races_sh(cmd, &out), 0, "libtsan got linked: %s", out);
    free(cmd);
    free(out);
    /* it runs, natively and under ctrace, with the same output */
    char exe[512];
    snprintf(exe, sizeof exe, "%s/abi", dir);
    struct e2e_result native;
    const char *argv[] = {exe, NULL};
    cr_assert_eq(e2e_run(&native, argv), 0);
    cr_assert_eq(native.status, 0, "%s: %s", exe, native.err);
    struct races_run r;
    races_run(&r, argv);
    cr_assert_eq(r.run.status, 0, "under ctrace: %s", r.run.err);
    cr_assert_str_eq(r.run.out, native.out);
    cr_assert_eq(races_count_kind(&r, "data-race"), 0, "%s",
                 json_str(json_at(races_findings(&r), 0), "message"));
    races_run_free(&r);
    e2e_result_free(&native);
}

#define ABI_TEST(name, compiler, src, opt)                                     \
    Test(abi, name, .timeout = 300) { abi_check(compiler, src, opt); }

ABI_TEST(gcc_c_O0, "gcc", "tests/races/progs/abi_all.c", "-O0")
ABI_TEST(gcc_c_O2, "gcc", "tests/races/progs/abi_all.c", "-O2")
ABI_TEST(clang_c_O0, "clang", "tests/races/progs/abi_all.c", "-O0")
ABI_TEST(clang_c_O2, "clang", "tests/races/progs/abi_all.c", "-O2")
ABI_TEST(gxx_O0, "g++", "tests/races/progs/abi_all.cpp", "-O0")
ABI_TEST(gxx_O2, "g++", "tests/races/progs/abi_all.cpp", "-O2")
ABI_TEST(clangxx_O0, "clang++", "tests/races/progs/abi_all.cpp", "-O0")
ABI_TEST(clangxx_O2, "clang++", "tests/races/progs/abi_all.cpp", "-O2")

/* The test itself can fail: an object that needs an entry point the
 * runtime does not have is named, and does not link. */
Test(abi, missing_symbol_fails)
{
    const char *dir = e2e_tmpdir();
    char *cmd = NULL, *out = NULL;
    cr_assert_geq(asprintf(&cmd,
                           "printf 'void __tsan_not_there(void);\\n"
                           "int main(void){__tsan_not_there();return 0;}\\n' "
                           "> %s/m.c && cc -c %s/m.c -o %s/m.o",
                           dir, dir, dir),
                  0);
    cr_assert_eq(races_sh(cmd, &out), 0, "%s", out);
    free(cmd);
    free(out);
    char obj[512];
    snprintf(obj, sizeof obj, "%s/m.o", dir);
    char *missing = missing_symbols(obj);
    cr_assert_str_eq(missing, "__tsan_not_there\n");
    free(missing);
    cr_assert_geq(asprintf(&cmd, "cc %s -o %s/m -L%s -lctrace", obj, dir,
                           races_shim_dir()),
                  0);
    cr_assert_neq(races_sh(cmd, &out), 0, "linked anyway: %s", out);
    free(cmd);
    free(out);
}
