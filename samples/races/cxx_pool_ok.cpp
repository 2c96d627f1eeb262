// C++: a small thread pool (std::thread, std::mutex, std::condition_variable,
// std::function, std::packaged_task, std::future, std::async) sharing a
// std::shared_ptr'd map with its tasks: reference counts, futures and the
// queue's lock order everything.  No race.
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <queue>
#include <string>
#include <thread>
#include <vector>

class Pool
{
  public:
    explicit Pool(int n)
    {
        for (int i = 0; i < n; i++)
            workers_.emplace_back([this] { run(); });
    }
    ~Pool()
    {
        {
            std::lock_guard<std::mutex> g(m_);
            stop_ = true;
        }
        cv_.notify_all();
        for (auto &t : workers_)
            t.join();
    }
    template <class F> auto submit(F f) -> std::future<decltype(f())>
    {
        auto task = std::make_shared<std::packaged_task<decltype(f())()>>(f);
        auto fut = task->get_future();
        {
            std::lock_guard<std::mutex> g(m_);
            q_.push([task] { (*task)(); });
        }
        cv_.notify_one();
        return fut;
    }

  private:
    void run()
    {
        for (;;) {
            std::function<void()> job;
            {
                std::unique_lock<std::mutex> l(m_);
                cv_.wait(l, [this] { return stop_ || !q_.empty(); });
                if (stop_ && q_.empty())
                    return;
                job = std::move(q_.front());
                q_.pop();
            }
            job();
        }
    }
    std::vector<std::thread> workers_;
    std::queue<std::function<void()>> q_;
    std::mutex m_;
    std::condition_variable cv_;
    bool stop_ = false;
};

int main()
{
    auto shared = std::make_shared<std::map<int, std::string>>();
    for (int i = 0; i < 100; i++)
        (*shared)[i] = std::to_string(i * i);
    std::vector<std::future<size_t>> results;
    {
        Pool pool(4);
        for (int i = 0; i < 200; i++)
            results.push_back(pool.submit([shared, i] {
                auto copy = shared;
                return copy->at(i % 100).size() + std::to_string(i).size();
            }));
        size_t total = 0;
        for (auto &f : results)
            total += f.get();
        std::printf("total %zu\n", total);
        auto p = std::async(std::launch::async,
                            [] { return std::string(1000, 'x'); });
        std::printf("async %zu\n", p.get().size());
    }
    return 0;
}
