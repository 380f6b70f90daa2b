#pragma once
// libcurl, loaded when something first needs it instead of linked into glassbox. Linking it cost
// every `glassbox record` ~6 ms of start-up: Debian's libcurl pulls in LDAP, RTMP and through
// them GnuTLS, which initialise at load time, yet only replay (the transport, the endpoint check,
// Retry-After dates) uses it. See bench/README.md, "Per invocation".
//
// The library is found by its soname on the dynamic linker's own search path, exactly as a
// linked libcurl would have been, so loading it late trusts nothing new: no path from the
// configuration, the working directory or a variable of our own.
#include <curl/curl.h>

#include "glassbox/status.h"

namespace glassbox::replay::detail {

// The entry points glassbox uses, typed from curl.h so every call is checked as before.
struct CurlApi {
  decltype(&curl_easy_init) easy_init;
  decltype(&curl_easy_cleanup) easy_cleanup;
  decltype(&curl_easy_setopt) easy_setopt;
  decltype(&curl_easy_perform) easy_perform;
  decltype(&curl_easy_getinfo) easy_getinfo;
  decltype(&curl_easy_strerror) easy_strerror;
  decltype(&curl_slist_append) slist_append;
  decltype(&curl_slist_free_all) slist_free_all;
  decltype(&curl_url) url;
  decltype(&curl_url_cleanup) url_cleanup;
  decltype(&curl_url_get) url_get;
  decltype(&curl_url_set) url_set;
  decltype(&curl_free) free;
  decltype(&curl_getdate) getdate;
};

// Loads libcurl and runs curl_global_init, once per process (thread-safe); afterwards returns
// the same table. An error names the library and the loader's reason.
const Result<const CurlApi*>& Curl();

}  // namespace glassbox::replay::detail
