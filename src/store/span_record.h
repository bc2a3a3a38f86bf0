// A span as the store keeps it: the columns that queries filter and sort on, pulled out of the
// span's attributes once when it is written, plus every attribute as JSON for display. Pure
// conversion, tested on its own (tests/unit/store_span_record_test.cc).
#pragma once

#include <cstdint>
#include <string>

#include "trace/span.h"

namespace otelbpf::store {

// One row of `resources`: the process (or pod container) that produced spans.
struct StoredResource {
  std::string fingerprint;  // the attributes as JSON; equal resources are one row
  std::string service_name;
  std::string service_namespace;
  int64_t pid = 0;
  std::string executable;
  std::string container_id;
  std::string k8s_namespace;
  std::string k8s_pod;
  std::string attributes_json;
};

// One row of `spans`, joined with its resource when read back.
struct StoredSpan {
  int64_t id = 0;  // insertion order
  TraceId trace_id{};
  SpanId span_id{};
  SpanId parent_span_id{};  // all zero: a root span
  std::string name;
  SpanKind kind = SpanKind::kInternal;
  std::string protocol;
  uint64_t start_ns = 0;
  uint64_t duration_ns = 0;
  StatusCode status = StatusCode::kUnset;
  std::string status_message;
  std::string http_method;
  int64_t http_status = 0;  // 0: none
  std::string target;
  std::string route;
  std::string peer_service;
  std::string peer_address;
  int64_t peer_port = 0;
  int64_t local_port = 0;
  std::string attributes_json;
  std::string events_json;  // "" when the span has no events
  // For a SERVER span whose parent is a CLIENT span on this host, that client's service (who
  // called); for a CLIENT span whose request a SERVER span on this host answered, that
  // server's service (who was called). Filled by the writer (store/recent_spans.h).
  std::string caller_service;
  std::string callee_service;
  double weight = 1.0;  // spans this one stands for (store/write_sampler.h)
  // Read back only: the span's resource.
  StoredResource resource;
};

// The protocol name a span is filed under: http, grpc, dns, or the database system
// (postgresql, mysql, redis, memcached), from its semantic family and attributes.
std::string ProtocolOf(const Span& span);

StoredSpan ToStoredSpan(const Span& span);
StoredResource ToStoredResource(const Resource& resource);

}  // namespace otelbpf::store
