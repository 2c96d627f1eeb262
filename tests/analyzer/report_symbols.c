/* Symbolizer tests: this test binary (built with -g) symbolizes its own
 * code through the module list a trace would carry: function, file:line,
 * an inlined function, a demangled C++ method, libc marking, global data
 * symbols, and the fallbacks (missing file, changed build id, no module). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report_testlib.h"
#include "symbols.h"

static struct symbolizer *sym;

static void setup(void)
{
    sym = sym_new();
    testlib_add_self_modules(sym, 0);
}

static void teardown(void) { sym_free(sym); }

TestSuite(report_symbols, .init = setup, .fini = teardown);

static const char *base(const char *path)
{
    const char *b = path ? strrchr(path, '/') : NULL;
    return b ? b + 1 : path;
}

Test(report_symbols, plain_function_file_line)
{
    uint64_t pc = testlib_plain();
    struct sym_frame f[SYM_MAX_INLINE];
    int n = sym_lookup(sym, 0, pc, true, f, SYM_MAX_INLINE);
    cr_assert_eq(n, 1);
    cr_assert_eq(f[0].pc, pc, "the recorded pc is kept, not pc-1");
    cr_assert_str_eq(f[0].function, "testlib_plain");
    cr_assert_str_eq(base(f[0].file), TESTLIB_C_FILE);
    cr_assert_eq(f[0].line, testlib_plain_line);
    cr_assert_not(f[0].inlined);
    cr_assert_not(f[0].in_system);
    cr_assert_not(f[0].in_ctrace);
    cr_assert_eq(f[0].offset, pc - testlib_exe_base());
    /* absolute, normalized, and the real source file */
    cr_assert_eq(f[0].file[0], '/', "%s", f[0].file);
    cr_assert_null(strstr(f[0].file, "/../"), "%s", f[0].file);
    cr_assert_null(strstr(f[0].file, "/./"), "%s", f[0].file);
    cr_assert_eq(access(f[0].file, R_OK), 0, "%s", f[0].file);
}

Test(report_symbols, inline_chain_innermost_first)
{
    uint64_t pc = testlib_outer();
    struct sym_frame f[SYM_MAX_INLINE];
    int n = sym_lookup(sym, 0, pc, true, f, SYM_MAX_INLINE);
    cr_assert_eq(n, 2, "inlined helper + its caller, got %d frames", n);
    cr_assert_str_eq(f[0].function, "testlib_inline_helper");
    cr_assert_eq(f[0].line, testlib_inline_line);
    cr_assert(f[0].inlined);
    cr_assert_str_eq(f[1].function, "testlib_outer");
    cr_assert_str_eq(base(f[1].file), TESTLIB_C_FILE);
    cr_assert_eq(f[1].line, testlib_outer_line);
    cr_assert_not(f[1].inlined);
    cr_assert_eq(f[0].pc, pc);
    cr_assert_eq(f[1].pc, pc);

    /* max = 1: only the innermost frame */
    n = sym_lookup(sym, 0, pc, true, f, 1);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(f[0].function, "testlib_inline_helper");
}

Test(report_symbols, cxx_name_is_demangled)
{
    uint64_t pc = testlib_cxx();
    struct sym_frame f[SYM_MAX_INLINE];
    int n = sym_lookup(sym, 0, pc, true, f, SYM_MAX_INLINE);
    cr_assert_geq(n, 1);
    cr_assert_str_eq(f[n - 1].function, "ctrace_test::Widget::poke(int)");
    cr_assert_str_eq(base(f[0].file), TESTLIB_CXX_FILE);
    cr_assert_eq(f[0].line, testlib_cxx_line);
    cr_assert_str_eq(sym_demangle(sym, "_ZN11ctrace_test6Widget4pokeEi"),
                     "ctrace_test::Widget::poke(int)");
    cr_assert_str_eq(sym_demangle(sym, "plain_c"), "plain_c");
}

Test(report_symbols, cache_gives_same_answer)
{
    uint64_t pc = testlib_plain();
    struct sym_frame a, b;
    sym_lookup(sym, 0, pc, true, &a, 1);
    sym_lookup(sym, 0, pc, true, &b, 1);
    cr_assert_eq(a.function, b.function, "interned, cached strings");
    cr_assert_eq(a.line, b.line);
}

Test(report_symbols, libc_frames_are_marked)
{
    uint64_t pc = testlib_libc_pc();
    cr_assert_neq(pc, 0);
    struct sym_frame f;
    sym_lookup(sym, 0, pc, false, &f, 1);
    cr_assert(f.in_system, "frame in %s", f.module ? f.module : "?");
    cr_assert_not(f.in_ctrace);
    cr_assert_str_eq(f.lib, "libc");
    cr_assert_not_null(f.function);
    cr_assert(strstr(f.function, "pthread_mutex_lock") != NULL, "%s",
              f.function);
}

