// The glassbox command: registers every subcommand, parses, and maps failures to one stderr
// line and a documented exit code.
#include <sys/resource.h>

#include <iostream>

#include "base/memory.h"
#include "cli/cli.h"

int main(int argc, char** argv) {
  using namespace glassbox::cli;
  // A core dump would hold raw input values (hashed and dropped fields before anonymization);
  // the glassbox command never writes one.
  struct rlimit no_core {
    0, 0
  };
  ::setrlimit(RLIMIT_CORE, &no_core);
  // This process is glassbox's own: its large buffers may use huge pages (base/memory.h).
  glassbox::base::SetHugePagesForLargeBuffers(true);
  CLI::App app{"glassbox: an offline telemetry recorder that shows exactly what it sends"};
  app.set_version_flag("--version", std::string("glassbox ") + glassbox::Version());
  app.require_subcommand(1);
  GlobalOptions g;
  app.add_option("--journal", g.journal,
                 "Journal file (default $GLASSBOX_JOURNAL or "
                 "$XDG_DATA_HOME/glassbox/journal.db)");
  app.add_option("--schemas", g.schemas, "Folder of schemas (Iglu layout or *.json)")
      ->envname("GLASSBOX_SCHEMAS");
  app.add_option("--config", g.config,
                 "Config file (default $XDG_CONFIG_HOME/glassbox/config.toml)")
      ->envname("GLASSBOX_CONFIG");
  RegisterRecord(app, g);
  RegisterSpans(app, g);
  RegisterInspect(app, g);
  RegisterSchema(app, g);
  RegisterReplay(app, g);
  RegisterConsent(app, g);
  RegisterPurge(app, g);
  RegisterDoctor(app, g);
  RegisterBundle(app, g);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  } catch (const Failure& f) {
    if (*f.what()) std::cerr << "glassbox: " << f.what() << "\n";
    return f.code;
  } catch (const std::exception& e) {
    std::cerr << "glassbox: internal error: " << e.what() << "\n";
    return kExitError;
  }
  return kExitOk;
}
