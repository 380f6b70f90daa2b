#include "base/files.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>

namespace glassbox::base {
namespace {

namespace fs = std::filesystem;

class FilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/glassbox-files-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  size_t Entries() const {
    return static_cast<size_t>(std::distance(fs::directory_iterator(dir_), {}));
  }
  std::string dir_;
};

TEST_F(FilesTest, APrivateFileWrittenInPiecesAppearsWhole) {
  std::string path = dir_ + "/out.gbx";
  {
    PrivateFileWriter file;
    ASSERT_TRUE(file.Open(path).ok());
    ASSERT_TRUE(file.Append("first ").ok());
    EXPECT_FALSE(fs::exists(path));  // nothing under the name until Commit
    ASSERT_TRUE(file.Append("second").ok());
    ASSERT_TRUE(file.Commit().ok());
  }
  EXPECT_EQ(ReadFile(path, 100).value(), "first second");
  EXPECT_EQ(fs::status(path).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(Entries(), 1u);  // no temporary file left beside it
}

TEST_F(FilesTest, AnUncommittedPrivateFileLeavesNothingBehind) {
  {
    PrivateFileWriter file;
    ASSERT_TRUE(file.Open(dir_ + "/out.gbx").ok());
    ASSERT_TRUE(file.Append("half a bundle").ok());
  }
  EXPECT_EQ(Entries(), 0u);
}

TEST_F(FilesTest, AScratchFileHasNoNameAndReadsBackWhatWasWritten) {
  auto fd = OpenScratchFile(dir_);
  ASSERT_TRUE(fd.ok()) << fd.status().message();
  EXPECT_EQ(Entries(), 0u);
  ASSERT_TRUE(WriteAll(fd.value(), "scratch bytes", "scratch").ok());
  char back[32] = {};
  ASSERT_EQ(::pread(fd.value(), back, sizeof back, 0), 13);
  EXPECT_STREQ(back, "scratch bytes");
  ::close(fd.value());
  EXPECT_FALSE(OpenScratchFile(dir_ + "/missing").ok());
}

}  // namespace
}  // namespace glassbox::base
