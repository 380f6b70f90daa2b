// The endpoint rule (TLS unless loopback) and header values from env or files. URLs are
// parsed by libcurl's URL API, the same parser the transport uses.
#include <cstdlib>
#include <memory>

#include "base/files.h"
#include "replay/config.h"
#include "replay/curl_api.h"

namespace glassbox::replay {
namespace {

using detail::CurlApi;

struct UrlDeleter {
  const CurlApi* curl;
  void operator()(CURLU* u) const { curl->url_cleanup(u); }
};

std::string UrlPart(const CurlApi& curl, CURLU* url, CURLUPart part) {
  char* raw = nullptr;
  if (curl.url_get(url, part, &raw, 0) != CURLUE_OK) return "";
  std::string text = raw;
  curl.free(raw);
  return text;
}

bool IsLoopbackHost(const std::string& host) {
  return host == "localhost" || host == "[::1]" || host == "::1" || host.rfind("127.", 0) == 0;
}

std::string TrimNewlines(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

}  // namespace

Status CheckEndpoint(const std::string& endpoint, bool allow_insecure_http) {
  const auto& loaded = detail::Curl();
  if (!loaded.ok()) return loaded.status();
  const CurlApi& curl = *loaded.value();
  std::unique_ptr<CURLU, UrlDeleter> url(curl.url(), UrlDeleter{&curl});
  if (!url || curl.url_set(url.get(), CURLUPART_URL, endpoint.c_str(), 0) != CURLUE_OK) {
    return Status::InvalidArgument("config: upload.endpoint: not a valid URL");
  }
  std::string scheme = UrlPart(curl, url.get(), CURLUPART_SCHEME);
  if (scheme == "https") return Status::Ok();
  if (scheme != "http") {
    return Status::InvalidArgument("config: upload.endpoint: scheme must be https or http");
  }
  if (allow_insecure_http || IsLoopbackHost(UrlPart(curl, url.get(), CURLUPART_HOST))) {
    return Status::Ok();
  }
  return Status::InvalidArgument(
      "config: upload.endpoint: plain http is allowed only to a loopback host; use https or set "
      "upload.allow_insecure_http = true");
}

Result<std::vector<std::pair<std::string, std::string>>> ResolveHeaders(
    const std::vector<HeaderSpec>& headers) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const HeaderSpec& h : headers) {
    std::string value = h.ref;
    if (h.source == HeaderSpec::Source::kEnv) {
      const char* env = std::getenv(h.ref.c_str());
      if (!env || !*env) {
        return Status::InvalidArgument("config: upload.headers." + h.name +
                                       ": environment variable " + h.ref + " is not set");
      }
      value = env;
    } else if (h.source == HeaderSpec::Source::kFile) {
      auto text = base::ReadFile(h.ref, 64 << 10);
      if (!text.ok()) {
        return Status::InvalidArgument("config: upload.headers." + h.name + ": cannot read " +
                                       h.ref);
      }
      value = TrimNewlines(text.value());
    }
    if (value.find_first_of("\r\n") != std::string::npos) {
      return Status::InvalidArgument("config: upload.headers." + h.name +
                                     ": the value holds a line break");
    }
    out.emplace_back(h.name, std::move(value));
  }
  return out;
}

}  // namespace glassbox::replay
