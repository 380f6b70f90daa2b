#pragma once
// One-way digests through OpenSSL EVP, as lowercase hex.
#include <string>
#include <string_view>

namespace glassbox::base {

enum class DigestAlgo { kMd5, kSha256 };

std::string HexDigest(DigestAlgo algo, std::string_view bytes);
// Fetches MD5 and SHA-256 now rather than at the first digest: OpenSSL reads its
// configuration and builds its algorithm tables then (~1 ms), which a caller may want done
// while another thread is busy.
void PrepareDigests();
inline std::string Md5Hex(std::string_view bytes) { return HexDigest(DigestAlgo::kMd5, bytes); }
inline std::string Sha256Hex(std::string_view bytes) {
  return HexDigest(DigestAlgo::kSha256, bytes);
}
// HMAC-SHA256 of `bytes` under `key`, lowercase hex.
std::string HmacSha256Hex(std::string_view key, std::string_view bytes);
// `n` bytes from the kernel's CSPRNG (getrandom); empty on failure (callers treat that as an
// error).
std::string RandomBytes(size_t n);
std::string ToHex(std::string_view bytes);

}  // namespace glassbox::base
