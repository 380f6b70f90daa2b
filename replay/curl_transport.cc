// libcurl transport. One easy handle per run so HTTP/1.1 keep-alive carries every batch over
// one connection.
#include <algorithm>
#include <cctype>
#include <memory>

#include "replay/curl_api.h"
#include "replay/transport.h"

namespace glassbox::replay {
namespace {

constexpr size_t kExcerptBytes = 512;

using detail::CurlApi;

struct EasyDeleter {
  const CurlApi* curl;
  void operator()(CURL* c) const { curl->easy_cleanup(c); }
};
struct ListDeleter {
  const CurlApi* curl;
  void operator()(curl_slist* l) const { curl->slist_free_all(l); }
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
  CurlTransport(const CurlApi* curl, CURL* easy) : curl_(curl), easy_(easy, EasyDeleter{curl}) {}

  Result<HttpResponse> Post(const HttpRequest& request) override {
    HttpResponse response;
    std::unique_ptr<curl_slist, ListDeleter> headers(BuildHeaders(request), ListDeleter{curl_});
    CURL* c = easy_.get();
    curl_->easy_setopt(c, CURLOPT_URL, request.url.c_str());
    curl_->easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl_->easy_setopt(c, CURLOPT_POSTFIELDS, request.body->data());
    curl_->easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body->size()));
    curl_->easy_setopt(c, CURLOPT_HEADERDATA, &response);
    curl_->easy_setopt(c, CURLOPT_WRITEDATA, &response);
    CURLcode rc = curl_->easy_perform(c);
    curl_->easy_setopt(c, CURLOPT_HTTPHEADER, nullptr);
    if (rc != CURLE_OK) {
      std::string what = std::string("POST ") + Host(request.url) + ": " + curl_->easy_strerror(rc);
      return IsPermanent(rc) ? Status::Permanent(what) : Status::Transient(what);
    }
    curl_->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
    return response;
  }

 private:
  curl_slist* BuildHeaders(const HttpRequest& request) {
    curl_slist* list = nullptr;
    for (const auto& [name, value] : request.headers) {
      list = curl_->slist_append(list, (name + ": " + value).c_str());
    }
    // No "Expect: 100-continue" round trip before large bodies.
    return curl_->slist_append(list, "Expect:");
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

  const CurlApi* curl_;
  std::unique_ptr<CURL, EasyDeleter> easy_;
};

}  // namespace

Result<std::unique_ptr<Transport>> NewCurlTransport(const TransportOptions& options) {
  const auto& loaded = detail::Curl();
  if (!loaded.ok()) return loaded.status();
  const CurlApi* curl = loaded.value();
  CURL* c = curl->easy_init();
  if (!c) return Status::IoError("libcurl: cannot create a handle");
  curl->easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl->easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl->easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl->easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl->easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options.ca_file.empty()) curl->easy_setopt(c, CURLOPT_CAINFO, options.ca_file.c_str());
  curl->easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                    static_cast<long>(options.connect_timeout.count()));
  curl->easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout.count()));
  curl->easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
  curl->easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
  curl->easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
  return std::unique_ptr<Transport>(new CurlTransport(curl, c));
}

}  // namespace glassbox::replay
