"""Test program for `ctrace attach` (run with /usr/bin/python3, not under
ctrace): two threads take lock_a and lock_b in opposite orders with
`with` blocks; a barrier makes sure each holds its first lock before it
asks for the second, so they deadlock for sure."""
import threading

lock_a = threading.Lock()
lock_b = threading.Lock()
both_hold = threading.Barrier(2)


def take_a_then_b():
    with lock_a:
        both_hold.wait()
        with lock_b:
            pass


def take_b_then_a():
    with lock_b:
        both_hold.wait()
        with lock_a:
            pass


t1 = threading.Thread(target=take_a_then_b, name="a-then-b")
t2 = threading.Thread(target=take_b_then_a, name="b-then-a")
t1.start()
t2.start()
t1.join()
t2.join()
print("unreachable")
