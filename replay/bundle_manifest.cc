// The manifest (line 1 of a bundle), the signed message, and the frame encoder.
#include <openssl/evp.h>

#include "base/canonical_json.h"
#include "base/digest.h"
#include "replay/bundle.h"
#include "replay/bundle_internal.h"

namespace glassbox::replay {
namespace {

using Json = nlohmann::json;

Status Bad(const std::string& what) { return Status::InvalidEvent("manifest: " + what); }

bool IsHex64(const std::string& s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// Reads member `key` of type `T`, refusing absence and other types.
template <typename T>
Status Take(const Json& j, const char* key, T* out) {
  auto it = j.find(key);
  if (it == j.end()) return Bad(std::string("\"") + key + "\" is missing");
  if constexpr (std::is_same_v<T, std::string>) {
    if (!it->is_string()) return Bad(std::string("\"") + key + "\" must be a string");
    *out = it->get<std::string>();
  } else {
    if (!it->is_number_integer() || it->get<int64_t>() < 0) {
      return Bad(std::string("\"") + key + "\" must be a non-negative integer");
    }
    *out = it->get<int64_t>();
  }
  return Status::Ok();
}

Status TakeOptionalTime(const Json& j, const char* key, std::string* out) {
  auto it = j.find(key);
  if (it == j.end()) return Bad(std::string("\"") + key + "\" is missing");
  if (it->is_null()) return Status::Ok();
  base::Clock::time_point t;
  if (!it->is_string() || !base::ParseRfc3339(it->get<std::string>(), &t)) {
    return Bad(std::string("\"") + key + "\" must be an RFC 3339 time or null");
  }
  *out = it->get<std::string>();
  return Status::Ok();
}

Status TakeSchemas(const Json& j, std::vector<std::string>* out) {
  auto it = j.find("schemas");
  if (it == j.end() || !it->is_array()) return Bad("\"schemas\" must be an array");
  for (const auto& s : *it) {
    if (!s.is_string()) return Bad("\"schemas\" must hold strings");
    if (!out->empty() && s.get<std::string>() <= out->back()) {
      return Bad("\"schemas\" must be sorted and unique");
    }
    out->push_back(s.get<std::string>());
  }
  return Status::Ok();
}

Status CheckKnownKeys(const Json& j) {
  static const char* const kKeys[] = {"glassbox_bundle",   "created_at",       "source_install_id",
                                      "glassbox_version",  "event_count",      "events_bytes",
                                      "first_recorded_at", "last_recorded_at", "schemas",
                                      "events_sha256",     "signed_by",        "signature"};
  for (const auto& [key, value] : j.items()) {
    if (std::find(std::begin(kKeys), std::end(kKeys), key) == std::end(kKeys)) {
      return Bad("unknown member \"" + key + "\"");
    }
  }
  return Status::Ok();
}

Status CheckSignatureMembers(const Manifest& m) {
  if (m.signed_by.empty() != m.signature.empty()) {
    return Bad("\"signed_by\" and \"signature\" come together");
  }
  if (!m.signed_by.empty() && !IsHex64(m.signed_by)) return Bad("\"signed_by\" is not a key id");
  return Status::Ok();
}

}  // namespace

Json Manifest::ToJson() const {
  auto time_or_null = [](const std::string& t) { return t.empty() ? Json() : Json(t); };
  Json j = {{"glassbox_bundle", format},
            {"created_at", created_at},
            {"source_install_id", source_install_id},
            {"glassbox_version", glassbox_version},
            {"event_count", event_count},
            {"events_bytes", events_bytes},
            {"first_recorded_at", time_or_null(first_recorded_at)},
            {"last_recorded_at", time_or_null(last_recorded_at)},
            {"schemas", schemas},
            {"events_sha256", events_sha256}};
  if (!signed_by.empty()) j["signed_by"] = signed_by;
  if (!signature.empty()) j["signature"] = signature;
  return j;
}

std::string Manifest::SignedMessage() const {
  Json j = ToJson();
  j.erase("signature");
  return base::CanonicalJson(j);
}

Result<Manifest> Manifest::FromJson(const Json& j) {
  if (!j.is_object()) return Bad("line 1 is not a JSON object");
  Manifest m;
  GLASSBOX_RETURN_IF_ERROR(Take(j, "glassbox_bundle", &m.format));
  if (m.format != kBundleFormatVersion) {
    return Bad("format version " + std::to_string(m.format) +
               " is not supported (this glassbox "
               "reads version " +
               std::to_string(kBundleFormatVersion) + ")");
  }
  GLASSBOX_RETURN_IF_ERROR(CheckKnownKeys(j));
  GLASSBOX_RETURN_IF_ERROR(Take(j, "created_at", &m.created_at));
  GLASSBOX_RETURN_IF_ERROR(Take(j, "source_install_id", &m.source_install_id));
  GLASSBOX_RETURN_IF_ERROR(Take(j, "glassbox_version", &m.glassbox_version));
  GLASSBOX_RETURN_IF_ERROR(Take(j, "event_count", &m.event_count));
  GLASSBOX_RETURN_IF_ERROR(Take(j, "events_bytes", &m.events_bytes));
  GLASSBOX_RETURN_IF_ERROR(TakeOptionalTime(j, "first_recorded_at", &m.first_recorded_at));
  GLASSBOX_RETURN_IF_ERROR(TakeOptionalTime(j, "last_recorded_at", &m.last_recorded_at));
  GLASSBOX_RETURN_IF_ERROR(TakeSchemas(j, &m.schemas));
  GLASSBOX_RETURN_IF_ERROR(Take(j, "events_sha256", &m.events_sha256));
  if (!IsHex64(m.events_sha256)) return Bad("\"events_sha256\" is not a SHA-256 hex digest");
  if (j.contains("signed_by")) GLASSBOX_RETURN_IF_ERROR(Take(j, "signed_by", &m.signed_by));
  if (j.contains("signature")) GLASSBOX_RETURN_IF_ERROR(Take(j, "signature", &m.signature));
  GLASSBOX_RETURN_IF_ERROR(CheckSignatureMembers(m));
  return m;
}

Result<std::string> EncodeBundle(const Manifest& manifest, std::string_view lines, int level) {
  // The manifest gets a frame of its own, so `zstd -dc FILE | head -1` stops early; frame
  // boundaries carry no meaning for readers.
  detail::FrameWriter head(level), body(level);
  GLASSBOX_RETURN_IF_ERROR(head.Add(base::CanonicalJson(manifest.ToJson()) + "\n"));
  auto out = head.Finish();
  if (!out.ok()) return out.status();
  if (!lines.empty()) {
    GLASSBOX_RETURN_IF_ERROR(body.Add(lines));
    auto tail = body.Finish();
    if (!tail.ok()) return tail.status();
    out.value() += tail.value();
  }
  detail::AppendTrailer(&out.value());
  return out;
}

namespace detail {
namespace {
constexpr char kTrailerHead[] = {0x50, 0x2a, 0x4d, 0x18, 36, 0, 0, 0, 'G', 'B', 'X', '1'};
}  // namespace

std::string Trailer(std::string_view digest) {
  return std::string(kTrailerHead, sizeof kTrailerHead).append(digest);
}

void AppendTrailer(std::string* file) {
  Sha256Stream sha;
  sha.Update(*file);
  file->append(Trailer(sha.Final()));
}

Result<std::string_view> CheckTrailer(std::string_view file) {
  if (file.size() < kTrailerBytes) return Status::InvalidEvent("truncated: no trailer");
  std::string_view covered = file.substr(0, file.size() - kTrailerBytes);
  std::string_view trailer = file.substr(covered.size());
  if (trailer.substr(0, sizeof kTrailerHead) !=
      std::string_view(kTrailerHead, sizeof kTrailerHead)) {
    return Status::InvalidEvent("truncated or damaged: the file does not end with its trailer");
  }
  unsigned char digest[32];
  unsigned int len = 0;
  EVP_Digest(covered.data(), covered.size(), digest, &len, EVP_sha256(), nullptr);
  if (trailer.substr(sizeof kTrailerHead) !=
      std::string_view(reinterpret_cast<char*>(digest), 32)) {
    return Status::InvalidEvent("damaged: the file's bytes do not match its trailer digest");
  }
  return covered;
}

Sha256Stream::Sha256Stream() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_) EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr);
}
Sha256Stream::~Sha256Stream() { EVP_MD_CTX_free(ctx_); }
void Sha256Stream::Update(std::string_view bytes) {
  if (ctx_) EVP_DigestUpdate(ctx_, bytes.data(), bytes.size());
}
std::string Sha256Stream::Final() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!ctx_ || EVP_DigestFinal_ex(ctx_, out, &len) != 1) return {};
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string Sha256Stream::HexFinal() { return base::ToHex(Final()); }

