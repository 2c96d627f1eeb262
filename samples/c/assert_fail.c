/* Sample: a failed assert in a named function (assert_check).  Prints
 * "crash_fn ADDR", then glibc prints the assertion message to stderr and
 * the process dies by SIGABRT.  Built with assertions on whatever the
 * build type. */
#undef NDEBUG
#include <assert.h>
#include <stdio.h>

__attribute__((noinline)) int assert_check(int value)
{
    assert(value == 42 && "the answer");
    return value;
}

int main(int argc, char **argv)
{
    (void)argv;
    printf("crash_fn %p\n", (void *)assert_check);
    fflush(stdout);
    return assert_check(argc) == 42 ? 0 : 1;
}
