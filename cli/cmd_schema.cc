// schema lint | show: for application teams writing schemas.
#include <iomanip>
#include <iostream>

#include "cli/cli.h"

namespace glassbox::cli {

void RegisterSchema(CLI::App& app, const GlobalOptions& g) {
  auto* cmd = app.add_subcommand("schema", "Check and describe schemas");
  cmd->require_subcommand(1);

  auto dir = std::make_shared<std::string>();
  auto* lint = cmd->add_subcommand("lint", "Check every schema in a folder; exit 65 on errors");
  lint->add_option("dir", *dir, "Folder of schemas")->required();
  lint->callback([dir] {
    int errors = 0;
    for (const auto& f : schema::LintDir(*dir)) {
      // Plan problems already begin with the file's name.
      bool named = f.message.rfind(f.file + ": ", 0) == 0;
      std::cout << (named ? "" : f.file + ": ") << f.message << "\n";
      errors += f.error;
    }
    if (errors) throw Failure(kExitDataErr, std::to_string(errors) + " schema error(s)");
    std::cout << "ok\n";
  });

  auto name = std::make_shared<std::string>();
  auto format = std::make_shared<std::string>("table");
  auto* show = cmd->add_subcommand("show", "A schema's fields and their privacy classes");
  show->add_option("name", *name, "iglu: URI or short name; omit to list all schemas");
  show->add_option("--format", *format, "table or json")->check(CLI::IsMember({"table", "json"}));
  show->callback([name, format, &g] {
    auto registry = OpenRegistry(g);
    if (name->empty()) {
      for (const auto& key : registry->Keys()) std::cout << key.Uri() << "\n";
      return;
    }
    auto s = registry->Find(*name);
    if (!s.ok()) Fail(s.status());
    if (*format == "json") {
      nlohmann::ordered_json j = {{"schema", s.value()->key().Uri()},
                                  {"fields", nlohmann::ordered_json::array()}};
      for (const auto& f : s.value()->Fields()) {
        j["fields"].push_back(
            {{"path", f.path}, {"type", f.type}, {"privacy", schema::PrivacyName(f.privacy)}});
      }
      std::cout << j.dump(2) << "\n";
      return;
    }
    std::cout << s.value()->key().Uri() << "\n\n";
    std::cout << std::left << std::setw(32) << "FIELD" << std::setw(20) << "TYPE (AS SENT)"
              << "PRIVACY\n";
    for (const auto& f : s.value()->Fields()) {
      std::cout << std::setw(32) << f.path << std::setw(20) << f.type
                << schema::PrivacyName(f.privacy) << "\n";
    }
  });
}

}  // namespace glassbox::cli
