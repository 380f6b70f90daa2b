// inspect payload: the batches the next replay would send, through the one payload builder.
// Streams: one batch at a time is built, described and written, so the view's memory stays
// flat however many batches are pending (a 10M-event journal has 20,000 of them).
#include <cstdint>
#include <cstdio>
#include <functional>
#include <sstream>

#include "base/files.h"
#include "inspect/views.h"
#include "replay/uploader.h"

namespace glassbox::inspect {
namespace {

std::string EventIdOf(const std::string& body, size_t line_start) {
  // Lines start {"event_id":"<36 chars>" (replay/WIRE.md).
  static constexpr size_t kPrefix = 13;
  return body.size() >= line_start + kPrefix + 36 ? body.substr(line_start + kPrefix, 36) : "";
}

Status WriteBatchFiles(const std::string& dir, int64_t index, const replay::Batch& batch,
                       const std::string& wire) {
  char name[32];
  std::snprintf(name, sizeof name, "/batch-%04lld", static_cast<long long>(index));
  GLASSBOX_RETURN_IF_ERROR(base::WritePrivateFile(dir + name + ".body", wire));
  return base::WritePrivateFile(dir + name + ".ndjson", batch.body);
}

Json Describe(int64_t index, const replay::Batch& b, const std::string& wire,
              const PayloadOptions& o) {
  std::string encoding = replay::CompressionName(o.compression);
  // Replay's own headers (without the configured extras, which may hold secrets), so the
  // view cannot drift from what is sent.
  Json headers = Json::object();
  for (const auto& [name, value] : replay::BatchHeaders(b.sha256, o.compression, {})) {
    headers[name] = value;
  }
  return {{"index", index},
          {"events", b.events()},
          {"body_bytes", b.body.size()},
          {"wire_bytes", wire.size()},
          {"content_encoding", encoding},
          {"idempotency_key", b.sha256},
          {"headers", headers},
          {"first_event_id", EventIdOf(b.body, 0)},
          {"last_event_id", EventIdOf(b.body, b.body.rfind('\n', b.body.size() - 2) + 1)}};
}

// `json` dumped as nlohmann's dump(2) would print it nested `depth` levels deep.
std::string Nested(const Json& json, int depth) {
  std::string indent(static_cast<size_t>(depth) * 2, ' ');
  std::string text = indent + json.dump(2);
  for (size_t at = text.find('\n'); at != std::string::npos; at = text.find('\n', at + 1)) {
    text.insert(at + 1, indent);
  }
  return text;
}

std::string BatchText(const Json& b) {
  std::ostringstream out;
  out << "batch " << b["index"].get<int64_t>() << ": " << b["events"].get<int64_t>() << " events, "
      << b["body_bytes"].get<int64_t>() << " bytes NDJSON, " << b["wire_bytes"].get<int64_t>()
      << " bytes on the wire\n";
  for (const auto& [k, v] : b["headers"].items()) {
    std::string value = v.get<std::string>();
    out << "  " << k << (k.size() + value.size() + 4 > 80 ? ":\n    " : ": ") << value << "\n";
  }
  return out.str();
}

struct PayloadTotals {
  int64_t events = 0;
  int64_t batches = 0;
};

// Calls `on_batch` with each batch's description, in order, until it returns false.
Result<PayloadTotals> ForEachPayloadBatch(const journal::Journal& journal, const PayloadOptions& o,
                                          const std::function<bool(const Json&)>& on_batch) {
  if (!o.out_dir.empty()) GLASSBOX_RETURN_IF_ERROR(base::EnsurePrivateDir(o.out_dir));
  PayloadTotals totals;
  Status failure;
  Status st = replay::BuildBatches(journal, o.filter, o.limits, [&](replay::Batch&& b) {
    auto wire = replay::Compress(b, o.compression);
    if (!wire.ok()) {
      failure = wire.status();
      return false;
    }
    int64_t index = totals.batches + 1;
    if (!o.out_dir.empty()) {
      failure = WriteBatchFiles(o.out_dir, index, b, wire.value());
      if (!failure.ok()) return false;
    }
    totals.batches = index;
    totals.events += b.events();
    return on_batch(Describe(index, b, wire.value(), o));
  });
  GLASSBOX_RETURN_IF_ERROR(st);
  GLASSBOX_RETURN_IF_ERROR(failure);
  return totals;
}

}  // namespace

// The document is {"batches":[...],"batches_total","events"}, indented as nlohmann's dump(2)
// and written one batch at a time: the totals are known only after the last batch.
Status WritePayloadJson(const journal::Journal& journal, const PayloadOptions& o,
                        std::ostream& out) {
  out << "{\n  \"batches\": [";
  auto totals = ForEachPayloadBatch(journal, o, [&](const Json& batch) {
    out << (batch["index"].get<int64_t>() == 1 ? "\n" : ",\n") << Nested(batch, 2);
    return static_cast<bool>(out);
  });
  if (!totals.ok()) return totals.status();
  out << (totals->batches ? "\n  ]" : "]") << ",\n  \"batches_total\": " << totals->batches
      << ",\n  \"events\": " << totals->events << "\n}\n";
  return out ? Status::Ok() : Status::IoError("inspect payload: cannot write the output");
}

Status WritePayloadText(const journal::Journal& journal, const PayloadOptions& o,
                        std::ostream& out) {
  auto totals = ForEachPayloadBatch(journal, o, [&](const Json& batch) {
    out << BatchText(batch) << "\n";
    return static_cast<bool>(out);
  });
  if (!totals.ok()) return totals.status();
  if (totals->batches == 0) {
    out << "nothing would be sent: no pending events match\n";
  } else {
    out << totals->events << " event(s) in " << totals->batches
        << " batch(es) would be sent (above)\nsee the bytes: glassbox inspect payload --out DIR\n";
  }
  return out ? Status::Ok() : Status::IoError("inspect payload: cannot write the output");
}

}  // namespace glassbox::inspect
