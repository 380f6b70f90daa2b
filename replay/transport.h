#pragma once
// The transport moves bytes and nothing else: no policy, no journal. The upload loop talks to
// this interface, so tests drive it with a scripted fake (tests/replay/uploader_test.cc).
//
// Contract: Post sends one request and returns the collector's answer, or a Status when no
// HTTP answer arrived: Transient for what may heal by itself (refused or reset connections,
// timeouts, DNS), Permanent for what needs a person (TLS verification, a bad CA file, an
// unsupported URL). Messages name the failure, never header values or the body.
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "glassbox/status.h"
#include "replay/config.h"

namespace glassbox::replay {

struct HttpRequest {
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  const std::string* body = nullptr;  // the wire bytes (compressed as Content-Encoding says)
};

struct HttpResponse {
  long status = 0;
  std::string retry_after;  // the Retry-After header, if any
  std::string excerpt;      // the first bytes of the response body, for reports
};

class Transport {
 public:
  virtual ~Transport() = default;
  virtual Result<HttpResponse> Post(const HttpRequest& request) = 0;
};

struct TransportOptions {
  Millis connect_timeout{10'000};
  Millis timeout{60'000};
  std::string ca_file;  // empty: the system store
};

// libcurl with OpenSSL. TLS peer and host verification are always on; proxies come from the
// standard environment variables (https_proxy, no_proxy, ...); one connection is kept alive
// across requests.
Result<std::unique_ptr<Transport>> NewCurlTransport(const TransportOptions& options);

}  // namespace glassbox::replay
