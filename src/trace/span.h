// The span model shared by every stage after protocol parsing: trace assembly fills it,
// exporters (OTLP, console) read it. Plain data, no behaviour.
#pragma once

#include <array>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace otelbpf {

// Values follow OTLP's AnyValue subset we emit.
using AttributeValue = std::variant<std::string, int64_t, double, bool>;

// An attribute's name. The names span builders set are string literals: kept as views, never
// copied (a span carries about fifteen, most longer than std::string's inline buffer, so each
// was a heap allocation: ~10 % of the agent's CPU per span). Names known only at run time
// (OTEL_RESOURCE_ATTRIBUTES, metric series) are owned.
class AttributeKey {
 public:
  AttributeKey() = default;
  AttributeKey(std::string owned) : key_(std::move(owned)) {}  // NOLINT: implicit on purpose
  AttributeKey(const char* owned) : key_(std::string(owned)) {}  // NOLINT
  // `name` must outlive every copy of the key: a string literal.
  static AttributeKey Static(std::string_view name) {
    AttributeKey k;
    k.key_ = name;
    return k;
  }
  std::string_view view() const {
    return std::visit([](const auto& k) { return std::string_view(k); }, key_);
  }
  operator std::string_view() const { return view(); }  // NOLINT: reads as a name
  std::string str() const { return std::string(view()); }
  size_t size() const { return view().size(); }
  bool empty() const { return view().empty(); }
  friend bool operator==(const AttributeKey& a, std::string_view b) { return a.view() == b; }
  friend bool operator==(const AttributeKey& a, const std::string& b) { return a.view() == b; }
  friend bool operator==(const AttributeKey& a, const char* b) { return a.view() == b; }
  friend bool operator==(const AttributeKey& a, const AttributeKey& b) {
    return a.view() == b.view();
  }
  friend std::ostream& operator<<(std::ostream& out, const AttributeKey& k);

 private:
  std::variant<std::string, std::string_view> key_;
};

struct Attribute {
  AttributeKey key;
  AttributeValue value;
};

using Attributes = std::vector<Attribute>;

// One resource per observed process. Shared by all spans of that process so exporters can
// group spans by resource (pointer identity) without comparing attributes.
struct Resource {
  Attributes attributes;
  // Why the process is known to export its own traces (an OpenTelemetry SDK or agent:
  // discovery/own_telemetry.h); "" when it is not. Its spans are then left to it.
  std::string own_telemetry;
};
using ResourcePtr = std::shared_ptr<const Resource>;

using TraceId = std::array<uint8_t, 16>;
using SpanId = std::array<uint8_t, 8>;

// Numbering matches OTLP's Span.SpanKind and Status.StatusCode enums.
enum class SpanKind : uint8_t { kInternal = 1, kServer = 2, kClient = 3 };
enum class StatusCode : uint8_t { kUnset = 0, kOk = 1, kError = 2 };

// The semantic-convention family a span belongs to: it decides which metrics the span feeds
// (http.*.request.duration, db.client.operation.duration, ...). Set by the protocol's builder.
enum class SemanticFamily : uint8_t { kNone = 0, kHttp, kDb, kMessaging, kRpc, kDns };

// Something that happened at one instant during a span (OTLP Span.Event).
struct SpanEvent {
  uint64_t time_unix_nano = 0;
  std::string name;
  Attributes attributes;
};

struct Span {
  TraceId trace_id{};
  SpanId span_id{};
  SpanId parent_span_id{};  // all zero: root span
  std::string trace_state;
  std::string name;
  SpanKind kind = SpanKind::kInternal;
  uint64_t start_time_unix_nano = 0;
  uint64_t end_time_unix_nano = 0;
  StatusCode status = StatusCode::kUnset;
  std::string status_message;
  Attributes attributes;
  std::vector<SpanEvent> events;
  ResourcePtr resource;
  SemanticFamily family = SemanticFamily::kNone;
};

// Finds an attribute by key; nullptr when absent. Linear: spans carry ~20 attributes.
const AttributeValue* FindAttribute(const Attributes& attributes, std::string_view key);

}  // namespace otelbpf
