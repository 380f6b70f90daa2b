#pragma once
// RapidJSON, configured once for every file that uses it: include this before any RapidJSON
// header (schema.h does). A failed RapidJSON assertion is an API misuse, a bug of ours; it
// throws, as valijson expects. valijson would define RAPIDJSON_ASSERT itself, but its version
// builds a std::string from __FILE__ on every check, and RapidJSON checks on every character
// it parses: bundle reading was three times slower with it (bench/README.md).
#include <stdexcept>

#define RAPIDJSON_ASSERT_THROWS  // noexcept functions use assert() instead

#define RAPIDJSON_ASSERT(x) \
  (static_cast<bool>(x) ? void(0) : throw std::logic_error("RapidJSON assertion failed"))

// valijson's adapter refuses (with a #warning) a RAPIDJSON_ASSERT defined before it when
// VALIJSON_USE_EXCEPTIONS is set, and that macro gates nothing else in the adapter itself:
// its valijson headers come first, with the macro as everywhere, and the adapter without it.
#include <valijson/exceptions.hpp>
#include <valijson/internal/adapter.hpp>
#include <valijson/internal/basic_adapter.hpp>
#include <valijson/internal/frozen_value.hpp>
#pragma push_macro("VALIJSON_USE_EXCEPTIONS")
#undef VALIJSON_USE_EXCEPTIONS
#include <valijson/adapters/rapidjson_adapter.hpp>
#pragma pop_macro("VALIJSON_USE_EXCEPTIONS")
