#include "replay/signing.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/digest.h"
#include "base/files.h"

namespace glassbox::replay {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct CtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
using Bio = std::unique_ptr<BIO, BioFree>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

constexpr size_t kMaxKeyFileBytes = 64 << 10;
constexpr size_t kSignatureBytes = 64;

std::string BioText(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
}

// O_EXCL: never replaces an existing key.
Status WriteNewFile(const std::string& path, const std::string& bytes, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) {
    return errno == EEXIST ? Status::InvalidArgument(path + ": exists; refusing to overwrite a key")
                           : Status::IoError(path + ": " + std::strerror(errno));
  }
  ::fchmod(fd, mode);  // the umask may have narrowed or (for .pub) the mode is exact anyway
  bool ok = ::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()) &&
            ::fsync(fd) == 0;
  int err = errno;
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    return Status::IoError(path + ": " + std::strerror(err));
  }
  return Status::Ok();
}

Result<Pkey> ReadPem(const std::string& path, bool private_key) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return Status::NotFound(path + ": " + std::strerror(errno));
  if (S_ISLNK(st.st_mode)) return Status::InvalidArgument(path + ": is a symlink; refusing it");
  if (private_key && (st.st_mode & 077)) {
    return Status::InvalidArgument(path +
                                   ": private key readable by group or others; "
                                   "fix with chmod 600");
  }
  auto text = base::ReadFile(path, kMaxKeyFileBytes);
  if (!text.ok()) return text.status();
  Bio bio(BIO_new_mem_buf(text.value().data(), static_cast<int>(text.value().size())));
  EVP_PKEY* key = private_key ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)
                              : PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
  if (!key) {
    return Status::InvalidArgument(path + ": not a PEM " + (private_key ? "private" : "public") +
                                   " key");
  }
  Pkey owned(key);
  if (EVP_PKEY_id(key) != EVP_PKEY_ED25519) {
    return Status::InvalidArgument(path + ": not an Ed25519 key");
  }
  return owned;
}

}  // namespace

void PkeyFree::operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }

Status GenerateKeyPair(const std::string& path) {
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &raw) != 1) {
    return Status::IoError("keygen: OpenSSL could not generate an Ed25519 key");
  }
  Pkey key(raw);
  Bio priv(BIO_new(BIO_s_mem())), pub(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_PrivateKey(priv.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1 ||
      PEM_write_bio_PUBKEY(pub.get(), key.get()) != 1) {
    return Status::IoError("keygen: OpenSSL could not encode the key");
  }
  std::string pub_path = path + ".pub";
  struct stat st {};
  if (::lstat(pub_path.c_str(), &st) == 0) {
    return Status::InvalidArgument(pub_path + ": exists; refusing to overwrite a key");
  }
  GLASSBOX_RETURN_IF_ERROR(WriteNewFile(path, BioText(priv.get()), 0600));
  Status st_pub = WriteNewFile(pub_path, BioText(pub.get()), 0644);
  if (!st_pub.ok()) ::unlink(path.c_str());  // half a pair is no use
  return st_pub;
}

Result<Pkey> LoadPrivateKey(const std::string& path) { return ReadPem(path, true); }
Result<Pkey> LoadPublicKey(const std::string& path) { return ReadPem(path, false); }

std::string KeyId(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  int n = i2d_PUBKEY(key, &der);
  if (n <= 0) return {};
  std::string id = base::Sha256Hex(std::string_view(reinterpret_cast<char*>(der), n));
  OPENSSL_free(der);
  return id;
}

Result<std::string> Sign(EVP_PKEY* private_key, std::string_view message) {
  MdCtx ctx(EVP_MD_CTX_new());
  unsigned char sig[kSignatureBytes];
  size_t len = sizeof sig;
  // Ed25519 hashes internally: no digest is named, and the one-shot call is required.
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, private_key) != 1 ||
      EVP_DigestSign(ctx.get(), sig, &len, reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) != 1) {
    return Status::IoError("sign: OpenSSL could not sign the manifest");
  }
  return Base64Encode(std::string_view(reinterpret_cast<char*>(sig), len));
}

bool Verify(EVP_PKEY* public_key, std::string_view message, std::string_view signature_b64) {
  std::string sig;
  if (!Base64Decode(signature_b64, &sig) || sig.size() != kSignatureBytes) return false;
  MdCtx ctx(EVP_MD_CTX_new());
  return ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, public_key) == 1 &&
         EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                          reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
}

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

bool Base64Decode(std::string_view text, std::string* out) {
  if (text.empty() || text.size() % 4 != 0 || text.size() > (1 << 20)) return false;
  std::string buf(text.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(buf.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return false;
  // EVP_DecodeBlock keeps the zero bytes that padding stands for; drop them.
  size_t pad = text.ends_with("==") ? 2 : text.ends_with("=") ? 1 : 0;
  buf.resize(static_cast<size_t>(n) - pad);
  if (Base64Encode(buf) != text) return false;
  *out = std::move(buf);
  return true;
}

}  // namespace glassbox::replay
