// Reading config.toml with toml++. Each known key has one setter; anything else is an error
// naming the key. toml++ reports syntax errors by exception (the Debian build is compiled with
// exceptions on), so the one try/catch here turns that into a Status.
#include "replay/config.h"

#include <toml++/toml.h>
#include <functional>
#include <map>

#include "base/files.h"

namespace glassbox::replay {
namespace {

using Setter = std::function<Status(const toml::node&, const std::string& key)>;

Status Bad(const std::string& key, const std::string& want) {
  return Status::InvalidArgument("config: " + key + ": expected " + want);
}

Setter DurationKey(Millis* out) {
  return [out](const toml::node& n, const std::string& key) {
    auto d = n.is_string() ? ParseDuration(**n.as_string()) : std::nullopt;
    if (!d) return Bad(key, "a duration such as \"10s\", \"15m\", \"6h\", at most \"36500d\"");
    *out = *d;
    return Status::Ok();
  };
}

Setter SizeKey(int64_t* out) {
  return [out](const toml::node& n, const std::string& key) {
    std::optional<int64_t> v;
    if (n.is_string()) v = ParseSize(**n.as_string());
    if (n.is_integer() && **n.as_integer() >= 0) v = **n.as_integer();
    if (!v) return Bad(key, "a size such as \"1MiB\" or a byte count");
    *out = *v;
    return Status::Ok();
  };
}

Setter CountKey(int64_t* out) {
  return [out](const toml::node& n, const std::string& key) {
    if (!n.is_integer() || **n.as_integer() < 1) return Bad(key, "a positive integer");
    *out = **n.as_integer();
    return Status::Ok();
  };
}

Setter StringKey(std::string* out) {
  return [out](const toml::node& n, const std::string& key) {
    if (!n.is_string()) return Bad(key, "a string");
    *out = **n.as_string();
    return Status::Ok();
  };
}

Status SetWindows(const toml::node& n, const std::string& key, std::vector<Window>* out) {
  const toml::array* arr = n.as_array();
  if (!arr) return Bad(key, "an array of \"HH:MM-HH:MM\" strings");
  out->clear();
  for (const toml::node& item : *arr) {
    auto w = item.is_string() ? ParseWindow(**item.as_string()) : std::nullopt;
    if (!w) return Bad(key, "windows as \"HH:MM-HH:MM\" (local time, start != end)");
    out->push_back(*w);
  }
  return Status::Ok();
}

// A header name is an HTTP token; the headers that carry the wire format cannot be replaced.
Status CheckHeaderName(const std::string& name, const std::string& key) {
  static const char* kReserved[] = {"content-type",    "content-encoding", "content-length",
                                    "idempotency-key", "user-agent",       "host"};
  if (name.empty()) return Bad(key, "a header name");
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) {
      return Bad(key, "header names of letters, digits, '-' and '_'");
    }
  }
  std::string lower;
  for (char c : name)
    lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  for (const char* r : kReserved) {
    if (lower == r)
      return Status::InvalidArgument("config: " + key + ": " + name +
                                     " is set by glassbox and cannot be replaced");
  }
  return Status::Ok();
}

Status SetHeaders(const toml::node& n, const std::string& key, std::vector<HeaderSpec>* out) {
  const toml::table* t = n.as_table();
  if (!t) return Bad(key, "a table of header = \"value\" | \"env:VAR\" | \"file:PATH\"");
  for (auto&& [k, v] : *t) {
    std::string name(k.str()), sub = key + "." + name;
    GLASSBOX_RETURN_IF_ERROR(CheckHeaderName(name, sub));
    if (!v.is_string()) return Bad(sub, "a string (\"value\", \"env:VAR\" or \"file:PATH\")");
    std::string spec = **v.as_string();
    HeaderSpec h{name, HeaderSpec::Source::kLiteral, spec};
    if (spec.rfind("env:", 0) == 0) h = {name, HeaderSpec::Source::kEnv, spec.substr(4)};
    if (spec.rfind("file:", 0) == 0) h = {name, HeaderSpec::Source::kFile, spec.substr(5)};
    if (h.source != HeaderSpec::Source::kLiteral && h.ref.empty()) {
      return Bad(sub, "a variable name after env: or a path after file:");
    }
    out->push_back(std::move(h));
  }
  return Status::Ok();
}

std::map<std::string, Setter> UploadKeys(UploadPolicy* u) {
  return {
      {"endpoint", StringKey(&u->endpoint)},
      {"windows",
       [u](const toml::node& n, const std::string& k) { return SetWindows(n, k, &u->windows); }},
      {"min_interval", DurationKey(&u->min_interval)},
      {"max_batch_events", CountKey(&u->max_batch_events)},
      {"max_batch_bytes", SizeKey(&u->max_batch_bytes)},
      {"max_bytes_per_run", SizeKey(&u->max_bytes_per_run)},
      {"compression",
       [u](const toml::node& n, const std::string& k) {
         auto c = n.is_string() ? ParseCompression(**n.as_string()) : std::nullopt;
         if (!c) return Bad(k, "\"zstd\", \"gzip\" or \"none\"");
         u->compression = *c;
         return Status::Ok();
       }},
      {"connect_timeout", DurationKey(&u->connect_timeout)},
      {"timeout", DurationKey(&u->timeout)},
      {"ca_file", StringKey(&u->ca_file)},
      {"jitter", DurationKey(&u->jitter)},
      {"backoff_base", DurationKey(&u->backoff_base)},
      {"backoff_max", DurationKey(&u->backoff_max)},
      {"max_retry_after", DurationKey(&u->max_retry_after)},
      {"headers",
       [u](const toml::node& n, const std::string& k) { return SetHeaders(n, k, &u->headers); }},
      {"allow_insecure_http",
       [u](const toml::node& n, const std::string& k) {
         if (!n.is_boolean()) return Bad(k, "true or false");
         u->allow_insecure_http = **n.as_boolean();
         return Status::Ok();
       }},
  };
}

