// inspect payload: the batches the next replay would send, through the one payload builder.
#include <cstdio>
#include <sstream>

#include "base/files.h"
#include "inspect/views.h"

namespace glassbox::inspect {
namespace {

std::string EventIdOf(const std::string& body, size_t line_start) {
  // Lines start {"event_id":"<36 chars>" (replay/WIRE.md).
  static constexpr size_t kPrefix = 13;
  return body.size() >= line_start + kPrefix + 36 ? body.substr(line_start + kPrefix, 36) : "";
}

Status WriteBatchFiles(const std::string& dir, int index, const replay::Batch& batch,
                       const std::string& wire) {
  char name[32];
  std::snprintf(name, sizeof name, "/batch-%04d", index);
  GLASSBOX_RETURN_IF_ERROR(base::WritePrivateFile(dir + name + ".body", wire));
  return base::WritePrivateFile(dir + name + ".ndjson", batch.body);
}

}  // namespace

Result<Json> PayloadJson(const journal::Journal& journal, const PayloadOptions& o) {
  if (!o.out_dir.empty()) GLASSBOX_RETURN_IF_ERROR(base::EnsurePrivateDir(o.out_dir));
  Json batches = Json::array();
  int64_t events = 0;
  Status failure;
  Status st = replay::BuildBatches(journal, o.filter, o.limits, [&](replay::Batch&& b) {
    auto wire = replay::Compress(b.body, o.compression);
    if (!wire.ok()) {
      failure = wire.status();
      return false;
    }
    int index = static_cast<int>(batches.size()) + 1;
    if (!o.out_dir.empty()) {
      failure = WriteBatchFiles(o.out_dir, index, b, wire.value());
      if (!failure.ok()) return false;
    }
    std::string encoding = replay::CompressionName(o.compression);
    Json headers = {{"Content-Type", "application/x-ndjson"},
                    {"User-Agent", o.user_agent},
                    {"Idempotency-Key", b.sha256}};
    if (o.compression != replay::Compression::kNone) headers["Content-Encoding"] = encoding;
    batches.push_back({{"index", index},
                       {"events", b.events()},
                       {"body_bytes", b.body.size()},
                       {"wire_bytes", wire->size()},
                       {"content_encoding", encoding},
                       {"idempotency_key", b.sha256},
                       {"headers", headers},
                       {"first_event_id", EventIdOf(b.body, 0)},
                       {"last_event_id", EventIdOf(b.body, b.body.rfind('\n', b.body.size() - 2) + 1)}});
    events += b.events();
    return true;
  });
  GLASSBOX_RETURN_IF_ERROR(st);
  GLASSBOX_RETURN_IF_ERROR(failure);
  return Json{{"events", events}, {"batches_total", batches.size()}, {"batches", batches}};
}

std::string PayloadText(const Json& p) {
  std::ostringstream out;
  if (p["batches"].empty()) return "nothing would be sent: no pending events match\n";
  out << p["events"].get<int64_t>() << " event(s) in " << p["batches_total"].get<int64_t>()
      << " batch(es) would be sent:\n";
  for (const auto& b : p["batches"]) {
    out << "\nbatch " << b["index"].get<int>() << ": " << b["events"].get<int64_t>() << " events, "
        << b["body_bytes"].get<int64_t>() << " bytes NDJSON, " << b["wire_bytes"].get<int64_t>()
        << " bytes on the wire\n";
    for (const auto& [k, v] : b["headers"].items()) {
      std::string value = v.get<std::string>();
      out << "  " << k << (k.size() + value.size() + 4 > 80 ? ":\n    " : ": ") << value << "\n";
    }
  }
  out << "\nsee the bytes: glassbox inspect payload --out DIR\n";
  return out.str();
}

}  // namespace glassbox::inspect
