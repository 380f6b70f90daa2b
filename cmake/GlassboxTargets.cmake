# Per-target defaults: warnings, and the sanitizer set chosen by GLASSBOX_SANITIZE.
function(glassbox_defaults target)
  target_compile_features(${target} PUBLIC cxx_std_20)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
  if(GLASSBOX_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
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
