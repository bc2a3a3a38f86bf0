#include "export/otlp/trace_encoder.h"

#include <algorithm>

#include "export/otlp/common_encoding.h"

namespace otelbpf::otlp {
namespace {

using encoding::AttributesSize;
using encoding::AttributesUpperBound;
using encoding::EncodeResource;
using encoding::EncodeScope;
using encoding::UncheckedAttributes;

// Field numbers from proto/opentelemetry/proto/**. Fields are written in increasing number
// order, as the generated serializer does, so our output is byte-identical to it.
namespace field {
// collector.trace.v1.ExportTraceServiceRequest
constexpr uint32_t kRequestResourceSpans = 1;
// trace.v1.ResourceSpans
constexpr uint32_t kResourceSpansResource = 1;
constexpr uint32_t kResourceSpansScopeSpans = 2;
// trace.v1.ScopeSpans
constexpr uint32_t kScopeSpansScope = 1;
constexpr uint32_t kScopeSpansSpans = 2;
// trace.v1.Span
constexpr uint32_t kSpanTraceId = 1;
constexpr uint32_t kSpanSpanId = 2;
constexpr uint32_t kSpanTraceState = 3;
constexpr uint32_t kSpanParentSpanId = 4;
constexpr uint32_t kSpanName = 5;
constexpr uint32_t kSpanKind = 6;
constexpr uint32_t kSpanStartTime = 7;
constexpr uint32_t kSpanEndTime = 8;
constexpr uint32_t kSpanAttributes = 9;
constexpr uint32_t kSpanEvents = 11;
// trace.v1.Span.Event
constexpr uint32_t kEventTime = 1;
constexpr uint32_t kEventName = 2;
constexpr uint32_t kEventAttributes = 3;
constexpr uint32_t kSpanStatus = 15;
constexpr uint32_t kSpanFlags = 16;
// trace.v1.Status
constexpr uint32_t kStatusMessage = 2;
constexpr uint32_t kStatusCode = 3;
}  // namespace field

// W3C trace flag "sampled" (SPAN_FLAGS_TRACE_FLAGS_MASK bits); see the header for why only it.
constexpr uint32_t kSpanFlagsSampled = 0x01;

// Bytes set aside for the length of nested messages of unknown size (see WireWriter):
// a span with ~20 attributes is 0.5-2 KiB (2-byte length); a whole batch is up to a few MiB.
constexpr size_t kSpanLengthGuess = 2;
constexpr size_t kBatchLengthGuess = 3;

// Worst case of a span's fixed-size fields and headers, strings excluded.
constexpr size_t kSpanOverhead = 16 * WireWriter::kMaxFieldOverhead + 16 + 8 + 8 + 8 + 8 + 4;

bool IsZero(const SpanId& id) {
  return std::all_of(id.begin(), id.end(), [](uint8_t b) { return b == 0; });
}

// Proto3 omits fields holding their default value; we do the same to stay canonical.
void UncheckedStringIfSet(WireWriter& w, uint32_t field_number, const std::string& s) {
  if (!s.empty()) w.UncheckedBytesField(field_number, s);
}

// Exact encoded size of an Event's body (it is small and rare, so no back-patching).
size_t EventBodySize(const SpanEvent& e) {
  size_t n = e.time_unix_nano ? 1 + 8 : 0;
  if (!e.name.empty()) n += LengthDelimitedSize(e.name.size());
  return n + AttributesSize(e.attributes);
}

void UncheckedEvents(WireWriter& w, const std::vector<SpanEvent>& events) {
  for (const auto& e : events) {
    w.UncheckedNestedHeader(field::kSpanEvents, EventBodySize(e));
    if (e.time_unix_nano) w.UncheckedFixed64Field(field::kEventTime, e.time_unix_nano);
    UncheckedStringIfSet(w, field::kEventName, e.name);
    UncheckedAttributes(w, field::kEventAttributes, e.attributes);
  }
}

size_t EventsUpperBound(const std::vector<SpanEvent>& events) {
  size_t n = 0;
  for (const auto& e : events) n += WireWriter::kMaxFieldOverhead + EventBodySize(e);
  return n;
}

void UncheckedStatus(WireWriter& w, const Span& span) {
  if (span.status == StatusCode::kUnset && span.status_message.empty()) return;
  size_t message_size =
      span.status_message.empty() ? 0 : LengthDelimitedSize(span.status_message.size());
  size_t code_size = span.status == StatusCode::kUnset ? 0 : 2;
  w.UncheckedNestedHeader(field::kSpanStatus, message_size + code_size);
  UncheckedStringIfSet(w, field::kStatusMessage, span.status_message);
  if (code_size != 0) {
    w.UncheckedVarintField(field::kStatusCode, static_cast<uint64_t>(span.status));
  }
}

void EncodeSpan(WireWriter& w, const Span& span) {
  auto mark = w.BeginNested(field::kScopeSpansSpans, kSpanLengthGuess);
  // One capacity check for the whole span; every write below is unchecked.
  w.Reserve(kSpanOverhead + span.trace_state.size() + span.name.size() +
            span.status_message.size() + AttributesUpperBound(span.attributes) +
            EventsUpperBound(span.events));

  w.UncheckedBytesField(field::kSpanTraceId, span.trace_id.data(), span.trace_id.size());
  w.UncheckedBytesField(field::kSpanSpanId, span.span_id.data(), span.span_id.size());
  UncheckedStringIfSet(w, field::kSpanTraceState, span.trace_state);
  if (!IsZero(span.parent_span_id)) {  // a root span has no parent_span_id at all
    w.UncheckedBytesField(field::kSpanParentSpanId, span.parent_span_id.data(),
                          span.parent_span_id.size());
  }
  UncheckedStringIfSet(w, field::kSpanName, span.name);
  w.UncheckedVarintField(field::kSpanKind, static_cast<uint64_t>(span.kind));
  if (span.start_time_unix_nano != 0) {
    w.UncheckedFixed64Field(field::kSpanStartTime, span.start_time_unix_nano);
  }
  if (span.end_time_unix_nano != 0) {
    w.UncheckedFixed64Field(field::kSpanEndTime, span.end_time_unix_nano);
  }
  UncheckedAttributes(w, field::kSpanAttributes, span.attributes);
  UncheckedEvents(w, span.events);
  UncheckedStatus(w, span);
  w.UncheckedFixed32Field(field::kSpanFlags, kSpanFlagsSampled);

  w.EndNested(mark);
}

}  // namespace

void TraceRequestEncoder::GroupByResource(const std::vector<const Span*>& spans) {
  groups_.clear();
  group_index_.clear();
  group_of_span_.resize(spans.size());
  // Consecutive spans usually come from the same process: skip the hash lookup for them.
  const Resource* last_resource = nullptr;
  uint32_t last_group = 0;
  for (size_t i = 0; i < spans.size(); ++i) {
    const Resource* r = spans[i]->resource.get();
    if (groups_.empty() || r != last_resource) {
      auto [it, inserted] = group_index_.try_emplace(r, static_cast<uint32_t>(groups_.size()));
      if (inserted) groups_.push_back({r, 0, 0});
      last_resource = r;
      last_group = it->second;
    }
    group_of_span_[i] = last_group;
    ++groups_[last_group].count;
  }
  // Counting sort: stable, so spans keep their relative order inside each resource.
  size_t offset = 0;
  for (auto& g : groups_) {
    g.first = offset;
    offset += g.count;
    g.count = 0;
  }
  ordered_spans_.resize(spans.size());
  for (size_t i = 0; i < spans.size(); ++i) {
    auto& g = groups_[group_of_span_[i]];
    ordered_spans_[g.first + g.count++] = spans[i];
  }
}

std::string_view TraceRequestEncoder::Encode(const std::vector<const Span*>& spans) {
  writer_.Clear();
  GroupByResource(spans);
  for (const auto& group : groups_) {
    auto resource_spans = writer_.BeginNested(field::kRequestResourceSpans, kBatchLengthGuess);
    if (group.resource != nullptr) {
      EncodeResource(writer_, field::kResourceSpansResource, *group.resource);
    }
    auto scope_spans = writer_.BeginNested(field::kResourceSpansScopeSpans, kBatchLengthGuess);
    EncodeScope(writer_, field::kScopeSpansScope);
    for (size_t i = 0; i < group.count; ++i) EncodeSpan(writer_, *ordered_spans_[group.first + i]);
    writer_.EndNested(scope_spans);
    writer_.EndNested(resource_spans);
  }
  return writer_.view();
}

std::string EncodeTraceRequest(const std::vector<const Span*>& spans) {
  TraceRequestEncoder encoder;
  return std::string(encoder.Encode(spans));
}

}  // namespace otelbpf::otlp
