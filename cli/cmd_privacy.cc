// inspect privacy: how guessable the stored digests of hashed fields are.
#include <iostream>

#include "cli/cli.h"
#include "inspect/privacy.h"

namespace glassbox::cli {

void RegisterInspectPrivacy(CLI::App& inspect, const GlobalOptions& g) {
  auto format = std::make_shared<std::string>("table");
  auto* cmd = inspect.add_subcommand(
      "privacy",
      "Audit hashed fields: which stored digests a dictionary of likely inputs "
      "reverses, and the scrubber's redactions");
  cmd->add_option("--format", *format, "table (for people) or json")
      ->check(CLI::IsMember({"table", "text", "json"}));
  cmd->callback([format, &g] {
    auto journal = OpenJournal(g);
    auto registry = OpenRegistry(g);
    auto audit = inspect::AuditPrivacy(*journal, *registry);
    if (!audit.ok()) Fail(audit.status());
    if (*format == "json") {
      std::cout << inspect::PrivacyAuditJson(audit.value()).dump(2) << "\n";
    } else {
      std::cout << inspect::PrivacyAuditText(audit.value());
    }
  });
}

}  // namespace glassbox::cli
