# Writes OUT: a C++ file holding every file under ROOT as {relative path, text}.
file(GLOB_RECURSE files RELATIVE ${ROOT} ${ROOT}/*)
list(SORT files)
set(body "")
foreach(f IN LISTS files)
  file(READ ${ROOT}/${f} text)
  string(APPEND body "    {\"${f}\", R\"glassbox_schema(${text})glassbox_schema\"},\n")
endforeach()
file(WRITE ${OUT} "// Generated from schema/builtin by embed_schemas.cmake. Do not edit.
#include \"schema/schema.h\"

namespace glassbox::schema {
const std::vector<std::pair<std::string, std::string>>& BuiltinSchemaTexts() {
  static const std::vector<std::pair<std::string, std::string>> kTexts = {
${body}  };
  return kTexts;
}
}  // namespace glassbox::schema
")
