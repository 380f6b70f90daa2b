#include "recorder/context.h"

#include <sys/utsname.h>

#include <fstream>

#include "recorder/scrubber.h"

namespace glassbox::recorder {
namespace {

// ID and VERSION_ID from os-release: the distribution, not the machine.
void Distribution(std::string* id, std::string* version) {
  std::ifstream in("/etc/os-release");
  std::string line;
  auto unquote = [](std::string v) {
    if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'')) v = v.substr(1, v.size() - 2);
    return v;
  };
  while (std::getline(in, line)) {
    if (line.rfind("ID=", 0) == 0) *id = unquote(line.substr(3));
    if (line.rfind("VERSION_ID=", 0) == 0) *version = unquote(line.substr(11));
  }
}

void SetIf(nlohmann::json& ctx, const char* key, const std::string& value) {
  if (!value.empty()) ctx[key] = value;
}

}  // namespace

nlohmann::json CollectContext(const RecorderOptions& options, const std::string& install_id,
                              const Scrubber& scrub, std::map<std::string, int>* redactions) {
  nlohmann::json ctx = nlohmann::json::object();
  struct utsname u{};
  if (::uname(&u) == 0) {
    ctx["os_name"] = u.sysname;
    ctx["os_version"] = u.release;
    ctx["arch"] = u.machine;
  }
  std::string distro, distro_version;
  Distribution(&distro, &distro_version);
  SetIf(ctx, "distribution", distro);
  SetIf(ctx, "distribution_version", distro_version);
  SetIf(ctx, "app_name", options.app_name);
  SetIf(ctx, "app_version", options.app_version);
  SetIf(ctx, "runtime_name", options.runtime_name);
  SetIf(ctx, "runtime_version", options.runtime_version);
  SetIf(ctx, "project_id", options.project_id);
  ScrubStrings(scrub, ctx, *redactions);  // before the ids glassbox makes itself
  ctx["install_id"] = install_id;
  ctx["glassbox_version"] = Version();
  return ctx;
}

}  // namespace glassbox::recorder
