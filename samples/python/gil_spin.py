"""gil_spin.py: two threads that only compute, for the GIL section.

"spinner-1" and "spinner-2" start together (a Barrier) and each runs a
pure-Python loop: they cannot run at once, so each waits for the GIL a
large share of its life while the other computes, and ctrace's GIL
section says so.  No lock of the program is involved: no finding.
"""
import threading

ROUNDS = 1500000


def spin(start, out):
    start.wait()
    total = 0
    for i in range(ROUNDS):
        total += i & 7
    out.append(total)


def main():
    start = threading.Barrier(2)
    out = []
    threads = [threading.Thread(target=spin, args=(start, out),
                                name="spinner-%d" % n) for n in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("totals", out)


if __name__ == "__main__":
    main()