std::map<std::string, Setter> RetentionKeys(RetentionPolicy* r) {
  return {{"max_age", DurationKey(&r->max_age)},
          {"max_journal_bytes", SizeKey(&r->max_journal_bytes)},
          {"keep_sent", DurationKey(&r->keep_sent)}};
}

Setter OptionalSizeKey(std::optional<int64_t>* out) {
  return [out](const toml::node& n, const std::string& key) {
    int64_t v = 0;
    GLASSBOX_RETURN_IF_ERROR(SizeKey(&v)(n, key));
    *out = v;
    return Status::Ok();
  };
}

std::map<std::string, Setter> BundleKeys(BundleSettings* b) {
  return {{"max_bytes", OptionalSizeKey(&b->max_bytes)},
          {"max_line_bytes", OptionalSizeKey(&b->max_line_bytes)},
          {"max_window_log",
           [b](const toml::node& n, const std::string& k) {
             if (!n.is_integer()) return Bad(k, "an integer (a power of two exponent)");
             b->max_window_log = **n.as_integer();
             return Status::Ok();
           }},
          {"verify_key", StringKey(&b->verify_key)},
          {"require_signature", [b](const toml::node& n, const std::string& k) {
             if (!n.is_boolean()) return Bad(k, "true or false");
             b->require_signature = **n.as_boolean();
             return Status::Ok();
           }}};
}

Status ApplyTable(const toml::node& n, const std::string& name,
                  const std::map<std::string, Setter>& keys) {
  const toml::table* t = n.as_table();
  if (!t) return Bad(name, "a table");
  for (auto&& [k, v] : *t) {
    std::string key = name + "." + std::string(k.str());
    auto it = keys.find(std::string(k.str()));
    if (it == keys.end()) return Status::InvalidArgument("config: unknown key " + key);
    GLASSBOX_RETURN_IF_ERROR(it->second(v, key));
  }
  return Status::Ok();
}

Status Validate(const Config& c, EndpointCheck endpoint) {
  const UploadPolicy& u = c.upload;
  if (!u.endpoint.empty() && endpoint == EndpointCheck::kCheck) {
    GLASSBOX_RETURN_IF_ERROR(CheckEndpoint(u.endpoint, u.allow_insecure_http));
  }
  if (u.backoff_base.count() <= 0 || u.backoff_max < u.backoff_base) {
    return Bad("upload.backoff_max", "a duration >= upload.backoff_base > 0");
  }
  if (u.timeout.count() <= 0 || u.connect_timeout.count() <= 0) {
    return Bad("upload.timeout", "positive timeouts");
  }
  if (u.max_batch_bytes < 1) return Bad("upload.max_batch_bytes", "at least 1 byte");
  if (c.bundle.require_signature && c.bundle.verify_key.empty()) {
    return Bad("bundle.require_signature", "bundle.verify_key to be set as well");
  }
  return Status::Ok();
}

Status ApplyDocument(const toml::table& doc, EndpointCheck endpoint, Config* c) {
  for (auto&& [k, v] : doc) {
    std::string key(k.str());
    if (key == "upload") {
      GLASSBOX_RETURN_IF_ERROR(ApplyTable(v, key, UploadKeys(&c->upload)));
    } else if (key == "retention") {
      GLASSBOX_RETURN_IF_ERROR(ApplyTable(v, key, RetentionKeys(&c->retention)));
    } else if (key == "bundle") {
      GLASSBOX_RETURN_IF_ERROR(ApplyTable(v, key, BundleKeys(&c->bundle)));
    } else {
      return Status::InvalidArgument("config: unknown key " + key);
    }
  }
  return Validate(*c, endpoint);
}

}  // namespace

Result<Config> ParseConfig(std::string_view text, const std::string& source,
                           EndpointCheck endpoint) {
  Config c;
  c.source = source;
  toml::table doc;
  try {
    doc = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    // The description names the construct and position, not the file's values.
    const auto& at = e.source().begin;
    return Status::InvalidArgument(source + ":" + std::to_string(at.line) + ":" +
                                   std::to_string(at.column) + ": " + std::string(e.description()));
  }
  Status st = ApplyDocument(doc, endpoint, &c);
  if (!st.ok()) return Status::InvalidArgument(source + ": " + st.message());
  return c;
}

Result<Config> LoadConfig(const std::string& path, bool must_exist, EndpointCheck endpoint) {
  auto text = base::ReadFile(path, 1 << 20);
  if (!text.ok()) {
    if (text.status().code() == StatusCode::kNotFound && !must_exist) return Config{};
    return text.status();
  }
  return ParseConfig(text.value(), path, endpoint);
}

std::string DefaultConfigPath() { return base::XdgHome("CONFIG") + "/glassbox/config.toml"; }

}  // namespace glassbox::replay
