#include "query/query_commands.h"

#include <poll.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <thread>

#include "query/filter_flags.h"
#include "query/metric_table.h"
#include "query/red_stats.h"
#include "query/service_graph.h"
#include "query/span_lines.h"
#include "query/trace_waterfall.h"
#include "store/commit_feed.h"
#include "store/metric_points.h"
#include "store/net_event_query.h"
#include "store/span_query.h"
#include "store/span_store.h"
#include "store/sqlite_db.h"

namespace otelbpf::query {
namespace {

constexpr const char* kObserveFooter = R"(
Filters (repeat a flag for alternatives; different flags must all match; --not negates the
flag that follows it):
  --since 5m --until 1m     a time ago (30s, 5m, 2h, 1d) or RFC 3339 UTC (2026-12-04T05:00:00Z)
  --last 50                 the newest 50 matching spans (default 20 without --since)
  --pid 1234 --exe 'ngin*' --service checkout
  --from X / --to X         the calling / called end: a service, an address, a port or addr:port
  --protocol http|grpc|dns|postgresql|mysql|redis|memcached
  --http-status 5+          a class (5+), a code (404) or a range (500-599)
  --http-method GET --http-path '^/api/'  (a regular expression on the path)
  --min-duration 100ms --trace TRACE_ID --errors --kind server|client

Examples:
  otelbpf observe --last 100 --protocol http --http-status 5+
  otelbpf observe -f --to postgres --min-duration 50ms
  otelbpf observe --not --protocol dns -o json | jq .trace_id
)";

volatile std::sig_atomic_t g_interrupted = 0;

uint64_t NowNs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// Names of the value flags, in the order of values_[]; then the two switches.
const char* const kValueFlags[] = {"since", "until", "last", "min-duration", "pid", "exe",
                                   "service", "from", "to", "protocol", "http-method",
                                   "http-status", "http-path", "trace", "kind"};
const char* const kSwitchFlags[] = {"not", "errors"};

void AddStoreFlag(CLI::App* command, std::string* path) {
  command->add_option("--store", *path, "The store file `otelbpf run` writes")
      ->envname("OTEL_EBPF_STORE")
      ->default_val(store::kDefaultStorePath)
      ->type_name("PATH");
}

// The filter flags in command-line order, as BuildFilter wants them.
std::vector<FilterFlag> OrderedFlags(const CLI::App* command) {
  std::vector<FilterFlag> flags;
  std::map<const CLI::Option*, size_t> seen;
  for (const CLI::Option* option : command->parse_order()) {
    std::string name = option->get_name();
    while (!name.empty() && name[0] == '-') name.erase(0, 1);
    const bool is_filter = std::find(std::begin(kValueFlags), std::end(kValueFlags), name) !=
                               std::end(kValueFlags) ||
                           std::find(std::begin(kSwitchFlags), std::end(kSwitchFlags), name) !=
                               std::end(kSwitchFlags);
    if (!is_filter) continue;
    const size_t occurrence = seen[option]++;
    const auto& results = option->results();
    const bool is_switch = std::find(std::begin(kSwitchFlags), std::end(kSwitchFlags), name) !=
                           std::end(kSwitchFlags);
    flags.push_back({name, is_switch || occurrence >= results.size() ? "" : results[occurrence]});
  }
  return flags;
}

std::optional<store::SpanFilter> FilterFrom(const CLI::App* command, const char* default_since,
                                            uint64_t now) {
  std::vector<FilterFlag> flags = OrderedFlags(command);
  if (default_since && std::none_of(flags.begin(), flags.end(), [](const FilterFlag& f) {
        return f.name == "since" || f.name == "last";
      }))
    flags.insert(flags.begin(), {"since", default_since});
  std::string error;
  auto filter = BuildFilter(flags, now, &error);
  if (!filter) std::fprintf(stderr, "otelbpf: %s\n", error.c_str());
  return filter;
}

}  // namespace

