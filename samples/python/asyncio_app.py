"""asyncio_app.py [ok|fail]: an asyncio program in its own event-loop
thread.

The loop runs in a thread named "event-loop"; it hands blocking work to
the default executor (run_in_executor) and to asyncio.to_thread, runs a
child process with create_subprocess_exec, then runs three jobs in a
TaskGroup.
  ok    the jobs succeed
  fail  two jobs raise (ValueError, then KeyError, in that order: an Event
        orders them), the TaskGroup raises an ExceptionGroup and the
        event-loop thread dies of it; the program exits with status 1.
        ctrace shows the ExceptionGroup and its two sub-exceptions, each
        where it was raised.
"""
import asyncio
import sys
import threading

MODE = sys.argv[1] if len(sys.argv) > 1 else "ok"


def blocking(n):
    return n * 2


async def job(i, first_failed):
    if MODE == "fail" and i == 1:
        try:
            raise ValueError("job 1: bad input")  # LINE:value_error
        finally:
            first_failed.set()
    if MODE == "fail" and i == 2:
        await first_failed.wait()
        raise KeyError("job 2: missing key")  # LINE:key_error
    return i


async def app():
    loop = asyncio.get_running_loop()
    a = await loop.run_in_executor(None, blocking, 21)
    b = await asyncio.to_thread(blocking, 5)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "print('child says hi')",
        stdout=asyncio.subprocess.PIPE)
    out, _ = await proc.communicate()
    print("executor", a, "to_thread", b, "child", out.decode().strip(),
          "status", proc.returncode, flush=True)
    first_failed = asyncio.Event()
    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(job(i, first_failed)) for i in range(3)]
    print("jobs", [t.result() for t in tasks], flush=True)


def main():
    finished = []

    def run():
        asyncio.run(app())
        finished.append(True)

    loop_thread = threading.Thread(target=run, name="event-loop")
    loop_thread.start()
    loop_thread.join()
    sys.exit(0 if finished else 1)


if __name__ == "__main__":
    main()
