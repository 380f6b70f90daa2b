#pragma once
// The audit views: ledger, per-event explanation, open spans, digests, payload preview and
// the HTML report. JSON shapes are documented in README.md ("inspect JSON shapes") and stay
// stable: fields may be added, never renamed or removed.
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "journal/journal.h"
#include "replay/payload.h"
#include "schema/schema.h"

namespace glassbox::inspect {

using Json = nlohmann::ordered_json;

struct Page {
  int64_t limit = 0;  // 0 = no limit
  std::string since;  // RFC 3339; only entries at or after it
};

// {"entries": [{"id","at","kind","destination","events","bytes","sha256","result"}...]}
Result<Json> LedgerJson(const journal::Journal& journal, const Page& page);
std::string LedgerText(const Json& ledger);

// {"event_id","schema","schema_version","phase","state","recorded_at",
//  "fields":[{"path","privacy","treatment","value"?}], "redactions":{...}}
Result<Json> ExplainJson(const journal::Journal& journal, const schema::Registry& registry,
                         const std::string& event_id);
std::string ExplainText(const Json& explain);

// {"open_spans":[{"span_id","schema","started_at","age_seconds","data"}]}
Result<Json> OpenSpansJson(const journal::Journal& journal, const Page& page);
std::string OpenSpansText(const Json& spans);

// {"algorithm","input_kind":"string"|"json","digest"}; `json_input` hashes the RFC 8785 form.
Result<Json> HashJson(const std::string& value, const std::string& algo, bool json_input,
                      const std::string& hmac_key);

// Exactly the batches the next replay would send, with the headers they would carry:
// {"batches":[{"index","events","body_bytes","wire_bytes","content_encoding",
//   "idempotency_key","headers":{...},"first_event_id","last_event_id"}], "batches_total","events"}
// Every function here streams: one batch is held at a time.
struct PayloadOptions {
  replay::EventFilter filter;
  replay::BatchLimits limits;
  replay::Compression compression = replay::Compression::kZstd;
  std::string out_dir;  // when set: batch-NNNN.body (wire bytes) and batch-NNNN.ndjson
};
// The whole document, as nlohmann's dump(2) would print it.
Status WritePayloadJson(const journal::Journal& journal, const PayloadOptions& options,
                        std::ostream& out);
Status WritePayloadText(const journal::Journal& journal, const PayloadOptions& options,
                        std::ostream& out);

// A self-contained HTML audit report (no external resources of any kind).
Status WriteHtmlReport(const journal::Journal& journal, const schema::Registry& registry,
                       const PayloadOptions& payload, std::ostream& out);

}  // namespace glassbox::inspect
