// The web UI's page load with a full store (docs/ui.md): N spans (default 100 000) written
// through the store's own writer, all within the last five minutes so the default window holds
// every one of them (the worst case for the map and RED), then the UI server started
// in-process and timed the way a browser loads the first view: the page, its script and
// stylesheet in parallel, then the status, map and RED calls in parallel. Also each API call
// alone, and reading the store through pooled connections vs one opened per request.
//
//   otelbpf_ui_bench [SPANS] [ROUNDS] [--serve SECONDS]
//   (--serve keeps the server up afterwards, printing its URL, to look at it in a browser)
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include "query/red_stats.h"
#include "query/service_graph.h"
#include "store/span_query.h"
#include "store/span_store.h"
#include "store/sqlite_db.h"
#include "trace/ids.h"
#include "ui/ui_server.h"

using namespace otelbpf;

namespace {

uint64_t NowNs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// Twelve services calling each other over 40 routes, 2 % errors: the shape store_bench writes.
Span HttpSpan(const ResourcePtr& resource, SpanKind kind, const TraceId& trace, const SpanId& id,
              const SpanId& parent, uint64_t start, uint64_t duration, const std::string& path,
              int64_t status) {
  Span s;
  s.trace_id = trace;
  s.span_id = id;
  s.parent_span_id = parent;
  s.name = "GET";
  s.kind = kind;
  s.start_time_unix_nano = start;
  s.end_time_unix_nano = start + duration;
  s.family = SemanticFamily::kHttp;
  s.status = status >= 500 ? StatusCode::kError : StatusCode::kUnset;
  s.resource = resource;
  s.attributes = {{AttributeKey::Static("http.request.method"), std::string("GET")},
                  {AttributeKey::Static("url.path"), path},
                  {AttributeKey::Static("url.scheme"), std::string("http")},
                  {AttributeKey::Static("url.template"), path},
                  {AttributeKey::Static("http.response.status_code"), status},
                  {AttributeKey::Static("server.address"), std::string("10.0.3.7")},
                  {AttributeKey::Static("server.port"), int64_t{8080}},
                  {AttributeKey::Static("network.peer.address"), std::string("10.0.3.7")},
                  {AttributeKey::Static("network.peer.port"), int64_t{8080}},
                  {AttributeKey::Static("otelbpf.tcp.retransmits"), int64_t{0}},
                  {AttributeKey::Static("otelbpf.tcp.rtt"), 0.00004}};
  if (kind == SpanKind::kServer)
    s.attributes.push_back({AttributeKey::Static("client.address"), std::string("10.0.3.9")});
  return s;
}

std::string WriteStore(size_t spans, std::string* a_trace) {
  const std::string path = "/tmp/otelbpf-ui-bench-" + std::to_string(getpid()) + ".db";
  store::StoreOptions options;
  options.path = path;
  options.max_bytes = 64ull << 30;
  options.queue_capacity = 1 << 20;
  options.max_spans_per_second = 0;  // every span stored: the UI reads all of them
  std::vector<ResourcePtr> services;
  for (int i = 0; i < 12; ++i) {
    auto r = std::make_shared<Resource>();
    r->attributes = {{"service.name", "service-" + std::to_string(i)},
                     {"process.pid", int64_t{1000 + i}},
                     {"process.executable.name", std::string("python3")}};
    services.push_back(std::move(r));
  }
  IdGenerator ids;
  const uint64_t window = 280ull * 1000000000ull;  // inside the default 5m window
  const uint64_t start0 = NowNs() - window;
  store::SpanStore writer(options);
  for (size_t i = 0; i + 1 < spans; i += 2) {
    const TraceId trace = ids.NewTraceId();
    const SpanId client_id = ids.NewSpanId(), server_id = ids.NewSpanId();
    const uint64_t start = start0 + i * (window / spans);
    const std::string route = "/api/v1/items/" + std::to_string(i % 40);
    const int64_t status = i % 100 < 2 ? 503 : 200;
    writer.Consume(HttpSpan(services[(i / 2) % 12], SpanKind::kClient, trace, client_id, {}, start,
                            2000000 + (i % 997) * 1000, route, status));
    writer.Consume(HttpSpan(services[(i / 2 + 1) % 12], SpanKind::kServer, trace, server_id,
                            client_id, start + 100000, 1800000, route, status));
    if (i == spans / 2) *a_trace = ToHex(trace);
    if (i % 65536 == 0) writer.Flush();
  }
  writer.Shutdown();
  std::printf("stored %llu spans in %s\n", static_cast<unsigned long long>(writer.stats().written),
              path.c_str());
  return path;
}

double Ms(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// One GET on a fresh connection, as a browser's first request to a host; exits on failure (a
// benchmark that silently measures errors is worse than none).
size_t Get(int port, const std::string& path) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(30);
  auto r = client.Get(path.c_str(), {{"Accept-Encoding", "gzip"}});
  if (!r || r->status != 200) {
    std::fprintf(stderr, "GET %s failed: %s\n", path.c_str(),
                 r ? std::to_string(r->status).c_str() : "no answer");
    std::exit(1);
  }
  return r->body.size();
}

// Requests at once, as a browser sends them; returns when the last answer is in.
void Parallel(int port, const std::vector<std::string>& paths) {
  std::vector<std::future<size_t>> answers;
  for (const auto& p : paths) answers.push_back(std::async(std::launch::async, Get, port, p));
  for (auto& a : answers) a.get();
}

struct Figures {
  double median, max;
};

Figures Measure(int rounds, const std::function<void()>& run) {
  std::vector<double> ms;
  for (int i = 0; i < rounds; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    run();
    ms.push_back(Ms(t0));
  }
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms.back()};
}

}  // namespace