QueryCommands::QueryCommands(CLI::App* app) {
  observe_ = app->add_subcommand(
      "observe", "Print captured spans from the store, one per line, with Hubble-style filters");
  stats_ = app->add_subcommand(
      "stats", "Rate, errors and p50/p90/p99 per service and operation over a window");
  map_ = app->add_subcommand("map", "Who calls whom on this host: the service graph as text or dot");
  trace_ = app->add_subcommand("trace", "One trace as a waterfall in the terminal");
  events_ = app->add_subcommand(
      "events", "TCP connections (up, failed, down), retransmissions and getaddrinfo lookups");
  metrics_ = app->add_subcommand(
      "metrics",
      "The agent's metrics as the store snapshots them each minute: per series the latest "
      "value, its increase and rate over the window, histogram means and percentile bounds");
  observe_->footer(kObserveFooter);

  size_t slot = 0;
  for (const char* name : kValueFlags) {
    std::vector<std::string>* values = &values_[slot++];
    const std::string flag = std::string("--") + name;
    if (flag == "--since")
      observe_->add_option(flag, *values, "Spans that started after this (5m ago, or a time)");
    else if (flag == "--last")
      observe_->add_option(flag, *values, "The newest N matching spans");
    else
      observe_->add_option(flag, *values, "Filter (see below)");
  }
  observe_->add_flag("--not", switches_[0], "Negate the filter flag that follows");
  observe_->add_flag("--errors", switches_[1], "Only spans with status ERROR");
  observe_->add_flag("-f,--follow", follow_, "Keep printing new spans as the agent stores them");
  observe_->add_option("-o,--output", output_, "compact, json (one object per line) or table")
      ->check(CLI::IsMember({"compact", "json", "table"}));
  AddStoreFlag(observe_, &store_path_);

  for (CLI::App* command : {stats_, map_}) {
    command->add_option("--since", window_, "The window: spans that started this long ago or later")
        ->default_val("5m");
    command->add_option("--service", values_[6], "Only these services (repeatable)");
    command->add_option("--protocol", values_[9], "Only these protocols (repeatable)");
    AddStoreFlag(command, &store_path_);
  }
  map_->add_flag("--dot", dot_, "Print Graphviz dot (otelbpf map --dot | dot -Tsvg > map.svg)");
  trace_->add_option("ID", trace_id_, "The trace id (32 hex digits), as observe prints it")
      ->required();
  AddStoreFlag(trace_, &store_path_);

  events_->add_option("--kind", event_kinds_,
                      "tcp_up, tcp_failed, tcp_down, tcp_retransmit or dns_lookup (repeatable)")
      ->check(CLI::IsMember({"tcp_up", "tcp_failed", "tcp_down", "tcp_retransmit", "dns_lookup"}));
  events_->add_option("--service", values_[6], "Only these services (repeatable)");
  events_->add_option("--since", window_, "Events this long ago or later (default 5m)")
      ->default_val("5m");
  events_->add_option("--last", events_last_, "The newest N events");
  events_->add_option("-o,--output", output_, "compact or json")
      ->check(CLI::IsMember({"compact", "json"}));
  AddStoreFlag(events_, &store_path_);

  metrics_->add_option("--name", metric_names_,
                       "Only metrics whose name matches this glob (repeatable), e.g. "
                       "'http.server.*' or 'otelbpf.store.*'");
  metrics_->add_option("--service", values_[6], "Only these services (repeatable)");
  metrics_->add_option("--since", metrics_window_, "The window (default 1h)");
  metrics_->add_option("-o,--output", output_, "table or json (one object per series)")
      ->check(CLI::IsMember({"compact", "table", "json"}));
  AddStoreFlag(metrics_, &store_path_);
  metrics_->footer(R"(
Counters and histograms are cumulative; INCREASE and RATE/s are over the window, measured from
the last snapshot before it. P50<= and P99<= are histogram bucket bounds, not exact values.
Snapshots are taken every minute and at stop, so the newest minute may not be there yet.

Examples:
  otelbpf metrics --name 'http.server.*' --since 15m
  otelbpf metrics --service nginx -o json | jq 'select(.rate_per_s > 1)'
)");
}

