#pragma once
// Errors as values. A Status is cheap when OK; a failure carries a kind and one line of text
// that never holds a raw event value (only field names, schema names, paths and counts).
#include <string>
#include <utility>
#include <variant>

#include "glassbox/export.h"

namespace glassbox {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // the caller passed something malformed (usage)
  kInvalidEvent,     // the event does not satisfy its schema
  kSchemaError,      // a schema document is broken or unclassified
  kNotFound,
  kIoError,
  kCorruption,
  kBusy,             // the journal stayed locked past the busy timeout
  kPolicyDenied,     // consent or policy forbids the operation
  kTransient,        // a retryable failure (network, 5xx)
  kPermanent,        // a failure that needs a person (4xx, TLS)
};

class [[nodiscard]] GLASSBOX_EXPORT Status {
 public:
  Status() noexcept = default;
  static Status Ok() noexcept { return Status(); }
  static Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status InvalidEvent(std::string m) { return {StatusCode::kInvalidEvent, std::move(m)}; }
  static Status SchemaError(std::string m) { return {StatusCode::kSchemaError, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
  static Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
  static Status Busy(std::string m) { return {StatusCode::kBusy, std::move(m)}; }
  static Status PolicyDenied(std::string m) { return {StatusCode::kPolicyDenied, std::move(m)}; }
  static Status Transient(std::string m) { return {StatusCode::kTransient, std::move(m)}; }
  static Status Permanent(std::string m) { return {StatusCode::kPermanent, std::move(m)}; }

  bool ok() const noexcept { return code_ == StatusCode::kOk; }
  StatusCode code() const noexcept { return code_; }
  const std::string& message() const noexcept { return message_; }

 private:
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// A value or the Status that explains its absence (std::expected is C++23).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}  // NOLINT: REQUIRES: !status.ok()
  bool ok() const noexcept { return std::holds_alternative<T>(v_); }
  const Status& status() const noexcept {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace glassbox

// Returns early from the enclosing function when `expr` is a failed Status.
#define GLASSBOX_RETURN_IF_ERROR(expr)        \
  do {                                        \
    ::glassbox::Status gb_status_ = (expr);   \
    if (!gb_status_.ok()) return gb_status_;  \
  } while (0)
