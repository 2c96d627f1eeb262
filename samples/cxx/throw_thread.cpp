// Sample (exception groups): an uncaught C++ exception in a worker
// thread.  The worker (a pthread) calls load_config(), which throws
// std::runtime_error("config file missing") from load_config_fail(); nothing
// catches it, so it ends in std::terminate and SIGABRT.  main waits in
// pthread_join.
//
// With the argument "caught" the worker catches it and the program exits
// 0: the twin with no failure (a caught throw, which only
// --exceptions=all reports).
#include <pthread.h>

#include <cstdio>
#include <cstring>
#include <stdexcept>

static bool catch_it;

// The throw is the whole function: GCC moves a conditional throw to a
// .cold part, which has no line information.
__attribute__((noinline, noreturn)) static void load_config_fail()
{
    throw std::runtime_error("config file missing"); // THROW_SITE
}

__attribute__((noinline)) static int load_config(int n)
{
    if (n > 0)
        load_config_fail();
    return n;
}

static void *worker_main(void *)
{
    if (!catch_it)
        return reinterpret_cast<void *>(load_config(1));
    try {
        load_config(1);
    } catch (const std::exception &e) {
        std::printf("worker caught: %s\n", e.what());
    }
    return nullptr;
}

int main(int argc, char **argv)
{
    catch_it = argc > 1 && std::strcmp(argv[1], "caught") == 0;
    pthread_t t;
    pthread_create(&t, nullptr, worker_main, nullptr);
    pthread_join(t, nullptr);
    std::printf("worker done\n");
    return 0;
}
