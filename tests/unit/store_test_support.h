// Spans and store files for the store and query tests: a temporary directory removed at the
// end, and spans shaped like the ones protocols build.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <utility>

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

// A small world, as the query and UI tests read it: curl → nginx (both traced, stitched) → an
// untraced upstream at 10.0.0.5:8080; 10 traces over the 20 s before `now_ns` (trace t starts
// (20 - t) s before it), the last two failing (502), the last one with two TCP retransmissions
// (and their events) on nginx's upstream call; one DNS query (trace 99) by curl.
inline void WriteCurlNginxWorld(store::SpanStore& writer, uint64_t now_ns) {
  constexpr uint64_t kMs = 1'000'000ull;
  auto curl = MakeResource("curl", 100);
  auto nginx = MakeResource("nginx", 200);
  for (uint8_t t = 1; t <= 10; ++t) {
    const uint64_t start = now_ns - (20 - t) * 1000 * kMs;
    const int64_t status = t > 8 ? 502 : 200;
    const std::string path = "/api/" + std::to_string(t);
    writer.Consume(MakeHttpSpan(curl, SpanKind::kClient, t, 1, 0, start, 10 * t * kMs, "GET",
                                path, status));
    writer.Consume(MakeHttpSpan(nginx, SpanKind::kServer, t, 2, 1, start + kMs, 9 * t * kMs,
                                "GET", path, status));
    Span upstream = MakeHttpSpan(nginx, SpanKind::kClient, t, 3, 2, start + 2 * kMs, 8 * t * kMs,
                                 "GET", "/backend", status);
    if (t == 10) {
      upstream.attributes.push_back({"otelbpf.tcp.retransmits", int64_t{2}});
      upstream.attributes.push_back({"otelbpf.tcp.rtt", 0.0125});
      for (uint64_t at : {start + 10 * kMs, start + 30 * kMs})
        upstream.events.push_back({at,
                                   "otelbpf.tcp.retransmit",
                                   {{"otelbpf.tcp.state", std::string("ESTABLISHED")},
                                    {"otelbpf.tcp.side", std::string("local")}}});
    }
    writer.Consume(upstream);
  }
  Span dns;
  dns.trace_id[15] = 99;
  dns.span_id[7] = 1;
  dns.name = "A";
  dns.kind = SpanKind::kClient;
  dns.family = SemanticFamily::kDns;
  dns.start_time_unix_nano = now_ns - 5000 * kMs;
  dns.end_time_unix_nano = dns.start_time_unix_nano + kMs;
  dns.attributes = {{"dns.question.name", std::string("example.com")},
                    {"server.address", std::string("127.0.0.53")},
                    {"server.port", int64_t{53}}};
  dns.resource = curl;
  writer.Consume(dns);
}

}  // namespace otelbpf::testing
