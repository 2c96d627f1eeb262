// libctrace-cxx.so: the C++ half of failure.c, for what() of exceptions.
//
// Asking an exception for what() takes C++: a catch of std::exception,
// or the type_info machinery a catch uses.  libctrace.so is C and must
// not drag a C++ runtime into C programs, so this tiny library sits next
// to it and failure.c dlopens it only into processes that already have
// libstdc++, at their first throw.
//
// RUNS INSIDE THE TRACED PROGRAM: see shim.h.  Nothing here throws out:
// every exception it provokes is caught inside.
#include <cstdint>
#include <cstring>
#include <cxxabi.h>
#include <exception>
#include <typeinfo>

#define CXX_EXPORT extern "C" __attribute__((visibility("default")))

namespace
{

uint32_t copy_what(const std::exception &e, char *what, uint32_t cap)
{
    if (!cap)
        return 0;
    const char *s = "";
    try {
        s = e.what();
    } catch (...) {
        s = "";
    }
    size_t n = s ? strnlen(s, cap - 1) : 0;
    if (n)
        memcpy(what, s, n);
    what[n] = '\0';
    return static_cast<uint32_t>(n + 1);
}

} // namespace

// At a throw: if the thrown object (`obj`, of type `tinfo`) is a
// std::exception, copy its what() and return the bytes written with the
// NUL; else 0.  The check is the one a `catch (const std::exception &)`
// makes, pointer adjustment for multiple inheritance included.
CXX_EXPORT uint32_t ctrace_cxx_what(const void *tinfo, void *obj, char *what,
                                    uint32_t cap)
{
    if (!tinfo || !obj)
        return 0;
    const std::type_info &thrown = *static_cast<const std::type_info *>(tinfo);
    void *adjusted = obj;
    if (!typeid(std::exception).__do_catch(&thrown, &adjusted, 1))
        return 0;
    return copy_what(*static_cast<const std::exception *>(adjusted), what, cap);
}

// In std::terminate: the exception being handled, if any: its mangled
// type name, and what() when it is a std::exception ("" otherwise).
// Returns 1 when there is a current exception, else 0.
CXX_EXPORT uint32_t ctrace_cxx_current(char *type, uint32_t tcap, char *what,
                                       uint32_t wcap)
{
    if (tcap)
        type[0] = '\0';
    if (wcap)
        what[0] = '\0';
    const std::type_info *t = abi::__cxa_current_exception_type();
    std::exception_ptr p = std::current_exception();
    if (!t || !p)
        return 0;
    const char *name = t->name(); // libstdc++ already drops a leading '*'
    size_t n = tcap ? strnlen(name, tcap - 1) : 0;
    memcpy(type, name, n);
    if (tcap)
        type[n] = '\0';
    try {
        std::rethrow_exception(p);
    } catch (const std::exception &e) {
        copy_what(e, what, wcap);
    } catch (...) {
    }
    return 1;
}
