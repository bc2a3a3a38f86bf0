// The embedded store's costs (docs/performance.md, "Store"): what writing a span costs the
// capture thread (copy + enqueue) and the writer thread (SQLite insert), and how long the query
// commands take on a store holding N spans (default 1 000 000).
//
//   otelbpf_store_bench [SPANS] [DIR] [write-only|keep]   (DIR: where the store file goes; /tmp)
//
// The spans are shaped like the agent's: pairs of a CLIENT span and the SERVER span stitched
// under it, 12 services, 40 routes, 2 % server errors, about twenty attributes each.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "query/filter_flags.h"
#include "query/red_stats.h"
#include "query/service_graph.h"
#include "store/span_query.h"
#include "store/span_store.h"
#include "store/sqlite_db.h"
#include "trace/ids.h"

using namespace otelbpf;

namespace {

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double ProcessCpuSeconds() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

uint64_t NowNs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

std::vector<ResourcePtr> MakeServices() {
  std::vector<ResourcePtr> out;
  for (int i = 0; i < 12; ++i) {
    auto r = std::make_shared<Resource>();
    const std::string name = "service-" + std::to_string(i);
    r->attributes = {{"service.name", name},
                     {"process.pid", int64_t{1000 + i}},
                     {"process.executable.name", std::string("python3")},
                     {"process.executable.path", std::string("/usr/bin/python3.11")},
                     {"process.command_line", "/usr/bin/python3 -m " + name + " --port 80"},
                     {"host.name", std::string("node-1")},
                     {"telemetry.sdk.name", std::string("otelbpf")}};
    out.push_back(std::move(r));
  }
  return out;
}

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
                  {AttributeKey::Static("network.protocol.version"), std::string("1.1")},
                  {AttributeKey::Static("server.address"), std::string("10.0.3.7")},
                  {AttributeKey::Static("server.port"), int64_t{8080}},
                  {AttributeKey::Static("network.peer.address"), std::string("10.0.3.7")},
                  {AttributeKey::Static("network.peer.port"), int64_t{8080}},
                  {AttributeKey::Static("user_agent.original"), std::string("python-requests/2.28")},
                  {AttributeKey::Static("http.response.body.size"), int64_t{512}},
                  {AttributeKey::Static("otelbpf.tcp.retransmits"), int64_t{0}},
                  {AttributeKey::Static("otelbpf.tcp.rtt"), 0.00004}};
  if (kind == SpanKind::kServer)
    s.attributes.push_back({AttributeKey::Static("client.address"), std::string("10.0.3.9")});
  return s;
}

double MedianMs(const std::function<size_t()>& run, size_t* rows) {
  std::vector<double> ms;
  for (int i = 0; i < 5; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    *rows = run();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                     .count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[2];
}

}  // namespace

