#include "base/digest.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>
#include <thread>
#include <vector>

namespace glassbox::base {
namespace {

// OpenSSL's one-shot HMAC(): what HmacSha256Hex computed before it kept a keyed context.
std::string ReferenceHmac(const std::string& key, const std::string& bytes) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), out, &len);
  return ToHex(std::string(reinterpret_cast<char*>(out), len));
}

TEST(HmacSha256, MatchesRfc4231AcrossKeyChanges) {
  const std::string key1(20, '\x0b');
  const std::string tc1 = "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7";
  const std::string tc2 = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
  // The same key twice, then another, then back: a stale key or state would show.
  EXPECT_EQ(HmacSha256Hex(key1, "Hi There"), tc1);
  EXPECT_EQ(HmacSha256Hex(key1, "Hi There"), tc1);
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"), tc2);
  EXPECT_EQ(HmacSha256Hex(key1, "Hi There"), tc1);
  // RFC 4231 test case 6: a key longer than the block, which HMAC hashes first.
  EXPECT_EQ(HmacSha256Hex(std::string(131, '\xaa'),
                          "Test Using Larger Than Block-Size Key - Hash Key First"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(HmacSha256, AgreesWithTheOneShotForEmptyAndPrefixKeys) {
  // "ab" after "abc" and "" after anything: a cache compared by prefix would reuse a key.
  const std::vector<std::string> keys = {"abc", "ab", "", "abc", "", "abcd"};
  const std::vector<std::string> values = {"", "alice", std::string(200, 'x')};
  for (const auto& key : keys) {
    for (const auto& value : values) {
      EXPECT_EQ(HmacSha256Hex(key, value), ReferenceHmac(key, value)) << key << "/" << value;
    }
  }
}

TEST(HmacSha256, EachThreadKeepsItsOwnKey) {
  std::vector<std::string> failures(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &failures] {
      const std::string key = "key-" + std::to_string(t);
      for (int i = 0; i < 500; ++i) {
        std::string value = "v" + std::to_string(i);
        if (HmacSha256Hex(key, value) != ReferenceHmac(key, value)) failures[t] = value;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& failure : failures) EXPECT_EQ(failure, "");
}

}  // namespace
}  // namespace glassbox::base
