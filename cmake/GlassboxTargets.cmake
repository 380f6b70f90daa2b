# Per-target defaults: warnings, and the sanitizer set chosen by GLASSBOX_SANITIZE.
function(glassbox_defaults target)
  target_compile_features(${target} PUBLIC cxx_std_20)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
  if(GLASSBOX_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# glassbox_precompile(TARGET HEADER...): the heavy third-party headers most of a target's files
# include (CLI11, nlohmann-json, GoogleTest) compiled once per target instead of once per file;
# this roughly halves a clean build. GLASSBOX_PCH=OFF checks that every file includes what it
# uses.
function(glassbox_precompile target)
  if(GLASSBOX_PCH)
    target_precompile_headers(${target} PRIVATE ${ARGN})
    # A header GCC finds unusable (other flags or macros) is otherwise skipped in silence.
    target_compile_options(${target} PRIVATE -Winvalid-pch)
  endif()
endfunction()

# glassbox_precompile_like(TARGET FROM): TARGET includes the same heavy headers as FROM, built
# with the same flags, so it uses FROM's precompiled header instead of compiling its own (each
# one costs as much as a large source file, in each of CI's three builds).
function(glassbox_precompile_like target from)
  if(GLASSBOX_PCH)
    target_precompile_headers(${target} REUSE_FROM ${from})
    target_compile_options(${target} PRIVATE -Winvalid-pch)
  endif()
endfunction()

# glassbox_rapidjson_sources(FILE...): files that instantiate RapidJSON's parser or writer,
# or walk its values (directly or through valijson). RapidJSON 1.1 adds offsets to null
# pointers (an empty stack before its first allocation, the members of an empty object), which
# clang's UBSan reports as pointer-overflow; that one check is off for these files only.
function(glassbox_rapidjson_sources)
  if(GLASSBOX_SANITIZE MATCHES "undefined")
    set_source_files_properties(${ARGN} DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}
                                PROPERTIES COMPILE_OPTIONS -fno-sanitize=pointer-overflow)
  endif()
endfunction()

if(GLASSBOX_SANITIZE)
  string(REPLACE ";" "," _gb_san "${GLASSBOX_SANITIZE}")
  add_compile_options(-fsanitize=${_gb_san} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${_gb_san})
  # GCC 12 reports false -Wmaybe-uninitialized inside libstdc++'s <regex> (used by valijson)
  # when sanitizers are on (GCC bug 105562); under -Werror that would fail the sanitizer build.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    add_compile_options(-Wno-maybe-uninitialized)
  endif()
endif()
