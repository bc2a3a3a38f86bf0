// Encodes spans as a serialized OTLP ExportTraceServiceRequest (the body of both OTLP/HTTP
// protobuf and OTLP/gRPC exports), writing protobuf wire format directly; see wire_writer.h
// for why. proto/opentelemetry/proto/{trace,collector}/... define the messages; the unit tests
// parse our bytes with the generated classes and check that re-serializing them gives the
// very same bytes.
//
// Layout: one ResourceSpans per distinct `span.resource` pointer (in order of first
// appearance; a null resource yields a ResourceSpans without a resource), each holding one
// ScopeSpans whose scope is {name "otelbpf", version OTELBPF_VERSION}.
//
// Span.flags carries only the W3C "sampled" bit: spans reach exporters only once sampled, and
// our span model does not record whether the parent context was remote, so the
// HAS_IS_REMOTE bit stays clear ("unknown"), as the OTLP spec asks in that case.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "export/otlp/wire_writer.h"
#include "trace/span.h"

namespace otelbpf::otlp {

// Reusable encoder: keeps its buffers between calls, so steady-state encoding allocates
// nothing. Not thread-safe; give each exporting thread its own.
class TraceRequestEncoder {
 public:
  // Returns the serialized request; the view stays valid until the next Encode call.
  std::string_view Encode(const std::vector<const Span*>& spans);

 private:
  void GroupByResource(const std::vector<const Span*>& spans);

  struct ResourceGroup {
    const Resource* resource;
    size_t first;  // index into ordered_spans_
    size_t count;
  };

  WireWriter writer_;
  std::vector<ResourceGroup> groups_;
  std::vector<const Span*> ordered_spans_;  // spans regrouped so each resource is contiguous
  std::vector<uint32_t> group_of_span_;
  std::unordered_map<const Resource*, uint32_t> group_index_;
};

// One-shot convenience wrapper around TraceRequestEncoder.
std::string EncodeTraceRequest(const std::vector<const Span*>& spans);

}  // namespace otelbpf::otlp
