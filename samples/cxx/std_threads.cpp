// Sample: C++ std::thread, std::mutex and std::condition_variable, which
// libstdc++ builds on pthread: 4 std::threads add to a counter under one
// std::mutex (1000 times each), then a handshake on a condition variable
// in which main always waits (it holds the mutex while it starts the
// thread that will notify it).  Bug-free.
//
// Known counts: thread-create 5, on the std::mutex mutex-acquire and
// mutex-release 4000 + 2 + one per cond wake; cond-signal 1 on the
// condition variable, whose waits name the std::mutex.  The addresses of
// the mutex and the condition variable go to stderr ("mutex=0x...
// cond=0x...") so that a test can find them in the trace.
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

static std::mutex counter_mutex;
static std::condition_variable ready_cv;
static long counter;
static bool ready;

int main()
{
    std::fprintf(stderr, "mutex=%p cond=%p\n",
                 static_cast<void *>(&counter_mutex),
                 static_cast<void *>(&ready_cv));
    std::vector<std::thread> workers;
    for (int i = 0; i < 4; i++)
        workers.emplace_back([] {
            for (int k = 0; k < 1000; k++) {
                std::lock_guard<std::mutex> guard(counter_mutex);
                counter++;
            }
        });
    for (auto &t : workers)
        t.join();

    std::unique_lock<std::mutex> lock(counter_mutex);
    std::thread notifier([] {
        std::lock_guard<std::mutex> guard(counter_mutex);
        ready = true;
        ready_cv.notify_one();
    });
    ready_cv.wait(lock, [] { return ready; });
    lock.unlock();
    notifier.join();

    std::printf("counter %ld (expected 4000), ready %d\n", counter, ready);
    return counter == 4000 && ready ? 0 : 1;
}