std::optional<int> QueryCommands::RunIfChosen() {
  try {
    if (observe_->parsed()) return Observe();
    if (stats_->parsed()) return Stats();
    if (map_->parsed()) return Map();
    if (trace_->parsed()) return Trace();
    if (events_->parsed()) return Events();
    if (metrics_->parsed()) return Metrics();
  } catch (const store::StoreError& e) {
    std::fprintf(stderr, "otelbpf: %s\n", e.what());
    return 1;
  }
  return std::nullopt;
}

int QueryCommands::Observe() {
  if (follow_ && output_ == "table") {
    std::fprintf(stderr, "otelbpf: -o table needs every row first: use compact or json with -f\n");
    return 2;
  }
  auto filter = FilterFrom(observe_, nullptr, NowNs());
  if (!filter) return 2;
  if (!filter->last && !filter->since_ns) filter->last = 20;
  auto db = store::OpenForReading(store_path_);
  auto print = [&](const std::vector<store::StoredSpan>& spans) {
    if (output_ == "table") {
      std::fputs(FormatTable(spans).c_str(), stdout);
    } else {
      for (const auto& s : spans)
        std::printf("%s\n", (output_ == "json" ? FormatJson(s) : FormatCompact(s)).c_str());
    }
    std::fflush(stdout);
  };
  std::vector<store::StoredSpan> spans = store::QuerySpans(*db, *filter);
  print(spans);
  if (!follow_) return 0;
  // Following, from the last row printed (or the newest row when nothing matched yet). The
  // running agent says when it commits, over a unix socket (store/commit_feed.h); with no agent
  // there, or an old one, the file is polled every 250 ms (the agent commits every 200 ms).
  int64_t last_id = spans.empty() ? db->QueryInt("SELECT MAX(id) FROM spans").value_or(0)
                                  : spans.back().id;
  filter->last = 0;
  filter->since_ns = 0;
  std::signal(SIGINT, [](int) { g_interrupted = 1; });
  std::signal(SIGTERM, [](int) { g_interrupted = 1; });
  int feed = store::ConnectCommitFeed(store_path_);
  while (!g_interrupted) {
    if (feed >= 0) {
      pollfd ready{feed, POLLIN, 0};
      // A second at most, so Ctrl-C is seen even if the signal lands outside poll().
      if (::poll(&ready, 1, 1000) <= 0) continue;  // quiet, or interrupted
      char lines[256];
      if (::read(feed, lines, sizeof lines) <= 0) {  // the agent stopped: poll until one is back
        ::close(feed);
        feed = -1;
      }
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
      feed = store::ConnectCommitFeed(store_path_);
    }
    filter->after_id = last_id;
    spans = store::QuerySpans(*db, *filter);
    if (!spans.empty()) last_id = spans.back().id;
    print(spans);
  }
  if (feed >= 0) ::close(feed);
  return 0;
}

namespace {

std::optional<std::pair<store::SpanFilter, uint64_t>> WindowFilter(CLI::App* command,
                                                                   const std::string& window) {
  const uint64_t now = NowNs();
  auto filter = FilterFrom(command, nullptr, now);
  if (!filter) return std::nullopt;
  const auto since = ParseTimePoint(window, now);
  if (!since) {
    std::fprintf(stderr, "otelbpf: --since %s: a time ago (30s, 5m, 2h, 1d) or an RFC 3339 UTC "
                         "time\n", window.c_str());
    return std::nullopt;
  }
  filter->since_ns = *since;
  filter->with_attributes = false;
  return std::make_pair(*filter, now - *since);
}

}  // namespace

