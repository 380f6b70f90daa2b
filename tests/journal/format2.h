#pragma once
// Shared by the journal's test files: turns a current journal into the format-2 layout.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "journal/block_codec.h"
#include "journal/sqlite_util.h"

namespace glassbox::journal {

// Format 2 as an older glassbox left it: each block's seqs and states one entry per event,
// in columns named seqs and states. Made from a current journal, block by block.
inline void DowngradeToFormat2(const std::string& path) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  detail::Stmt read, write;
  ASSERT_TRUE(read.Prepare(db, "SELECT id, first_seq, seq_runs, state_runs FROM blocks").ok());
  std::vector<std::tuple<int64_t, std::string, std::string>> rows;
  Status st;
  while (read.Step(&st)) {
    std::vector<int64_t> seqs;
    std::string states, old_seqs;
    ASSERT_TRUE(detail::DecodeBlockLists(read.Text(2), read.Int(1), read.Text(3), &seqs, &states));
    int64_t prev = read.Int(1) - 1;
    for (int64_t seq : seqs) {
      ASSERT_LT(seq - prev, 0x80);  // one varint byte each, as these tests' gaps are
      old_seqs.push_back(static_cast<char>(seq - prev));
      prev = seq;
    }
    rows.emplace_back(read.Int(0), old_seqs, states);
  }
  ASSERT_TRUE(st.ok());
  read = detail::Stmt();
  ASSERT_TRUE(detail::Exec(db,
                           "ALTER TABLE blocks RENAME COLUMN seq_runs TO seqs; "
                           "ALTER TABLE blocks RENAME COLUMN state_runs TO states; "
                           "PRAGMA user_version = 2")
                  .ok());
  ASSERT_TRUE(write.Prepare(db, "UPDATE blocks SET seqs = ?, states = ? WHERE id = ?").ok());
  for (const auto& [id, old_seqs, states] : rows) {
    detail::ResetGuard guard(write);
    write.BindBlob(1, old_seqs);
    write.BindBlob(2, states);
    write.Bind(3, id);
    ASSERT_TRUE(write.Exec().ok());
  }
  write = detail::Stmt();
  ASSERT_EQ(sqlite3_close(db), SQLITE_OK);
}

}  // namespace glassbox::journal
