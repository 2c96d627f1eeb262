"""The hooks ctrace installs in every traced Python process (docs/python.md).

They report to libctrace.so, which `ctrace run` preloads, through ctypes:
`ctrace_record_exception(kind, type, message, traceback)` records a
python-exception event (grouped with every other failure of the run), and
`ctrace_set_thread_name_of(ident, name)` names a thread as Python knows it.

What is reported, and where:
  uncaught   sys.excepthook: the exception that ends the process;
             multiprocessing.Process targets that raise (the child prints
             the traceback itself and exits 1)
  thread     an exception that ends a threading.Thread (the thread's
             excepthook call, whatever hook the program installed)
  pool       an exception raised by a task of a multiprocessing Pool or a
             concurrent.futures ProcessPoolExecutor, in the worker process
             where it happened, before the pool sends it to the parent
  sub-exception  each leaf of an ExceptionGroup reported above (asyncio
             TaskGroup failures), with the group in its message

Rules kept here: the program's output, exit status and exceptions are
exactly what they would be without ctrace (every hook calls the original
first or last and passes its result through; every reporting error is
swallowed); modules are patched when the program imports them (a
post-import hook), never imported on its behalf, except ctypes.
"""

import sys

_KINDS_FATAL = ("uncaught",)
_lib = None  # (record_exception, set_thread_name_of), or False


def _shim():
    """The shim's functions, or None when libctrace.so is not loaded."""
    global _lib
    if _lib is None:
        try:
            import ctypes
            dll = ctypes.CDLL(None)
            record = dll.ctrace_record_exception
            record.argtypes = (ctypes.c_char_p,) * 4
            record.restype = None
            name = dll.ctrace_set_thread_name_of
            name.argtypes = (ctypes.c_ulong, ctypes.c_char_p)
            name.restype = None
            _lib = (record, name)
        except Exception:
            _lib = False
    return _lib or None


def _bytes(text):
    return str(text).replace("\0", "\\0").encode("utf-8", "replace")


def _type_name(exc_type):
    try:
        module = exc_type.__module__
        name = exc_type.__qualname__
    except Exception:
        return "Exception"
    return name if module in ("builtins", None) else "%s.%s" % (module, name)


def _message(value):
    try:
        return str(value)
    except Exception:
        return "<exception str() failed>"


def _format(exc_type, value, tb):
    """The traceback as Python prints it; for an ExceptionGroup, its own
    part only, in the plain layout (its leaves are recorded apart)."""
    try:
        import traceback
        if not isinstance(value, BaseExceptionGroup):
            return "".join(traceback.format_exception(exc_type, value, tb))
        text = traceback.format_list(traceback.extract_tb(tb))
        return "".join(["Traceback (most recent call last):\n"] + text +
                       traceback.format_exception_only(exc_type, value))
    except Exception:
        return ""


def _leaves(group):
    """The exceptions of an ExceptionGroup, nested groups flattened."""
    for exc in getattr(group, "exceptions", ()):
        if isinstance(exc, BaseExceptionGroup):
            yield from _leaves(exc)
        else:
            yield exc


def _record(shim, kind, exc_type, value, tb, message=None):
    shim[0](_bytes(kind), _bytes(_type_name(exc_type)),
            _bytes(_message(value) if message is None else message),
            _bytes(_format(exc_type, value, tb)))


def report(kind, exc_type, value, tb):
    """Record one exception; an ExceptionGroup also records its leaves
    (kind "sub-exception"), each with its own traceback and the group
    named in its message.  Never raises."""
    try:
        shim = _shim()
        if shim is None or exc_type is None:
            return
        _record(shim, kind, exc_type, value, tb)
        if not isinstance(value, BaseExceptionGroup):
            return
        leaves = list(_leaves(value))
        context = "%s: %s" % (_type_name(exc_type), _message(value))
        for i, leaf in enumerate(leaves):
            _record(shim, "sub-exception", type(leaf), leaf,
                    leaf.__traceback__,
                    "%s [sub-exception %d of %d of %s]" %
                    (_message(leaf), i + 1, len(leaves), context))
    except Exception:
        pass


def name_thread(ident, name):
    """Thread `ident` (a pthread_t) is called `name`.  Never raises."""
    try:
        shim = _shim()
        if shim is not None and ident is not None:
            shim[1](ident, _bytes(name))
    except Exception:
        pass


# ---- sys.excepthook ----

def _wrap_sys_excepthook():
    original = sys.excepthook

    def excepthook(exc_type, value, tb):
        report("uncaught", exc_type, value, tb)
        return original(exc_type, value, tb)

    excepthook.__wrapped__ = original
    sys.excepthook = excepthook


