// The shape of an event line in a bundle (replay/BUNDLE.md, "Event lines"). A bundle may come
// from a hostile or broken machine, so everything the recorder guarantees is checked again:
// deny by default, as for recording.
#include "base/ids.h"
#include "replay/bundle_internal.h"
#include "schema/schema.h"

namespace glassbox::replay::detail {
namespace {

using Value = rapidjson::Value;

Status Bad(const std::string& at, const std::string& why) {
  return Status::InvalidEvent(at + ": " + why);
}

const Value* Find(const Value& object, const char* key) {
  auto it = object.FindMember(key);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

bool IsString(const Value& e, const char* key) {
  const Value* v = Find(e, key);
  return v && v->IsString();
}

std::string_view Text(const Value& v) { return {v.GetString(), v.GetStringLength()}; }

bool IsInteger(const Value& v) { return v.IsInt64() || v.IsUint64(); }

Status CheckMembers(const Value& e, const std::string& at) {
  static const std::string_view kMembers[] = {"event_id", "schema",      "phase",
                                              "span_id",  "recorded_at", "data",
                                              "context",  "final",       "redactions"};
  for (const auto& m : e.GetObject()) {
    if (std::find(std::begin(kMembers), std::end(kMembers), Text(m.name)) == std::end(kMembers)) {
      return Bad(at,
                 "unknown member (event members are event_id, schema, phase, span_id, "
                 "recorded_at, data, context, final, redactions)");
    }
  }
  for (const char* key : {"event_id", "schema", "phase", "recorded_at"}) {
    if (!IsString(e, key)) return Bad(at, std::string("\"") + key + "\" must be a string");
  }
  for (const char* key : {"data", "context"}) {
    const Value* v = Find(e, key);
    if (!v || !v->IsObject()) return Bad(at, std::string("\"") + key + "\" must be an object");
  }
  if (!base::IsUuid(Text(*Find(e, "event_id")))) return Bad(at, "\"event_id\" is not a UUID");
  return Status::Ok();
}

Status CheckPhase(const Value& e, const std::string& at) {
  std::string phase(Text(*Find(e, "phase")));
  if (phase != "single" && phase != "started" && phase != "completed") {
    return Bad(at, "\"phase\" must be single, started or completed");
  }
  bool span = phase != "single";
  const Value* span_id = Find(e, "span_id");
  if (span != (span_id != nullptr)) {
    return Bad(at, span ? "\"span_id\" is missing" : "\"span_id\" on a single event");
  }
  if (span && !(span_id->IsString() && base::IsUuid(Text(*span_id)))) {
    return Bad(at, "\"span_id\" is not a UUID");
  }
  if ((phase == "completed") != (Find(e, "final") != nullptr)) {
    return Bad(
        at, phase == "completed" ? "\"final\" is missing" : "\"final\" on a " + phase + " event");
  }
  return Status::Ok();
}

// `final` as the recorder writes it: status, duration_ms, exit_code, error_type.
Status CheckFinal(const Value& e, const std::string& at) {
  const Value* f = Find(e, "final");
  if (!f) return Status::Ok();
  if (!f->IsObject()) return Bad(at, "\"final\" must be an object");
  for (const auto& m : f->GetObject()) {
    std::string_view key = Text(m.name);
    bool ok = ((key == "status" || key == "error_type") && m.value.IsString()) ||
              ((key == "duration_ms" || key == "exit_code") && IsInteger(m.value));
    if (!ok) return Bad(at, "\"final\": unknown member or wrong type");
  }
  const Value* status = Find(*f, "status");
  std::string_view s = status ? Text(*status) : "";
  if (s != "success" && s != "failed" && s != "aborted") {
    return Bad(at, "\"final\".\"status\" must be success, failed or aborted");
  }
  return Status::Ok();
}

// Execution context: flat strings. Redactions: counts by rule name.
Status CheckContextAndRedactions(const Value& e, const std::string& at) {
  for (const auto& m : Find(e, "context")->GetObject()) {
    if (!m.value.IsString()) return Bad(at, "\"context\" values must be strings");
  }
  const Value* r = Find(e, "redactions");
  if (!r) return Status::Ok();
  if (!r->IsObject()) return Bad(at, "\"redactions\" must be an object");
  for (const auto& m : r->GetObject()) {
    if (!m.value.IsUint64()) return Bad(at, "\"redactions\" values must be counts");
  }
  return Status::Ok();
}

// The schema an event names by its full URI, known to the registry.
Result<const schema::Schema*> KnownSchema(const std::string& uri, const schema::Registry& registry,
                                          const std::string& at, LastSchema* last) {
  if (last && last->schema && uri == last->uri) return last->schema;
  // Only a well-formed URI is named in a message: anything else might be private text.
  auto key = schema::ParseIgluUri(uri);
  if (!key) return Bad(at, "\"schema\" is not an iglu: URI");
  auto found = registry.Find(uri);
  if (!found.ok() || found.value()->key().Uri() != uri) {
    return Bad(at, "schema " + uri + " is not known here (add it with --schemas)");
  }
  if (last) *last = {uri, found.value()};
  return found.value();
}

Status CheckSchema(const Value& e, const schema::Registry& registry, const std::string& at,
                   EventFacts* out, LastSchema* last) {
  std::string uri(Text(*Find(e, "schema")));
  auto schema = KnownSchema(uri, registry, at, last);
  if (!schema.ok()) return schema.status();
  Status valid = schema.value()->ValidateRapidJson(*Find(e, "data"));
  if (!valid.ok()) return Bad(at, valid.message());
  out->schema = std::move(uri);
  return Status::Ok();
}

}  // namespace

Status CheckEvent(const Value& e, const schema::Registry& registry, const std::string& at,
                  EventFacts* out, LastSchema* last) {
  if (!e.IsObject()) return Bad(at, "not a JSON object");
  GLASSBOX_RETURN_IF_ERROR(CheckMembers(e, at));
  GLASSBOX_RETURN_IF_ERROR(CheckPhase(e, at));
  GLASSBOX_RETURN_IF_ERROR(CheckFinal(e, at));
  GLASSBOX_RETURN_IF_ERROR(CheckContextAndRedactions(e, at));
  base::Clock::time_point t;
  out->recorded_at = std::string(Text(*Find(e, "recorded_at")));
  // Only the one form glassbox writes, so that times order as strings (the manifest's range).
  if (!base::ParseRfc3339(out->recorded_at, &t) || base::Rfc3339(t) != out->recorded_at) {
    return Bad(at, "\"recorded_at\" is not an RFC 3339 UTC time with milliseconds");
  }
  out->recorded_ms = base::UnixMillis(t);
  return CheckSchema(e, registry, at, out, last);
}

}  // namespace glassbox::replay::detail
