#pragma once
// Shared by the journal's test files: how many events a journal's scan yields.
#include <gtest/gtest.h>

#include <cstdint>

#include "journal/journal.h"

namespace glassbox::journal {

inline int64_t CountEvents(const Journal& j) {
  int64_t n = 0;
  EXPECT_TRUE(j.Scan({}, [&](const StoredEvent&) { return ++n > 0; }).ok());
  return n;
}

}  // namespace glassbox::journal
