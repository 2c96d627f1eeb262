// Sample: C++ exceptions.  parse_record() throws ParseError (derived
// from std::runtime_error, what() "bad record 7").  main first throws
// and catches one (a throw that is not a failure), then runs
// parse_record() in a std::thread where nothing catches it: the
// exception reaches std::terminate, which prints the usual message and
// aborts (SIGABRT).  Prints "crash_fn ADDR" (parse_fail's address).
// With the argument "caught" the thread catches it too and the program
// exits 0.
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace app
{

struct ParseError : std::runtime_error {
    explicit ParseError(const char *what) : std::runtime_error(what) {}
};

} // namespace app

// The throw is the whole function: GCC would move a conditional throw
// to a .cold clone, away from the address printed below.
__attribute__((noinline, noreturn)) void parse_fail(int n)
{
    (void)n;
    throw app::ParseError("bad record 7");
}

__attribute__((noinline)) int parse_record(int n)
{
    if (n == 7)
        parse_fail(n);
    return n;
}

static int parse_catching(int n)
{
    try {
        return parse_record(n);
    } catch (const app::ParseError &e) {
        std::printf("caught %s\n", e.what());
        return -1;
    }
}

int main(int argc, char **argv)
{
    bool caught = argc > 1 && std::strcmp(argv[1], "caught") == 0;
    std::printf("crash_fn %p\n", reinterpret_cast<void *>(&parse_fail));
    parse_catching(7);
    std::fflush(stdout);
    std::thread worker([caught] {
        if (caught)
            parse_catching(7);
        else
            parse_record(7);
    });
    worker.join();
    return 0;
}
