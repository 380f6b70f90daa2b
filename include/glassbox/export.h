#pragma once
// GLASSBOX_EXPORT marks the public API of libglassbox.so. Everything else in the library is
// built with -fvisibility=hidden and a linker version script, so internals (journal, schema,
// SQLite, nlohmann) never become part of the ABI. A program linking the static module
// libraries directly (the glassbox command, the tests) is unaffected.
#if defined(__cplusplus) && (defined(__GNUC__) || defined(__clang__))
// The standard attribute form composes with [[nodiscard]] on a class.
#define GLASSBOX_EXPORT [[gnu::visibility("default")]]
#elif defined(__GNUC__) || defined(__clang__)
#define GLASSBOX_EXPORT __attribute__((visibility("default")))
#else
#define GLASSBOX_EXPORT
#endif
