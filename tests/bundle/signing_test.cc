// Keys, signatures and signed bundles.
#include <sys/stat.h>

#include <fstream>

#include "replay/signing.h"
#include "tests/bundle/fixture.h"

namespace glassbox::replay::testing {
namespace {

class SigningTest : public BundleTest {
 protected:
  Pkey NewKey(const std::string& name, bool private_half) {
    EXPECT_TRUE(GenerateKeyPair(Path(name)).ok());
    auto k = private_half ? LoadPrivateKey(Path(name)) : LoadPublicKey(Path(name + ".pub"));
    EXPECT_TRUE(k.ok()) << k.status().message();
    return k.ok() ? std::move(k.value()) : nullptr;
  }
  Result<Bundle> Read(const std::string& name, EVP_PKEY* key, bool require) {
    ReadOptions o = Reading();
    o.verify_key = key;
    o.require_signature = require;
    return ReadBundle(Path(name), o);
  }
};

mode_t Mode(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_mode & 0777 : 0;
}

TEST_F(SigningTest, KeygenWritesAPrivateAndAPublicPemAndNeverOverwrites) {
  ASSERT_TRUE(GenerateKeyPair(Path("k")).ok());
  EXPECT_EQ(Mode(Path("k")), 0600u);
  EXPECT_EQ(Mode(Path("k.pub")), 0644u);
  EXPECT_NE(ReadAll("k").find("-----BEGIN PRIVATE KEY-----"), std::string::npos);
  EXPECT_NE(ReadAll("k.pub").find("-----BEGIN PUBLIC KEY-----"), std::string::npos);
  std::string before = ReadAll("k");
  EXPECT_EQ(GenerateKeyPair(Path("k")).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadAll("k"), before);
}

TEST_F(SigningTest, BothHalvesHaveTheSameKeyId) {
  Pkey priv = NewKey("k", true);
  Pkey pub = LoadPublicKey(Path("k.pub")).value();
  EXPECT_EQ(KeyId(priv.get()), KeyId(pub.get()));
  EXPECT_EQ(KeyId(pub.get()).size(), 64u);
}

TEST_F(SigningTest, AGroupReadablePrivateKeyIsRefused) {
  NewKey("k", true);
  ::chmod(Path("k").c_str(), 0640);
  EXPECT_EQ(LoadPrivateKey(Path("k")).status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(LoadPublicKey(Path("k")).ok());  // a private key is not a public one
}

TEST_F(SigningTest, SignAndVerify) {
  Pkey priv = NewKey("k", true);
  Pkey pub = LoadPublicKey(Path("k.pub")).value();
  auto sig = Sign(priv.get(), "message");
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(sig->size(), 88u);
  EXPECT_TRUE(Verify(pub.get(), "message", sig.value()));
  EXPECT_FALSE(Verify(pub.get(), "messagE", sig.value()));
  EXPECT_FALSE(Verify(pub.get(), "message", sig->substr(0, 80)));
  EXPECT_FALSE(Verify(pub.get(), "message", "not base64!"));
}

TEST_F(SigningTest, Base64IsStrict) {
  std::string out;
  EXPECT_TRUE(Base64Decode("aGk=", &out));
  EXPECT_EQ(out, "hi");
  EXPECT_FALSE(Base64Decode("aGl=", &out));  // non-canonical trailing bits
  EXPECT_FALSE(Base64Decode("aGk", &out));
  EXPECT_FALSE(Base64Decode("", &out));
  EXPECT_EQ(Base64Encode("hi"), "aGk=");
}

TEST_F(SigningTest, ASignedBundleVerifiesUnderItsKeyOnly) {
  Record(4);
  Pkey priv = NewKey("k", true);
  Pkey other = NewKey("other", false);
  Pkey pub = LoadPublicKey(Path("k.pub")).value();
  Manifest m = Export("a.gbx", priv.get());
  EXPECT_EQ(m.signed_by, KeyId(pub.get()));
  auto ok = Read("a.gbx", pub.get(), true);
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_TRUE(ok->signature_verified);
  auto wrong = Read("a.gbx", other.get(), true);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("not by the verification key"), std::string::npos);
  auto unchecked = Read("a.gbx", nullptr, false);
  ASSERT_TRUE(unchecked.ok());
  EXPECT_FALSE(unchecked->signature_verified);
}

TEST_F(SigningTest, AnUnsignedBundleIsRefusedWhenASignatureIsRequired) {
  Record(2);
  Pkey pub = NewKey("k", false);
  Export("a.gbx");
  auto b = Read("a.gbx", pub.get(), true);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("not signed"), std::string::npos);
  auto optional = Read("a.gbx", pub.get(), false);
  ASSERT_TRUE(optional.ok());
  EXPECT_FALSE(optional->signature_verified);
  EXPECT_EQ(Read("a.gbx", nullptr, true).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(SigningTest, AnAlteredSignedManifestFailsTheSignature) {
  Record(3);
  Pkey priv = NewKey("k", true);
  Pkey pub = LoadPublicKey(Path("k.pub")).value();
  Manifest m = Export("a.gbx", priv.get());
  std::string text = Decompress(ReadAll("a.gbx"));
  std::string lines = text.substr(text.find('\n') + 1);
  Manifest altered = m;
  altered.created_at = "2020-01-01T00:00:00.000Z";  // consistent with the body, but not signed
  ReadOptions o = Reading();
  o.verify_key = pub.get();
  o.require_signature = true;
  auto b = ParseBundle(EncodeBundle(altered, lines).value(), o);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("signature does not verify"), std::string::npos);
  Manifest stripped = m;
  stripped.signed_by.clear();
  stripped.signature.clear();
  EXPECT_FALSE(ParseBundle(EncodeBundle(stripped, lines).value(), o).ok());
}

}  // namespace
}  // namespace glassbox::replay::testing
