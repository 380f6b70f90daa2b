#include "replay/curl_api.h"

#include <dlfcn.h>

#include <string>

namespace glassbox::replay::detail {
namespace {

// The OpenSSL flavour's soname (libcurl4-openssl-dev); the GnuTLS one is libcurl-gnutls.so.4.
constexpr const char* kCurlSoname = "libcurl.so.4";

template <typename Fn>
void Bind(void* lib, const char* name, Fn* fn, std::string* missing) {
  *fn = reinterpret_cast<Fn>(::dlsym(lib, name));
  if (*fn == nullptr && missing->empty()) *missing = name;
}

Result<const CurlApi*> Load() {
  // Never unloaded: handles and OpenSSL state live until exit.
  void* lib = ::dlopen(kCurlSoname, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (lib == nullptr) {
    const char* why = ::dlerror();
    std::string message = "replay needs libcurl (";
    message.append(kCurlSoname).append("): ").append(why ? why : "cannot be loaded");
    return Status::Permanent(message);
  }
  static CurlApi api{};
  std::string missing;
  Bind(lib, "curl_easy_init", &api.easy_init, &missing);
  Bind(lib, "curl_easy_cleanup", &api.easy_cleanup, &missing);
  Bind(lib, "curl_easy_setopt", &api.easy_setopt, &missing);
  Bind(lib, "curl_easy_perform", &api.easy_perform, &missing);
  Bind(lib, "curl_easy_getinfo", &api.easy_getinfo, &missing);
  Bind(lib, "curl_easy_strerror", &api.easy_strerror, &missing);
  Bind(lib, "curl_slist_append", &api.slist_append, &missing);
  Bind(lib, "curl_slist_free_all", &api.slist_free_all, &missing);
  Bind(lib, "curl_url", &api.url, &missing);
  Bind(lib, "curl_url_cleanup", &api.url_cleanup, &missing);
  Bind(lib, "curl_url_get", &api.url_get, &missing);
  Bind(lib, "curl_url_set", &api.url_set, &missing);
  Bind(lib, "curl_free", &api.free, &missing);
  Bind(lib, "curl_getdate", &api.getdate, &missing);
  decltype(&curl_global_init) global_init = nullptr;
  Bind(lib, "curl_global_init", &global_init, &missing);
  if (!missing.empty()) {
    std::string message = kCurlSoname;
    message.append(" lacks ").append(missing).append(" (libcurl 7.85 or newer is needed)");
    return Status::Permanent(message);
  }
  if (global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    return Status::Permanent("libcurl: global initialisation failed");
  }
  return &api;
}

}  // namespace

const Result<const CurlApi*>& Curl() {
  static const Result<const CurlApi*> api = Load();  // C++ runs this once, thread-safely
  return api;
}

}  // namespace glassbox::replay::detail
