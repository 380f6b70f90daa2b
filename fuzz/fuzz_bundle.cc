// Fuzz target: the bundle reader; see fuzz_bundle.h for the input encoding.
#include "fuzz/fuzz_bundle.h"

#include <zstd.h>

#include <memory>
#include <string>

#include "replay/bundle.h"
#include "replay/bundle_internal.h"

namespace glassbox::fuzz {
namespace {

const schema::Registry& Registry() {
  static const std::unique_ptr<schema::Registry> registry = [] {
    auto r = schema::Registry::Open("");
    return r.ok() ? std::move(r.value()) : nullptr;
  }();
  return *registry;
}

std::string OneFrame(std::string_view text) {
  std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> c(ZSTD_createCCtx(), ZSTD_freeCCtx);
  ZSTD_CCtx_setParameter(c.get(), ZSTD_c_compressionLevel, 1);
  ZSTD_CCtx_setParameter(c.get(), ZSTD_c_checksumFlag, 1);
  std::string out(ZSTD_compressBound(text.size()), '\0');
  size_t n = ZSTD_compress2(c.get(), out.data(), out.size(), text.data(), text.size());
  out.resize(ZSTD_isError(n) ? 0 : n);
  return out;
}

// The input as one line: ParseLine (simdjson checks UTF-8 first) and its reference (RapidJSON
// checks it) must agree on the verdict, the message and the value.
void CompareLineParsers(std::string_view line) {
  rapidjson::Document fast, reference;
  Status a = replay::detail::ParseLine(line, 64, "line 2", &fast);
  Status b = replay::detail::ParseLineCheckingUtf8InRapidJson(line, 64, "line 2", &reference);
  if (a.ok() != b.ok() || a.message() != b.message()) __builtin_trap();
  if (a.ok() && fast != reference) __builtin_trap();
}

}  // namespace

int ParseFuzzedBundle(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (rest.size() <= (64 << 10)) CompareLineParsers(rest);
  std::string file;
  switch (data[0] % 3) {
    case 0:
      file = rest;
      break;
    case 1:
      file = rest;
      replay::detail::AppendTrailer(&file);
      break;
    default:
      file = OneFrame(rest);
      replay::detail::AppendTrailer(&file);
  }
  replay::ReadOptions o;
  o.registry = &Registry();
  o.limits.max_bytes = 4 << 20;  // small limits keep each run fast; the checks are the same
  o.limits.max_line_bytes = 256 << 10;
  auto bundle = replay::ParseBundle(file, o);
  if (!bundle.ok()) return 0;
  // What a reader relies on afterwards must hold for anything accepted.
  // Walking it again gives the lines that were checked: as many, as long, each with its id.
  int64_t events = 0, bytes = 0;
  Status walked = bundle->ForEachEvent([&](std::string_view line, int64_t) {
    if (replay::EventIdOf(line).size() != 36) __builtin_trap();
    ++events;
    bytes += static_cast<int64_t>(line.size()) + 1;
    return Status::Ok();
  });
  if (!walked.ok() || events != bundle->manifest.event_count ||
      bytes != bundle->manifest.events_bytes) {
    __builtin_trap();
  }
  return 1;
}

}  // namespace glassbox::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  glassbox::fuzz::ParseFuzzedBundle(data, size);
  return 0;
}