# ---- threading: names, and exceptions that end a thread ----

def _patch_threading(threading):
    _shim()  # load ctypes now, in the importing thread
    cls = threading.Thread
    set_ident = cls._set_ident

    def _set_ident(self):
        set_ident(self)
        name_thread(self._ident, self._name)

    cls._set_ident = _set_ident

    prop = cls.name

    def _set_name(self, name):
        prop.fset(self, name)
        if getattr(self, "_ident", None) is not None:
            name_thread(self._ident, self._name)

    cls.name = property(prop.fget, _set_name, prop.fdel, prop.__doc__)

    make = getattr(threading, "_make_invoke_excepthook", None)
    if make is not None:
        def _make_invoke_excepthook():
            invoke = make()

            def invoke_excepthook(thread):
                exc_type, value, tb = sys.exc_info()
                if exc_type is not SystemExit:
                    report("thread", exc_type, value, tb)
                return invoke(thread)
            return invoke_excepthook
        threading._make_invoke_excepthook = _make_invoke_excepthook

    main = threading.main_thread()
    name_thread(main._ident, main._name)

    def _after_fork_in_child():
        # the forking thread is the child's main thread now, under the
        # name Python still gives it
        current = threading.current_thread()
        name_thread(current._ident, current._name)

    import os
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_after_fork_in_child)


# ---- pools: a task's exception where it was raised ----

def _wrap_init(cls):
    init = cls.__init__

    def __init__(self, exc, tb):
        report("pool", type(exc), exc, tb)
        init(self, exc, tb)

    cls.__init__ = __init__


def _patch_pool(pool):
    _wrap_init(pool.ExceptionWithTraceback)


def _patch_futures_process(process):
    _wrap_init(process._ExceptionWithTraceback)


# ---- multiprocessing.Process targets that raise ----

def _patch_traceback(traceback):
    """BaseProcess._bootstrap prints a failed target's traceback with
    traceback.print_exc() and exits 1; report it there (only there:
    the caller's code object says who calls)."""
    try:
        from multiprocessing.process import BaseProcess
        code = BaseProcess._bootstrap.__code__
    except Exception:
        return
    print_exc = traceback.print_exc
    if getattr(print_exc, "_ctrace", False):
        return

    def _print_exc(*args, **kwargs):
        try:
            if sys._getframe(1).f_code is code:
                report("uncaught", *sys.exc_info())
        except Exception:
            pass
        return print_exc(*args, **kwargs)

    _print_exc._ctrace = True
    _print_exc.__wrapped__ = print_exc
    traceback.print_exc = _print_exc


def _patch_mp_process(process):
    # traceback may already be imported; if not, the hook below patches
    # it when _bootstrap imports it
    if "traceback" in sys.modules:
        _patch_traceback(sys.modules["traceback"])


def _patch_traceback_if_mp(traceback):
    if "multiprocessing.process" in sys.modules:
        _patch_traceback(traceback)


_PATCHES = {
    "threading": _patch_threading,
    "multiprocessing.pool": _patch_pool,
    "multiprocessing.process": _patch_mp_process,
    "concurrent.futures.process": _patch_futures_process,
    "traceback": _patch_traceback_if_mp,
}
_patched = set()


def _apply(name, module):
    if name in _patched:
        return
    _patched.add(name)
    try:
        _PATCHES[name](module)
    except Exception:
        pass


# ---- the post-import hook ----

class _PatchingLoader:
    """Runs the real loader, then the module's patch.  The module keeps
    its real loader in __loader__ and __spec__.loader."""

    def __init__(self, loader, name):
        self._loader = loader
        self._name = name

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        module.__loader__ = self._loader
        if getattr(module, "__spec__", None) is not None:
            module.__spec__.loader = self._loader
        self._loader.exec_module(module)
        _apply(self._name, module)


class _PostImportFinder:
    """On sys.meta_path: finds nothing itself; for the modules ctrace
    patches, asks the finders after it and wraps the loader found."""

    def __init__(self):
        self._busy = set()

    def find_spec(self, name, path=None, target=None):
        if name not in _PATCHES or name in _patched or name in self._busy:
            return None
        self._busy.add(name)
        try:
            for finder in sys.meta_path:
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(name, path, target)
                if spec is not None:
                    break
            else:
                return None
        finally:
            self._busy.discard(name)
        if spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = _PatchingLoader(spec.loader, name)
        return spec

    def invalidate_caches(self):
        pass


def install():
    """Install every hook; called once by sitecustomize when traced."""
    _wrap_sys_excepthook()
    for name in list(_PATCHES):
        if name in sys.modules:
            _apply(name, sys.modules[name])
    sys.meta_path.insert(0, _PostImportFinder())
