#include "tests/bundle/fixture.h"

#include <fstream>
#include <set>
#include <sstream>

#include "base/digest.h"
#include "replay/bundle_internal.h"

namespace glassbox::replay::testing {

std::string BundleTest::ReadAll(const std::string& name) const {
  std::ifstream in(Path(name), std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string BundleTest::Decompress(const std::string& bytes) {
  std::string out;
  std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> d(ZSTD_createDCtx(), ZSTD_freeDCtx);
  ZSTD_inBuffer in{bytes.data(), bytes.size(), 0};
  std::string chunk(1 << 16, '\0');
  while (in.pos < in.size) {
    ZSTD_outBuffer o{chunk.data(), chunk.size(), 0};
    size_t r = ZSTD_decompressStream(d.get(), &o, &in);
    if (ZSTD_isError(r)) return "";
    out.append(chunk.data(), o.pos);
  }
  return out;
}

Manifest HonestManifest(std::string_view lines) {
  Manifest m;
  m.created_at = "2026-11-26T10:00:00.000Z";
  m.source_install_id = "01a217b4-9765-776e-b319-a1380bb09d3d";
  m.glassbox_version = "test";
  std::set<std::string> schemas;
  std::string_view rest = lines;
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    auto e = nlohmann::json::parse(rest.substr(0, nl), nullptr, false);
    if (e.is_object()) {
      std::string at = e.value("recorded_at", "");
      if (m.first_recorded_at.empty() || at < m.first_recorded_at) m.first_recorded_at = at;
      if (at > m.last_recorded_at) m.last_recorded_at = at;
      schemas.insert(e.value("schema", ""));
    }
    ++m.event_count;
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
  }
  m.schemas.assign(schemas.begin(), schemas.end());
  m.events_bytes = static_cast<int64_t>(lines.size());
  m.events_sha256 = base::Sha256Hex(lines);
  return m;
}

std::string Frame(std::string_view content, bool checksum, int window_log, int level) {
  std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> c(ZSTD_createCCtx(), ZSTD_freeCCtx);
  ZSTD_CCtx_setParameter(c.get(), ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setParameter(c.get(), ZSTD_c_checksumFlag, checksum ? 1 : 0);
  if (window_log) ZSTD_CCtx_setParameter(c.get(), ZSTD_c_windowLog, window_log);
  std::string out(ZSTD_compressBound(content.size()), '\0');
  size_t n = ZSTD_compress2(c.get(), out.data(), out.size(), content.data(), content.size());
  out.resize(ZSTD_isError(n) ? 0 : n);
  return out;
}

std::string Sealed(std::string frames) {
  detail::AppendTrailer(&frames);
  return frames;
}

std::string EventText(const Bundle& bundle) {
  std::string text;
  EXPECT_TRUE(bundle
                  .ForEachEvent([&](std::string_view line, int64_t) {
                    text.append(line).push_back('\n');
                    return Status::Ok();
                  })
                  .ok());
  return text;
}

}  // namespace glassbox::replay::testing
