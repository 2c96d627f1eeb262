"""mp_tree.py [fork|spawn|forkserver]: multiprocessing with one start
method: a Process talking through a Queue, a Pool, a Manager, and a
Process the program stops with terminate().

ctrace records the whole process tree with its parent links: the
children, the Pool's workers, the Manager's server and, for spawn and
forkserver, the resource tracker (and the fork server, whose children the
workers are).  Nothing is wrong here: no finding, no failure (the
terminated Process died of the program's SIGTERM, on purpose).
"""
import multiprocessing
import sys


def square(x):
    return x * x


def greet(queue):
    queue.put("hello from the child")


def fill(shared, n):
    for i in range(n):
        shared[i] = i * i


def sleep_forever(ready, never):
    ready.set()
    never.wait()


def main():
    method = sys.argv[1] if len(sys.argv) > 1 else "fork"
    ctx = multiprocessing.get_context(method)
    queue = ctx.Queue()
    child = ctx.Process(target=greet, args=(queue,), name="greeter")
    child.start()
    print(queue.get())
    child.join()
    print("child exit code", child.exitcode)
    pool = ctx.Pool(2)
    print("squares", pool.map(square, range(8)))
    pool.close()
    pool.join()
    with ctx.Manager() as manager:
        shared = manager.dict()
        filler = ctx.Process(target=fill, args=(shared, 4), name="filler")
        filler.start()
        filler.join()
        print("shared", sorted(shared.items()))
    ready, never = ctx.Event(), ctx.Event()
    sleeper = ctx.Process(target=sleep_forever, args=(ready, never),
                          name="sleeper")
    sleeper.start()
    ready.wait()
    sleeper.terminate()
    sleeper.join()
    print("sleeper exit code", sleeper.exitcode)


if __name__ == "__main__":
    main()
