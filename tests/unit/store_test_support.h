// Spans and store files for the store and query tests: a temporary directory removed at the
// end, and spans shaped like the ones protocols build.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "store/span_store.h"
#include "trace/span.h"

namespace otelbpf::testing {

class TempStoreDir {
 public:
  TempStoreDir() {
    char name[] = "/tmp/otelbpf-store-test-XXXXXX";
    dir_ = ::mkdtemp(name);
  }
  ~TempStoreDir() { std::filesystem::remove_all(dir_); }
  std::string File(const std::string& name = "store.db") const { return dir_ + "/" + name; }

 private:
  std::string dir_;
};

inline ResourcePtr MakeResource(const std::string& service, int64_t pid) {
  auto r = std::make_shared<Resource>();
  r->attributes = {{"service.name", service},
                   {"process.pid", pid},
                   {"process.executable.name", service + "-bin"}};
  return r;
}

// An HTTP span: `kind` SERVER or CLIENT, ids from `n` so tests can name them.
inline Span MakeHttpSpan(ResourcePtr resource, SpanKind kind, uint8_t trace, uint8_t id,
                         uint8_t parent, uint64_t start_ns, uint64_t duration_ns,
                         const std::string& method, const std::string& path, int64_t status) {
  Span s;
  s.trace_id[15] = trace;
  s.span_id[7] = id;
  s.parent_span_id[7] = parent;
  s.name = method;
  s.kind = kind;
  s.start_time_unix_nano = start_ns;
  s.end_time_unix_nano = start_ns + duration_ns;
  s.family = SemanticFamily::kHttp;
  s.status = status >= (kind == SpanKind::kServer ? 500 : 400) ? StatusCode::kError
                                                               : StatusCode::kUnset;
  s.attributes = {{"http.request.method", method},
                  {"url.path", path},
                  {"http.response.status_code", status},
                  {"server.port", int64_t{8080}}};
  if (kind == SpanKind::kServer) {
    s.attributes.push_back({"client.address", std::string("10.0.0.9")});
    s.attributes.push_back({"network.peer.port", int64_t{40000}});
  } else {
    s.attributes.push_back({"server.address", std::string("10.0.0.5")});
  }
  s.resource = std::move(resource);
  return s;
}

}  // namespace otelbpf::testing
