// A C++ method with a known line, for the demangling test
// (report_testlib.h).
#include "report_testlib.h"

volatile int testlib_cxx_line;

namespace ctrace_test
{
struct Widget {
    uint64_t poke(int x);
};

__attribute__((noinline)) uint64_t Widget::poke(int x)
{
    uint64_t r = (testlib_cxx_line = __LINE__, testlib_capture());
    testlib_sink = r + (uint64_t)x;
    return r;
}
} // namespace ctrace_test

extern "C" uint64_t testlib_cxx(void)
{
    ctrace_test::Widget w;
    uint64_t r = w.poke(1);
    testlib_sink = r;
    return r;
}
