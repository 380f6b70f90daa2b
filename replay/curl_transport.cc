// libcurl transport. One easy handle per run so HTTP/1.1 keep-alive carries every batch over
// one connection.
#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>

#include "replay/transport.h"

namespace glassbox::replay {
namespace {

constexpr size_t kExcerptBytes = 512;

struct EasyDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct ListDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  std::string_view line(data, size * n);
  auto* response = static_cast<HttpResponse*>(user);
  // A new status line (after a 100 Continue or a proxy's CONNECT) starts a new header set.
  if (line.rfind("HTTP/", 0) == 0) response->retry_after.clear();
  if (StartsWithNoCase(line, "retry-after:")) {
    std::string_view v = line.substr(12);
    while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.remove_suffix(1);
    response->retry_after = std::string(v);
  }
  return size * n;
}

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* response = static_cast<HttpResponse*>(user);
  size_t room = kExcerptBytes - std::min(kExcerptBytes, response->excerpt.size());
  response->excerpt.append(data, std::min(room, size * n));
  return size * n;
}

// What a person must fix versus what may heal by itself.
bool IsPermanent(CURLcode rc) {
  switch (rc) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_ENGINE_NOTFOUND:
      return true;
    default:
      return false;
  }
}

class CurlTransport : public Transport {
 public:
  explicit CurlTransport(CURL* easy) : easy_(easy) {}

  Result<HttpResponse> Post(const HttpRequest& request) override {
    HttpResponse response;
    std::unique_ptr<curl_slist, ListDeleter> headers(BuildHeaders(request));
    CURL* c = easy_.get();
    curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body->data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body->size()));
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &response);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &response);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, nullptr);
    if (rc != CURLE_OK) {
      std::string what = std::string("POST ") + Host(request.url) + ": " + curl_easy_strerror(rc);
      return IsPermanent(rc) ? Status::Permanent(what) : Status::Transient(what);
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
    return response;
  }

 private:
  static curl_slist* BuildHeaders(const HttpRequest& request) {
    curl_slist* list = nullptr;
    for (const auto& [name, value] : request.headers) {
      list = curl_slist_append(list, (name + ": " + value).c_str());
    }
    // No "Expect: 100-continue" round trip before large bodies.
    return curl_slist_append(list, "Expect:");
  }

  // Scheme and host only: a URL's path or query could carry a token.
  static std::string Host(const std::string& url) {
    size_t start = url.find("://");
    start = start == std::string::npos ? 0 : start + 3;
    size_t end = url.find_first_of("/?#", start);
    std::string authority = url.substr(0, end);
    size_t at = authority.find('@', start);
    return at == std::string::npos ? authority
                                   : authority.substr(0, start) + authority.substr(at + 1);
  }

  std::unique_ptr<CURL, EasyDeleter> easy_;
};

}  // namespace

Result<std::unique_ptr<Transport>> NewCurlTransport(const TransportOptions& options) {
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  CURL* c = curl_easy_init();
  if (!c) return Status::IoError("libcurl: cannot create a handle");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, options.ca_file.c_str());
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout.count()));
  curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
  return std::unique_ptr<Transport>(new CurlTransport(c));
}

}  // namespace glassbox::replay