int main(int argc, char** argv) {
  const size_t spans = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 100000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 12;
  int serve_seconds = 0;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::string(argv[i]) == "--serve") serve_seconds = std::atoi(argv[i + 1]);
  std::string trace;
  const std::string path = WriteStore(spans, &trace);

  {
    // Where an overview's time goes, in-process: reading the window's spans, then each view.
    auto db = store::OpenForReading(path);
    store::SpanFilter filter;
    filter.since_ns = NowNs() - 300ull * 1000000000ull;
    filter.with_attributes = false;
    std::vector<store::StoredSpan> read;
    const Figures q = Measure(rounds, [&] { read = store::QuerySpans(*db, filter); });
    const Figures g = Measure(rounds, [&] { query::ComputeGraph(read, 300ull * 1000000000ull); });
    const Figures r = Measure(rounds, [&] { query::ComputeRed(read, 300ull * 1000000000ull); });
    std::printf("\nin-process (median / max of %d rounds, ms)\n", rounds);
    std::printf("  QuerySpans, 5m window, light (%zu spans)        %7.1f  %7.1f\n", read.size(),
                q.median, q.max);
    std::printf("  ComputeGraph                                    %7.1f  %7.1f\n", g.median,
                g.max);
    std::printf("  ComputeRed                                      %7.1f  %7.1f\n", r.median,
                r.max);
  }

  for (bool reuse : {true, false}) {
    ui::UiServerOptions options;
    options.address = {"127.0.0.1", 0};
    options.store_path = path;
    options.reuse_connections = reuse;
    ui::UiServer server(std::move(options));
    std::string error;
    if (!server.Start(&error)) {
      std::fprintf(stderr, "%s\n", error.c_str());
      return 1;
    }
    const int port = server.port();
    std::printf("\n%s (median / max of %d rounds, ms)\n",
                reuse ? "pooled read connections (the agent's setting)"
                      : "a read connection opened per request",
                rounds);
    // The first view (Overview): what index.html and app.js request, in the browser's order.
    const Figures first = Measure(rounds, [&] {
      Get(port, "/");
      Parallel(port, {"/app.js", "/style.css"});
      Parallel(port, {"/api/status", "/api/overview?since=5m"});
    });
    std::printf("  first view (page, assets, status + overview)    %7.1f  %7.1f\n", first.median,
                first.max);
    const std::vector<std::pair<const char*, std::string>> calls = {
        {"GET /", "/"},
        {"GET /app.js", "/app.js"},
        {"GET /api/overview?since=5m (map + RED)", "/api/overview?since=5m"},
        {"GET /api/map?since=5m", "/api/map?since=5m"},
        {"GET /api/stats?since=5m", "/api/stats?since=5m"},
        {"GET /api/map?since=24h", "/api/map?since=24h"},
        {"GET /api/spans?since=5m&last=200", "/api/spans?since=5m&last=200"},
        {"GET /api/spans?...&http-status=5+", "/api/spans?since=5m&last=200&http-status=5%2B"},
        {"GET /api/trace/ID", "/api/trace/" + trace},
        {"GET /api/events?since=5m", "/api/events?since=5m"},
    };
    for (const auto& [name, url] : calls) {
      size_t bytes = 0;
      const Figures f = Measure(rounds, [&, u = url] { bytes = Get(port, u); });
      std::printf("  %-46s  %7.1f  %7.1f   (%zu bytes)\n", name, f.median, f.max, bytes);
    }
    if (reuse && serve_seconds > 0) {
      std::printf("serving http://127.0.0.1:%d/ for %d s\n", port, serve_seconds);
      std::fflush(stdout);
      std::this_thread::sleep_for(std::chrono::seconds(serve_seconds));
    }
  }
  for (const char* suffix : {"", "-wal", "-shm", ".lock"}) std::filesystem::remove(path + suffix);
  return 0;
}
