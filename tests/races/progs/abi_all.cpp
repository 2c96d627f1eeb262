// Every construct that makes g++ and clang++ call the ThreadSanitizer ABI
// from C++: virtual calls (vptr reads and updates in constructors and
// destructors), std::atomic of every width, std::shared_ptr, containers,
// exceptions, std::thread.  Linked with libctrace.so alone by the test.
#include <atomic>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

struct Base {
    virtual ~Base() {}
    virtual int f() { return 1; }
    int x = 0;
};
struct Derived : Base {
    ~Derived() override {}
    int f() override { return 2; }
};

std::atomic<int> ai;
std::atomic<long> al;
std::atomic<char> ac;
std::atomic<short> as;
std::atomic<bool> ab;
std::atomic<__int128> aq;

__attribute__((noinline)) int use(Base *b) { return b->f(); }

int main()
{
    Base *b = new Derived;
    int r = use(b);
    delete b;
    r += ai.fetch_add(1) + (int)al.exchange(3) +
         ac.load(std::memory_order_acquire) + as.fetch_or(1);
    bool e = false;
    ab.compare_exchange_strong(e, true);
    ab.store(true, std::memory_order_release);
    __int128 q = 0;
    aq.compare_exchange_strong(q, 1);
    r += (int)aq.load();
    std::atomic_thread_fence(std::memory_order_release);
    auto sp = std::make_shared<std::string>("a string long enough to allocate");
    std::vector<int> v(100, 1);
    v.push_back(2);
    std::mutex m;
    {
        std::lock_guard<std::mutex> g(m);
        r += v[3];
    }
    std::thread t([&] { r += (int)sp->size(); });
    t.join();
    try {
        throw std::runtime_error("caught");
    } catch (std::exception &ex) {
        r += (int)std::strlen(ex.what());
    }
    std::printf("abi_all %d\n", r);
    return 0;
}
