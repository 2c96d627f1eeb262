// C++: the same tally behind a std::mutex (std::lock_guard), with a
// std::atomic flag on the side: no race.  Twin of cxx_race.cpp.
#include <atomic>
#include <cstdio>
#include <memory>
#include <mutex>
#include <thread>

struct Tally {
    virtual ~Tally() = default;
    virtual void add(long n)
    {
        std::lock_guard<std::mutex> g(lock);
        total += n;
    }
    std::mutex lock;
    long total = 0;
};

int main()
{
    auto tally = std::make_shared<Tally>();
    std::atomic<bool> done{false};
    std::thread t([&] {
        for (int i = 0; i < 100; i++)
            tally->add(1);
        done.store(true, std::memory_order_release);
    });
    for (int i = 0; i < 100; i++)
        tally->add(2);
    while (!done.load(std::memory_order_acquire))
        std::this_thread::yield();
    t.join();
    std::printf("total = %ld\n", tally->total);
    return 0;
}
