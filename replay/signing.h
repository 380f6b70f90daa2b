#pragma once
// Ed25519 keys and signatures for bundles, through OpenSSL EVP. Keys are PEM files: the
// private key as PKCS#8 (mode 0600), the public key as SubjectPublicKeyInfo, so `openssl pkey`
// reads both and `openssl pkeyutl -verify -rawin` checks a signature by hand (replay/BUNDLE.md).
#include <memory>
#include <string>
#include <string_view>

#include "glassbox/status.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace glassbox::replay {

struct PkeyFree {
  void operator()(EVP_PKEY* k) const;
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

// Writes a new private key to `path` (0600) and its public key to `path`.pub. Refuses to
// overwrite either file: a lost signing key cannot be recovered.
Status GenerateKeyPair(const std::string& path);

// Loads an Ed25519 private key. Refuses a key file that group or others can read (as ssh
// does), a symlink, and keys of other types.
Result<Pkey> LoadPrivateKey(const std::string& path);
// Loads an Ed25519 public key (a .pub file as written by GenerateKeyPair).
Result<Pkey> LoadPublicKey(const std::string& path);

// The key's identity: lowercase hex SHA-256 of its DER SubjectPublicKeyInfo, which is
// `openssl pkey -pubin -in KEY.pub -outform DER | sha256sum`. Works on either half.
std::string KeyId(EVP_PKEY* key);

// Ed25519 over `message`, as standard base64 with padding.
Result<std::string> Sign(EVP_PKEY* private_key, std::string_view message);
// True when `signature_b64` is a valid signature of `message` under `public_key`; false for
// a wrong signature, a wrong key or malformed base64.
bool Verify(EVP_PKEY* public_key, std::string_view message, std::string_view signature_b64);

std::string Base64Encode(std::string_view bytes);
// Strict: canonical padded base64 only (re-encoding gives the input back).
bool Base64Decode(std::string_view text, std::string* out);

}  // namespace glassbox::replay
