// Result<T>: the engine's error-as-value type.
//
// Every fallible engine call returns Result<T>: either a value or an Error{code, message}.
// Exceptions never cross a thread, a callback or the engine's public API; code in core/ does not
// throw for expected failures (I/O errors, corrupt input, full stores). The codes follow the
// spirit of RocksDB's Status so that callers (CLI, UI, NBD server) can map them to exit codes,
// NBD errno values or dialog texts without parsing messages.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace loopsnap {

enum class ErrorCode {
    Corruption,       // on-disk data that cannot be what we (or the kernel) wrote
    IOError,          // the device failed a read, write or flush
    NoSpace,          // a store is full
    Busy,             // held by someone else (locks, in-use stores)
    InvalidArgument,  // the caller asked for something impossible (sizes, ranges, options)
    NotFound,         // a file or export that does not exist
    Unsupported,      // valid but not handled here (other format versions, platforms)
    Aborted,          // stopped on request (signal, pause, shutdown)
    Invalidated,      // the snapshot was invalidated and stays so
};

const char* errorCodeName(ErrorCode code) noexcept;

// What a front end needs to show an error in the user's language: the code, the thing it is
// about (subject: a path or a device id) and a stable detail value (a short kebab-case word such
// as "bad-magic", "in-use", "merge-unfinished") that ui/text/ maps to a translated sentence. The
// English message is for logs and the CLI; it never carries a CLI command line (the CLI adds its
// own hint from the detail value and the related paths).
struct Error {
    ErrorCode code;
    std::string message;
    std::string subject = {};  // path or device id, "" if none
    std::string detail = {};   // stable reason, "" if only the code is known
    // Other things the error is about, so a front end can offer what to do without reading any
    // store itself: "merge-unfinished": the store whose merge is unfinished; "snapshot-missing":
    // every store recorded for the origin that is gone. Empty for other details.
    std::vector<std::string> related = {};

    // "Corruption: bad magic 0x12345678 in /x/cow" - for logs and the CLI's stderr line.
    std::string toString() const;
};

inline Error makeError(ErrorCode code, std::string message) { return Error{code, std::move(message)}; }
inline Error makeError(ErrorCode code, std::string message, std::string subject, std::string detail) {
    return Error{code, std::move(message), std::move(subject), std::move(detail)};
}

template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
    Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}

    bool ok() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    T& value() & { assert(ok()); return std::get<0>(v_); }
    const T& value() const& { assert(ok()); return std::get<0>(v_); }
    T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const Error& error() const& { assert(!ok()); return std::get<1>(v_); }
    Error&& error() && { assert(!ok()); return std::get<1>(std::move(v_)); }

private:
    std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : e_(std::move(error)) {}

    bool ok() const noexcept { return !e_.has_value(); }
    explicit operator bool() const noexcept { return ok(); }
    const Error& error() const& { assert(!ok()); return *e_; }
    Error&& error() && { assert(!ok()); return std::move(*e_); }

private:
    std::optional<Error> e_;
};

using Status = Result<void>;

inline Status okStatus() { return {}; }

}  // namespace loopsnap

// Propagate an error from an expression returning Result<...> / Status.
#define LS_TRY(expr)                                        \
    do {                                                    \
        auto&& ls_try_r_ = (expr);                          \
        if (!ls_try_r_.ok()) return std::move(ls_try_r_).error(); \
    } while (0)

#define LS_CONCAT_INNER(a, b) a##b
#define LS_CONCAT(a, b) LS_CONCAT_INNER(a, b)
// LS_ASSIGN(auto x, expr): x = value of expr, or return its error.
#define LS_ASSIGN(decl, expr) LS_ASSIGN_IMPL(LS_CONCAT(ls_assign_r_, __LINE__), decl, expr)
#define LS_ASSIGN_IMPL(tmp, decl, expr)                 \
    auto tmp = (expr);                                  \
    if (!tmp.ok()) return std::move(tmp).error();       \
    decl = std::move(tmp).value()