int main(int argc, char** argv) {
  const size_t spans = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000;
  const std::string dir = argc > 2 ? argv[2] : "/tmp";
  const std::string path = dir + "/otelbpf-store-bench-" + std::to_string(getpid()) + ".db";
  store::StoreOptions options;
  options.path = path;
  options.max_bytes = 64ull << 30;  // no eviction: measure the writes themselves
  options.queue_capacity = 1 << 20;
  options.max_spans_per_second = 0;  // every span written: the cost of a write, not of sampling

  const auto services = MakeServices();
  IdGenerator ids;
  const uint64_t now = NowNs();
  const uint64_t step = 3600ull * 1000000000ull / spans;  // the spans cover the last hour
  // A client span and the server span stitched under it, for request i.
  auto make_pair = [&](size_t i, Span* client, Span* server) {
    const TraceId trace = ids.NewTraceId();
    const SpanId client_id = ids.NewSpanId(), server_id = ids.NewSpanId();
    const uint64_t start = now - 3600ull * 1000000000ull + i * step;
    const std::string path = "/api/v1/items/" + std::to_string(i % 40);
    const int64_t status = i % 100 < 2 ? 503 : 200;
    const ResourcePtr& caller = services[(i / 2) % services.size()];
    const ResourcePtr& callee = services[(i / 2 + 1) % services.size()];
    *client = HttpSpan(caller, SpanKind::kClient, trace, client_id, {}, start, 2000000, path,
                       status);
    *server = HttpSpan(callee, SpanKind::kServer, trace, server_id, client_id, start + 100000,
                       1800000, path, status);
  };
  // What building the spans costs this benchmark, to take it out of the writer's figure.
  const double build0 = ThreadCpuSeconds();
  for (size_t i = 0; i + 1 < spans; i += 2) {
    Span client, server;
    make_pair(i, &client, &server);
  }
  const double build_cpu = ThreadCpuSeconds() - build0;

  double produce_cpu = 0;
  const double cpu0 = ProcessCpuSeconds();
  const auto wall0 = std::chrono::steady_clock::now();
  store::StoreStats stats;
  {
    store::SpanStore writer(options);
    for (size_t i = 0; i + 1 < spans; i += 2) {
      Span client, server;
      make_pair(i, &client, &server);
      const double t0 = ThreadCpuSeconds();
      writer.Consume(client);  // what the capture thread pays: a copy and an enqueue
      writer.Consume(server);
      produce_cpu += ThreadCpuSeconds() - t0;
      if (i % 65536 == 0) writer.Flush();  // keep the queue bounded, as a steady rate would
    }
    writer.Shutdown();
    stats = writer.stats();
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  const double total_cpu = ProcessCpuSeconds() - cpu0;
  const double n = static_cast<double>(stats.written);
  std::printf("wrote %llu spans in %.1f s (%llu dropped)\n",
              static_cast<unsigned long long>(stats.written), wall,
              static_cast<unsigned long long>(stats.dropped_queue_full +
                                              stats.dropped_write_failed));
  std::printf("capture thread per span (copy + enqueue): %.2f us\n", produce_cpu / n * 1e6);
  std::printf("writer thread per span (row, JSON, SQLite insert, commit): %.2f us\n",
              (total_cpu - build_cpu - produce_cpu) / n * 1e6);
  std::printf("file: %.1f MiB (%.0f bytes per span)\n",
              static_cast<double>(std::filesystem::file_size(path)) / (1 << 20),
              static_cast<double>(std::filesystem::file_size(path)) / n);

  if (argc > 3 && std::string(argv[3]) == "write-only") {  // for perf record of the writes
    for (const char* suffix : {"", "-wal", "-shm", ".lock"})
      std::filesystem::remove(path + suffix);
    return 0;
  }
  if (argc > 3 && std::string(argv[3]) == "keep") {  // for EXPLAIN QUERY PLAN by hand
    std::printf("kept %s\n", path.c_str());
    return 0;
  }
  auto db = store::OpenForReading(path);
  auto filter = [&](std::vector<query::FilterFlag> flags) {
    std::string error;
    auto f = query::BuildFilter(flags, NowNs(), &error);
    if (!f) {
      std::fprintf(stderr, "%s\n", error.c_str());
      std::exit(1);
    }
    return *f;
  };
  struct Case {
    const char* name;
    std::function<size_t()> run;
  };
  const std::string some_trace = [&] {
    auto last = store::QuerySpans(*db, filter({{"last", "1"}}));
    return last.empty() ? std::string(32, '0') : ToHex(last[0].trace_id);
  }();
  const Case cases[] = {
      {"observe --last 20",
       [&] { return store::QuerySpans(*db, filter({{"last", "20"}})).size(); }},
      {"observe --last 20 --http-status 5+",
       [&] { return store::QuerySpans(*db, filter({{"last", "20"}, {"http-status", "5+"}})).size(); }},
      {"observe --last 20 --service service-3 --kind server",
       [&] {
         return store::QuerySpans(*db, filter({{"last", "20"}, {"service", "service-3"},
                                               {"kind", "server"}}))
             .size();
       }},
      {"observe --last 20 --from service-5",
       [&] { return store::QuerySpans(*db, filter({{"last", "20"}, {"from", "service-5"}})).size(); }},
      {"observe --since 1m",
       [&] { return store::QuerySpans(*db, filter({{"since", "1m"}})).size(); }},
      {"observe --trace ID",
       [&] { return store::QuerySpans(*db, filter({{"trace", some_trace}})).size(); }},
      {"stats --since 5m",
       [&] {
         auto f = filter({{"since", "5m"}});
         f.with_attributes = false;
         return query::ComputeRed(store::QuerySpans(*db, f), 300ull * 1000000000ull).size();
       }},
      {"map --since 5m",
       [&] {
         auto f = filter({{"since", "5m"}});
         f.with_attributes = false;
         return query::ComputeGraph(store::QuerySpans(*db, f), 300ull * 1000000000ull).size();
       }},
      {"stats --since 1h (every span)",
       [&] {
         auto f = filter({{"since", "2h"}});
         f.with_attributes = false;
         return query::ComputeRed(store::QuerySpans(*db, f), 3600ull * 1000000000ull).size();
       }},
  };
  for (const Case& c : cases) {
    size_t rows = 0;
    const double ms = MedianMs(c.run, &rows);
    std::printf("%-55s %9.2f ms  (%zu rows)\n", c.name, ms, rows);
  }
  db.reset();
  for (const char* suffix : {"", "-wal", "-shm", ".lock"})
    std::filesystem::remove(path + suffix);
  return 0;
}
