// The journal's files on disk: private whatever the umask, and nothing planted is followed.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "journal/journal.h"
#include "tests/privacy/temp_dir.h"

namespace glassbox::journal {
namespace {

namespace fs = std::filesystem;
using glassbox::testing::ReadAll;
using glassbox::testing::TempDir;

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0;
}

class JournalFilesTest : public ::testing::Test {
 protected:
  Result<std::unique_ptr<Journal>> Open() {
    Options o;
    o.path = path_;
    return Journal::Open(o);
  }
  void AppendCanary(Journal& j) {
    std::string line = R"({"event_id":"e","data":{"command":"CANARY-EVENT-VALUE-5e1f"}})";
    ASSERT_TRUE(j.Append({{line, EventState::kPending, 1, {}}}).ok());
  }
  TempDir dir_;
  std::string path_ = dir_ / "deep/er/journal.db";
};

// umask is process-wide: set it for the scope of one test, then put it back.
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask) : old_(::umask(mask)) {}
  ~ScopedUmask() { ::umask(old_); }

 private:
  mode_t old_;
};

TEST_F(JournalFilesTest, EveryFileIs0600AndTheDirectories0700UnderUmask000) {
  ScopedUmask permissive(0);
  auto j = Open();
  ASSERT_TRUE(j.ok()) << j.status().message();
  AppendCanary(*j.value());
  // While the journal is open its WAL and shared-memory files exist; check them all.
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(fs::path(path_).parent_path())) {
    names.push_back(entry.path().filename().string());
    EXPECT_EQ(ModeOf(entry.path().string()), 0600u) << entry.path();
  }
  EXPECT_NE(std::find(names.begin(), names.end(), "journal.db-wal"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "journal.db-shm"), names.end());
  EXPECT_EQ(ModeOf(dir_ / "deep/er"), 0700u);
  EXPECT_EQ(ModeOf(dir_ / "deep"), 0700u);
}

TEST_F(JournalFilesTest, OpeningLeavesTheProcessUmaskAlone) {
  ScopedUmask mask(022);
  ASSERT_TRUE(Open().ok());
  mode_t now = ::umask(022);
  EXPECT_EQ(now, 022u);
}

TEST_F(JournalFilesTest, AnExistingWorldReadableJournalIsMadePrivate) {
  ASSERT_TRUE(Open().ok());
  ASSERT_EQ(::chmod(path_.c_str(), 0644), 0);
  auto j = Open();
  ASSERT_TRUE(j.ok()) << j.status().message();
  EXPECT_EQ(ModeOf(path_), 0600u);
}

TEST_F(JournalFilesTest, ASymlinkPlantedInPlaceOfTheJournalIsRefused) {
  fs::create_directories(fs::path(path_).parent_path());
  std::string target = dir_ / "victim";
  { std::ofstream(target) << "precious"; }
  ASSERT_EQ(::symlink(target.c_str(), path_.c_str()), 0);
  auto j = Open();
  ASSERT_FALSE(j.ok());
  EXPECT_NE(j.status().message().find("symlink"), std::string::npos) << j.status().message();
  EXPECT_EQ(ReadAll(target), "precious");
}

TEST_F(JournalFilesTest, ASymlinkPlantedInPlaceOfTheWalIsRefused) {
  { ASSERT_TRUE(Open().ok()); }  // closed: the WAL is checkpointed and removed
  std::string target = dir_ / "victim";
  { std::ofstream(target) << "precious"; }
  ASSERT_EQ(::symlink(target.c_str(), (path_ + "-wal").c_str()), 0);
  auto j = Open();
  ASSERT_FALSE(j.ok());
  EXPECT_NE(j.status().message().find("journal.db-wal: is a symlink"), std::string::npos)
      << j.status().message();
  EXPECT_EQ(ReadAll(target), "precious");
}

TEST_F(JournalFilesTest, AGroupWritableJournalIsRefusedWithAClearMessageAndNoEventData) {
  {
    auto j = Open();
    ASSERT_TRUE(j.ok());
    AppendCanary(*j.value());
  }
  ASSERT_EQ(::chmod(path_.c_str(), 0660), 0);
  auto j = Open();
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().code(), StatusCode::kIoError);
  EXPECT_EQ(j.status().message(), path_ + ": writable by group or others; fix with chmod 600");
  EXPECT_EQ(j.status().message().find("CANARY"), std::string::npos);
}

TEST_F(JournalFilesTest, AJournalOwnedByAnotherUserIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to chown a file to another user";
  ASSERT_TRUE(Open().ok());
  ASSERT_EQ(::chown(path_.c_str(), 65534, 65534), 0);
  auto j = Open();
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().message(), path_ + ": owned by another user");
}

}  // namespace
}  // namespace glassbox::journal
