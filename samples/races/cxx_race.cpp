// C++: a lambda on a std::thread and the main thread both append to a
// counter held by a shared object, without a lock: a race on the
// object's field.  Twin: cxx_ok.cpp.
#include <cstdio>
#include <memory>
#include <thread>

extern "C" {
#include "order.h"
}

struct Tally {
    virtual ~Tally() = default;
    virtual void add(long n) { total += n; } // RACE
    long total = 0;
};

int main()
{
    auto tally = std::make_shared<Tally>(); // ALLOC
    struct order turn;
    order_init(&turn);
    std::thread t([&] {
        tally->add(1);
        order_post(&turn);
    });
    order_wait(&turn);
    tally->add(2);
    t.join();
    std::printf("total = %ld\n", tally->total);
    return 0;
}
