#include "base/digest.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/random.h>

#include <cerrno>

#include <memory>

namespace glassbox::base {

std::string ToHex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xf]);
  }
  return out;
}

namespace {

// OpenSSL 3 looks an algorithm up on every EVP_md5()/EVP_sha256() use; fetching once per
// process and reusing one context per thread takes that off the record() hot path.
const EVP_MD* FetchedMd(DigestAlgo algo) {
  static EVP_MD* md5 = EVP_MD_fetch(nullptr, "MD5", nullptr);
  static EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return algo == DigestAlgo::kMd5 ? md5 : sha256;
}

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

}  // namespace

std::string HexDigest(DigestAlgo algo, std::string_view bytes) {
  thread_local std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  const EVP_MD* md = FetchedMd(algo);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!md || !ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), bytes.data(), bytes.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), out, &len) != 1) {
    return {};
  }
  return ToHex(std::string_view(reinterpret_cast<char*>(out), len));
}

std::string HmacSha256Hex(std::string_view key, std::string_view bytes) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), out,
           &len) == nullptr) {
    return {};
  }
  return ToHex(std::string_view(reinterpret_cast<char*>(out), len));
}

// The kernel's CSPRNG, not OpenSSL's: RAND_bytes would load OpenSSL's providers and seed its
// DRBG, about a millisecond of every `glassbox record` process, for 16 bytes of event id.
std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  for (size_t got = 0; got < n;) {
    ssize_t r = ::getrandom(out.data() + got, n - got, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return {};
    got += static_cast<size_t>(r);
  }
  return out;
}

}  // namespace glassbox::base