int QueryCommands::Stats() {
  auto window = WindowFilter(stats_, window_);
  if (!window) return 2;
  auto db = store::OpenForReading(store_path_);
  const auto rows = ComputeRed(store::QuerySpans(*db, window->first), window->second);
  if (rows.empty()) {
    std::printf("no spans stored since %s ago\n", window_.c_str());
    return 0;
  }
  std::fputs(FormatRedTable(rows).c_str(), stdout);
  return 0;
}

int QueryCommands::Map() {
  auto window = WindowFilter(map_, window_);
  if (!window) return 2;
  auto db = store::OpenForReading(store_path_);
  const auto edges = ComputeGraph(store::QuerySpans(*db, window->first), window->second);
  std::fputs((dot_ ? FormatGraphDot(edges) : FormatGraphText(edges)).c_str(), stdout);
  if (edges.empty() && !dot_) std::printf("no calls stored since %s ago\n", window_.c_str());
  return 0;
}

int QueryCommands::Trace() {
  const auto id = store::ParseTraceId(trace_id_);
  if (!id) {
    std::fprintf(stderr, "otelbpf: not a trace id (32 hex digits): %s\n", trace_id_.c_str());
    return 2;
  }
  auto db = store::OpenForReading(store_path_);
  const auto spans = store::TraceSpans(*db, *id);
  if (spans.empty()) {
    std::fprintf(stderr, "otelbpf: no span of trace %s in %s\n", trace_id_.c_str(),
                 store_path_.c_str());
    return 1;
  }
  std::fputs(FormatWaterfall(spans).c_str(), stdout);
  return 0;
}

int QueryCommands::Events() {
  store::NetEventFilter filter;
  const auto since = ParseTimePoint(window_, NowNs());
  if (!since) {
    std::fprintf(stderr, "otelbpf: --since %s: a time ago (30s, 5m, 2h, 1d) or an RFC 3339 UTC "
                         "time\n", window_.c_str());
    return 2;
  }
  filter.since_ns = *since;
  filter.kinds = event_kinds_;
  filter.services = values_[6];
  if (!events_last_.empty()) {
    char* end = nullptr;
    const long long n = std::strtoll(events_last_.c_str(), &end, 10);
    if (*end || n <= 0) {
      std::fprintf(stderr, "otelbpf: --last %s: a positive number\n", events_last_.c_str());
      return 2;
    }
    filter.last = static_cast<size_t>(n);
  }
  auto db = store::OpenForReading(store_path_);
  for (const auto& e : store::QueryNetEvents(*db, filter))
    std::printf("%s\n", (output_ == "json" ? FormatNetEventJson(e) : FormatNetEvent(e)).c_str());
  return 0;
}

int QueryCommands::Metrics() {
  const uint64_t now = NowNs();
  const auto since = ParseTimePoint(metrics_window_, now);
  if (!since) {
    std::fprintf(stderr, "otelbpf: --since %s: a time ago (30s, 5m, 2h, 1d) or an RFC 3339 UTC "
                         "time\n", metrics_window_.c_str());
    return 2;
  }
  store::MetricPointFilter filter;
  filter.since_ns = *since;
  filter.name_globs = metric_names_;
  filter.services = values_[6];
  auto db = store::OpenForReading(store_path_);
  std::vector<store::MetricPoint> baselines;
  const auto points = store::QueryMetricPoints(*db, filter, &baselines);
  const auto rows = ComputeMetricRows(points, baselines, *since, now);
  if (output_ == "json") {
    for (const auto& row : rows) std::printf("%s\n", FormatMetricJson(row).c_str());
  } else if (rows.empty()) {
    std::printf("no metric snapshot stored since %s ago (the agent takes one a minute)\n",
                metrics_window_.c_str());
  } else {
    std::fputs(FormatMetricTable(rows).c_str(), stdout);
  }
  return 0;
}

}  // namespace otelbpf::query