Test(report_symbols, missing_file_gives_module_offset)
{
    struct trace_module_info m = {.base = 0x7f0000000000ull,
                                  .lo = 0x7f0000000000ull,
                                  .hi = 0x7f0000100000ull};
    sym_add_module(sym, 3, &m, "/nonexistent/dir/libgone.so.1");
    struct sym_frame f;
    int n = sym_lookup(sym, 3, 0x7f0000001234ull, true, &f, 1);
    cr_assert_eq(n, 1);
    cr_assert_null(f.function);
    cr_assert_null(f.file);
    cr_assert_str_eq(f.module_short, "libgone.so.1");
    cr_assert_eq(f.offset, 0x1234);
    char buf[256];
    sym_frame_format(&f, true, buf, sizeof(buf));
    cr_assert_str_eq(buf, "libgone.so.1+0x1234");
}

Test(report_symbols, ctrace_module_is_marked)
{
    struct trace_module_info m = {
        .base = 0x10000, .lo = 0x10000, .hi = 0x20000};
    sym_add_module(sym, 4, &m, "/opt/ctrace/lib/libctrace.so");
    struct sym_frame f;
    sym_lookup(sym, 4, 0x10010, true, &f, 1);
    cr_assert(f.in_ctrace);
    cr_assert_not(f.in_system);
    cr_assert_str_eq(f.lib, "ctrace");
}

Test(report_symbols, changed_build_id_falls_back)
{
    struct trace_module_info m;
    char path[4096];
    testlib_exe_module(&m, path, sizeof(path));
    cr_assert_gt(m.build_id_len, 0, "test binary has a build id");
    m.build_id[0] ^= 0xff;
    sym_add_module(sym, 5, &m, path);
    uint64_t pc = testlib_plain();
    struct sym_frame f;
    int n = sym_lookup(sym, 5, pc, true, &f, 1);
    cr_assert_eq(n, 1);
    cr_assert(f.binary_changed);
    cr_assert_null(f.function, "no symbols from a different binary");
    cr_assert_eq(f.offset, pc - m.base);
    char buf[512];
    sym_frame_format(&f, true, buf, sizeof(buf));
    cr_assert(strstr(buf, "(binary changed since recording)") != NULL, "%s",
              buf);
    /* the same file with the right build id still works in process 0 */
    sym_lookup(sym, 0, pc, true, &f, 1);
    cr_assert_str_eq(f.function, "testlib_plain");
}

Test(report_symbols, pc_outside_modules)
{
    struct sym_frame f;
    int n = sym_lookup(sym, 0, 0x10, true, &f, 1);
    cr_assert_eq(n, 1);
    cr_assert_null(f.module);
    cr_assert_null(f.function);
    cr_assert_eq(f.pc, 0x10);
    n = sym_lookup(sym, 77, testlib_plain(), true, &f, 1);
    cr_assert_eq(n, 1, "unknown process image");
    cr_assert_null(f.module);
}

Test(report_symbols, data_symbols_name_globals)
{
    char buf[128];
    cr_assert(sym_lookup_data(sym, 0, (uint64_t)&table_lock, buf, sizeof(buf)));
    cr_assert_str_eq(buf, "table_lock");
    cr_assert(
        sym_lookup_data(sym, 0, (uint64_t)&testlib_locks[1], buf, sizeof(buf)));
    char want[64];
    snprintf(want, sizeof(want), "testlib_locks+%zu", sizeof(pthread_mutex_t));
    cr_assert_str_eq(buf, want);
    void *heap = malloc(64);
    cr_assert_not(sym_lookup_data(sym, 0, (uint64_t)heap, buf, sizeof(buf)));
    free(heap);
    cr_assert_not(
        sym_lookup_data(sym, 0, (uint64_t)testlib_plain, buf, sizeof(buf)),
        "a function is not a data symbol");
}

Test(report_symbols, frame_format_forms)
{
    uint64_t pc = testlib_plain();
    struct sym_frame f;
    char buf[512], want[256];
    sym_lookup(sym, 0, pc, true, &f, 1);
    sym_frame_format(&f, true, buf, sizeof(buf));
    snprintf(want, sizeof(want), "testlib_plain (%s:%d)", TESTLIB_C_FILE,
             testlib_plain_line);
    cr_assert_str_eq(buf, want);
}

Test(report_symbols, many_process_images_share_modules)
{
    /* every forked child reports the same modules: each image resolves,
       repeats are harmless */
    for (uint32_t p = 1; p <= 500; p++)
        testlib_add_self_modules(sym, p);
    testlib_add_self_modules(sym, 0);
    uint64_t pc = testlib_plain();
    struct sym_frame f;
    sym_lookup(sym, 500, pc, true, &f, 1);
    cr_assert_str_eq(f.function, "testlib_plain");
    sym_lookup(sym, 0, pc, true, &f, 1);
    cr_assert_str_eq(f.function, "testlib_plain");
    sym_lookup(sym, 501, pc, true, &f, 1);
    cr_assert_null(f.module, "image 501 has no modules");
}
