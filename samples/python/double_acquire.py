"""double_acquire.py [bug|fixed]: a Lock taken twice by the same thread.

  bug    update() takes `table_lock` and calls helper(), which takes it
         again: a threading.Lock is not re-entrant, so the thread waits
         for itself forever.  ctrace reports the hang with both
         acquisitions' Python lines (and `ctrace run` stops the program).
  fixed  the same code with a threading.RLock: it runs to the end.
"""
import sys
import threading

MODE = sys.argv[1] if len(sys.argv) > 1 else "bug"
table_lock = threading.RLock() if MODE == "fixed" else threading.Lock()
table = {}


def helper(key):
    with table_lock:  # LINE:second
        table[key] = table.get(key, 0) + 1


def update(key):
    with table_lock:  # LINE:first
        helper(key)


def main():
    print("updating", flush=True)
    update("a")
    print("table:", table)


if __name__ == "__main__":
    main()