FrameWriter::FrameWriter(int level, Sink sink) : cctx_(ZSTD_createCCtx()), sink_(std::move(sink)) {
  if (!cctx_) return;
  ZSTD_CCtx_setParameter(cctx_.get(), ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setParameter(cctx_.get(), ZSTD_c_checksumFlag, 1);
  ZSTD_CCtx_setParameter(cctx_.get(), ZSTD_c_windowLog, kBundleWindowLog);
}

Status FrameWriter::Drive(std::string_view bytes, ZSTD_EndDirective mode) {
  if (!cctx_) return Status::IoError("zstd: out of memory");
  ZSTD_inBuffer in{bytes.data(), bytes.size(), 0};
  // Kept between calls: a fresh 128 KiB buffer is mapped and faulted in on every call.
  if (chunk_.empty()) chunk_.resize(ZSTD_CStreamOutSize());
  std::string& chunk = chunk_;
  for (;;) {
    ZSTD_outBuffer out{chunk.data(), chunk.size(), 0};
    size_t left = ZSTD_compressStream2(cctx_.get(), &out, &in, mode);
    if (ZSTD_isError(left)) return Status::IoError(std::string("zstd: ") + ZSTD_getErrorName(left));
    if (sink_) {
      GLASSBOX_RETURN_IF_ERROR(sink_(std::string_view(chunk.data(), out.pos)));
    } else {
      out_.append(chunk.data(), out.pos);
    }
    bool done = mode == ZSTD_e_end ? left == 0 : in.pos == in.size;
    if (done) return Status::Ok();
  }
}

Status FrameWriter::Add(std::string_view bytes) { return Drive(bytes, ZSTD_e_continue); }

Result<std::string> FrameWriter::Finish() {
  GLASSBOX_RETURN_IF_ERROR(Drive({}, ZSTD_e_end));
  return std::move(out_);
}

}  // namespace detail
}  // namespace glassbox::replay
