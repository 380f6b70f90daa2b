#include "base/digest.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sys/random.h>

#include <cerrno>

#include <memory>

namespace glassbox::base {

std::string ToHex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(bytes.size() * 2, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    out[2 * i] = kHex[c >> 4];
    out[2 * i + 1] = kHex[c & 0xf];
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

void PrepareDigests() {
  (void)FetchedMd(DigestAlgo::kMd5);
  (void)FetchedMd(DigestAlgo::kSha256);
}

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

namespace {

struct MacCtxFree {
  void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
};

// The HMAC() one-shot fetches HMAC and SHA-256 and expands the key on every call: 1.7 µs for
// a short value, against 0.35 µs for a context keyed once and reset per value (`EVP_MAC_init`
// with no key keeps the one it has; bench/scrub_bench). A recorder hashes with one install key, so
// each thread keeps one keyed context and re-keys only when a different key comes.
class KeyedHmac {
 public:
  bool Mac(std::string_view key, std::string_view bytes, unsigned char* out, size_t* len) {
    if (!ctx_ || key != key_) {
      if (!Rekey(key)) return false;
    } else if (EVP_MAC_init(ctx_.get(), nullptr, 0, nullptr) != 1) {
      return false;
    }
    return EVP_MAC_update(ctx_.get(), reinterpret_cast<const unsigned char*>(bytes.data()),
                          bytes.size()) == 1 &&
           EVP_MAC_final(ctx_.get(), out, len, EVP_MAX_MD_SIZE) == 1;
  }

  ~KeyedHmac() { Forget(); }

 private:
  bool Rekey(std::string_view key) {
    static EVP_MAC* hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    Forget();
    if (!hmac) return false;
    ctx_.reset(EVP_MAC_CTX_new(hmac));
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                           OSSL_PARAM_construct_end()};
    // OpenSSL refuses a null key pointer even when its length is 0 (HMAC allows empty keys).
    static const unsigned char kEmpty = 0;
    const auto* key_bytes =
        key.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(key.data());
    if (!ctx_ || EVP_MAC_init(ctx_.get(), key_bytes, key.size(), params) != 1) {
      ctx_.reset();
      return false;
    }
    key_.assign(key);
    return true;
  }

  // The key is the install's secret: wiped, not just freed, when it is replaced.
  void Forget() {
    if (!key_.empty()) OPENSSL_cleanse(key_.data(), key_.size());
    key_.clear();
    ctx_.reset();
  }

  std::unique_ptr<EVP_MAC_CTX, MacCtxFree> ctx_;
  std::string key_;
};

}  // namespace

std::string HmacSha256Hex(std::string_view key, std::string_view bytes) {
  thread_local KeyedHmac hmac;
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t len = 0;
  if (!hmac.Mac(key, bytes, out, &len)) return {};
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
