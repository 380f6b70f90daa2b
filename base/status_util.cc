#include "base/status_util.h"

namespace glassbox::base {

Status Prefixed(const Status& status, const std::string& prefix) {
  std::string m = prefix + status.message();
  switch (status.code()) {
    case StatusCode::kOk:
      return status;
    case StatusCode::kInvalidArgument:
      return Status::InvalidArgument(m);
    case StatusCode::kInvalidEvent:
      return Status::InvalidEvent(m);
    case StatusCode::kSchemaError:
      return Status::SchemaError(m);
    case StatusCode::kNotFound:
      return Status::NotFound(m);
    case StatusCode::kIoError:
      return Status::IoError(m);
    case StatusCode::kCorruption:
      return Status::Corruption(m);
    case StatusCode::kBusy:
      return Status::Busy(m);
    case StatusCode::kPolicyDenied:
      return Status::PolicyDenied(m);
    case StatusCode::kTransient:
      return Status::Transient(m);
    case StatusCode::kPermanent:
      return Status::Permanent(m);
  }
  return Status::IoError(m);
}

}  // namespace glassbox::base
