"""threading_prims.py: every threading primitive, in named threads.

Lock, RLock, Condition, Semaphore, BoundedSemaphore, Event, Barrier and
Timer, each used the way the documentation shows, by threads with names
("producer", "consumer", "worker-1".., "timer").  ctrace shows every
thread under its Thread.name and finds nothing wrong.  The output does not
depend on scheduling.
"""
import threading

WORKERS = 3


def producer_consumer():
    cond = threading.Condition()
    items, consumed = [], []

    def producer():
        for i in range(5):
            with cond:
                items.append(i)
                cond.notify()

    def consumer():
        while len(consumed) < 5:
            with cond:
                cond.wait_for(lambda: items)
                consumed.append(items.pop(0))

    threads = [threading.Thread(target=consumer, name="consumer"),
               threading.Thread(target=producer, name="producer")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("consumed", consumed)


def workers():
    total = [0]
    total_lock = threading.Lock()
    log_lock = threading.RLock()
    slots = threading.BoundedSemaphore(2)
    start = threading.Event()
    done = threading.Barrier(WORKERS + 1)
    log = []

    def note(text):
        with log_lock:
            with log_lock:  # re-entrant
                log.append(text)

    def work(n):
        start.wait()
        with slots:
            with total_lock:
                total[0] += n
        note("w%d" % n)
        done.wait()

    threads = [threading.Thread(target=work, args=(n,), name="worker-%d" % n)
               for n in range(1, WORKERS + 1)]
    for t in threads:
        t.start()
    start.set()
    done.wait()
    for t in threads:
        t.join()
    print("total", total[0], "notes", sorted(log))


def timer():
    fired = threading.Event()
    counter = threading.Semaphore(0)
    t = threading.Timer(0.01, lambda: (counter.release(), fired.set()))
    t.name = "timer"
    t.start()
    fired.wait()
    t.join()
    print("timer fired", counter.acquire(blocking=False))


def main():
    producer_consumer()
    workers()
    timer()


if __name__ == "__main__":
    main()
