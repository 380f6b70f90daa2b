// The shape of an event line in a bundle (replay/BUNDLE.md, "Event lines"). A bundle may come
// from a hostile or broken machine, so everything the recorder guarantees is checked again:
// deny by default, as for recording.
#include "base/ids.h"
#include "replay/bundle_internal.h"
#include "schema/schema.h"

namespace glassbox::replay::detail {
namespace {

using Json = nlohmann::json;

Status Bad(const std::string& at, const std::string& why) {
  return Status::InvalidEvent(at + ": " + why);
}

bool IsString(const Json& e, const char* key) {
  auto it = e.find(key);
  return it != e.end() && it->is_string();
}

Status CheckMembers(const Json& e, const std::string& at) {
  static const char* const kMembers[] = {"event_id", "schema",  "phase", "span_id",   "recorded_at",
                                         "data",     "context", "final", "redactions"};
  for (const auto& [key, value] : e.items()) {
    if (std::find(std::begin(kMembers), std::end(kMembers), key) == std::end(kMembers)) {
      return Bad(at,
                 "unknown member (event members are event_id, schema, phase, span_id, "
                 "recorded_at, data, context, final, redactions)");
    }
  }
  for (const char* key : {"event_id", "schema", "phase", "recorded_at"}) {
    if (!IsString(e, key)) return Bad(at, std::string("\"") + key + "\" must be a string");
  }
  for (const char* key : {"data", "context"}) {
    if (!e.contains(key) || !e[key].is_object()) {
      return Bad(at, std::string("\"") + key + "\" must be an object");
    }
  }
  if (!base::IsUuid(e["event_id"].get<std::string>())) return Bad(at, "\"event_id\" is not a UUID");
  return Status::Ok();
}

Status CheckPhase(const Json& e, const std::string& at) {
  std::string phase = e["phase"].get<std::string>();
  if (phase != "single" && phase != "started" && phase != "completed") {
    return Bad(at, "\"phase\" must be single, started or completed");
  }
  bool span = phase != "single";
  if (span != e.contains("span_id")) {
    return Bad(at, span ? "\"span_id\" is missing" : "\"span_id\" on a single event");
  }
  if (span && !(IsString(e, "span_id") && base::IsUuid(e["span_id"].get<std::string>()))) {
    return Bad(at, "\"span_id\" is not a UUID");
  }
  if ((phase == "completed") != e.contains("final")) {
    return Bad(
        at, phase == "completed" ? "\"final\" is missing" : "\"final\" on a " + phase + " event");
  }
  return Status::Ok();
}

// `final` as the recorder writes it: status, duration_ms, exit_code, error_type.
Status CheckFinal(const Json& e, const std::string& at) {
  if (!e.contains("final")) return Status::Ok();
  const Json& f = e["final"];
  if (!f.is_object()) return Bad(at, "\"final\" must be an object");
  for (const auto& [key, value] : f.items()) {
    bool ok = (key == "status" && value.is_string()) ||
              (key == "error_type" && value.is_string()) ||
              ((key == "duration_ms" || key == "exit_code") && value.is_number_integer());
    if (!ok) return Bad(at, "\"final\": unknown member or wrong type");
  }
  std::string status = f.value("status", "");
  if (status != "success" && status != "failed" && status != "aborted") {
    return Bad(at, "\"final\".\"status\" must be success, failed or aborted");
  }
  return Status::Ok();
}

// Execution context: flat strings. Redactions: counts by rule name.
Status CheckContextAndRedactions(const Json& e, const std::string& at) {
  for (const auto& [key, value] : e["context"].items()) {
    if (!value.is_string()) return Bad(at, "\"context\" values must be strings");
  }
  if (!e.contains("redactions")) return Status::Ok();
  const Json& r = e["redactions"];
  if (!r.is_object()) return Bad(at, "\"redactions\" must be an object");
  for (const auto& [key, value] : r.items()) {
    if (!value.is_number_unsigned()) return Bad(at, "\"redactions\" values must be counts");
  }
  return Status::Ok();
}

Status CheckSchema(const Json& e, const schema::Registry& registry, const std::string& at,
                   EventFacts* out) {
  std::string uri = e["schema"].get<std::string>();
  // Only a well-formed URI is named in a message: anything else might be private text.
  auto key = schema::ParseIgluUri(uri);
  if (!key) return Bad(at, "\"schema\" is not an iglu: URI");
  auto found = registry.Find(uri);
  if (!found.ok() || found.value()->key().Uri() != uri) {
    return Bad(at, "schema " + uri + " is not known here (add it with --schemas)");
  }
  Status valid = found.value()->Validate(e["data"]);
  if (!valid.ok()) return Bad(at, valid.message());
  out->schema = uri;
  return Status::Ok();
}

}  // namespace

Status CheckEvent(const Json& e, const schema::Registry& registry, const std::string& at,
                  EventFacts* out) {
  if (!e.is_object()) return Bad(at, "not a JSON object");
  GLASSBOX_RETURN_IF_ERROR(CheckMembers(e, at));
  GLASSBOX_RETURN_IF_ERROR(CheckPhase(e, at));
  GLASSBOX_RETURN_IF_ERROR(CheckFinal(e, at));
  GLASSBOX_RETURN_IF_ERROR(CheckContextAndRedactions(e, at));
  base::Clock::time_point t;
  out->recorded_at = e["recorded_at"].get<std::string>();
  // Only the one form glassbox writes, so that times order as strings (the manifest's range).
  if (!base::ParseRfc3339(out->recorded_at, &t) || base::Rfc3339(t) != out->recorded_at) {
    return Bad(at, "\"recorded_at\" is not an RFC 3339 UTC time with milliseconds");
  }
  out->recorded_ms = base::UnixMillis(t);
  return CheckSchema(e, registry, at, out);
}

}  // namespace glassbox::replay::detail
