// The hand-written OTLP encoder checked against the generated protobuf classes: whatever we
// write must parse into exactly the request we meant, and re-serialize to the same bytes.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>

#include "export/otlp/trace_encoder.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace otelbpf::otlp {
namespace {

namespace pb_collector = opentelemetry::proto::collector::trace::v1;
namespace pb_trace = opentelemetry::proto::trace::v1;
namespace pb_common = opentelemetry::proto::common::v1;

std::string Bytes(const uint8_t* data, size_t n) {
  return std::string(reinterpret_cast<const char*>(data), n);
}

Span MakeSpan(uint8_t seed, ResourcePtr resource) {
  Span s;
  for (size_t i = 0; i < s.trace_id.size(); ++i) s.trace_id[i] = static_cast<uint8_t>(seed + i);
  for (size_t i = 0; i < s.span_id.size(); ++i) s.span_id[i] = static_cast<uint8_t>(seed * 3 + i);
  s.name = "GET /users/{id}";
  s.kind = SpanKind::kServer;
  s.start_time_unix_nano = 1'700'000'000'000'000'000ULL + seed;
  s.end_time_unix_nano = 1'700'000'000'000'500'000ULL + seed;
  s.attributes = {{"http.request.method", std::string("GET")},
                  {"http.response.status_code", int64_t{200}}};
  s.resource = std::move(resource);
  return s;
}

ResourcePtr MakeResource(const std::string& service) {
  auto r = std::make_shared<Resource>();
  r->attributes = {{"service.name", service}, {"process.pid", int64_t{4242}}};
  return r;
}

pb_collector::ExportTraceServiceRequest Decode(std::string_view bytes) {
  pb_collector::ExportTraceServiceRequest request;
  EXPECT_TRUE(request.ParseFromString(std::string(bytes)));
  // Canonical output: the generated serializer reproduces our bytes exactly.
  EXPECT_EQ(request.SerializeAsString(), bytes);
  return request;
}

const pb_common::AnyValue& FindValue(
    const google::protobuf::RepeatedPtrField<pb_common::KeyValue>& attributes,
    const std::string& key) {
  for (const auto& kv : attributes) {
    if (kv.key() == key) return kv.value();
  }
  ADD_FAILURE() << "attribute not found: " << key;
  return pb_common::AnyValue::default_instance();
}

TEST(OtlpEncoderTest, EmptyBatchIsAnEmptyRequest) { EXPECT_EQ(EncodeTraceRequest({}), ""); }

TEST(OtlpEncoderTest, EncodesEverySpanField) {
  auto resource = MakeResource("checkout");
  Span span = MakeSpan(7, resource);
  span.parent_span_id = {1, 2, 3, 4, 5, 6, 7, 8};
  span.trace_state = "vendor=abc,other=x";
  span.kind = SpanKind::kClient;
  span.status = StatusCode::kError;
  span.status_message = "upstream reset";

  auto request = Decode(EncodeTraceRequest({&span}));
  ASSERT_EQ(request.resource_spans_size(), 1);
  const auto& rs = request.resource_spans(0);
  ASSERT_TRUE(rs.has_resource());
  EXPECT_EQ(FindValue(rs.resource().attributes(), "service.name").string_value(), "checkout");
  EXPECT_EQ(FindValue(rs.resource().attributes(), "process.pid").int_value(), 4242);
  ASSERT_EQ(rs.scope_spans_size(), 1);
  EXPECT_EQ(rs.scope_spans(0).scope().name(), "otelbpf");
  EXPECT_EQ(rs.scope_spans(0).scope().version(), OTELBPF_VERSION);
  ASSERT_EQ(rs.scope_spans(0).spans_size(), 1);

  const pb_trace::Span& s = rs.scope_spans(0).spans(0);
  EXPECT_EQ(s.trace_id(), Bytes(span.trace_id.data(), 16));
  EXPECT_EQ(s.span_id(), Bytes(span.span_id.data(), 8));
  EXPECT_EQ(s.parent_span_id(), Bytes(span.parent_span_id.data(), 8));
  EXPECT_EQ(s.trace_state(), "vendor=abc,other=x");
  EXPECT_EQ(s.name(), "GET /users/{id}");
  EXPECT_EQ(s.kind(), pb_trace::Span::SPAN_KIND_CLIENT);
  EXPECT_EQ(s.start_time_unix_nano(), span.start_time_unix_nano);
  EXPECT_EQ(s.end_time_unix_nano(), span.end_time_unix_nano);
  EXPECT_EQ(s.status().code(), pb_trace::Status::STATUS_CODE_ERROR);
  EXPECT_EQ(s.status().message(), "upstream reset");
  EXPECT_EQ(s.flags() & pb_trace::SPAN_FLAGS_TRACE_FLAGS_MASK, 0x01u);         // sampled
  EXPECT_EQ(s.flags() & pb_trace::SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK, 0u);  // unknown
  ASSERT_EQ(s.attributes_size(), 2);
  EXPECT_EQ(s.attributes(0).key(), "http.request.method");
  EXPECT_EQ(s.attributes(0).value().string_value(), "GET");
  EXPECT_EQ(s.attributes(1).key(), "http.response.status_code");
  EXPECT_EQ(s.attributes(1).value().int_value(), 200);
  EXPECT_EQ(s.events_size(), 0);
  EXPECT_EQ(s.links_size(), 0);
}

TEST(OtlpEncoderTest, RootSpanHasNoParentIdAndUnsetStatusIsAbsent) {
  Span span = MakeSpan(1, MakeResource("a"));
  auto request = Decode(EncodeTraceRequest({&span}));
  const auto& s = request.resource_spans(0).scope_spans(0).spans(0);
  EXPECT_TRUE(s.parent_span_id().empty());
  EXPECT_TRUE(s.trace_state().empty());
  EXPECT_FALSE(s.has_status());
  EXPECT_EQ(s.status().code(), pb_trace::Status::STATUS_CODE_UNSET);
}

TEST(OtlpEncoderTest, EncodesSpanEvents) {
  Span span = MakeSpan(2, MakeResource("a"));
  span.status = StatusCode::kError;  // events sit between attributes and status on the wire
  span.events.push_back({1'700'000'000'000'100'000ULL,
                         "tcp.retransmit",
                         {{"tcp.state", std::string("ESTABLISHED")}, {"n", int64_t{3}}}});
  span.events.push_back({0, "", {}});  // all defaults: an empty Event message
  auto request = Decode(EncodeTraceRequest({&span}));
  const auto& s = request.resource_spans(0).scope_spans(0).spans(0);
  ASSERT_EQ(s.events_size(), 2);
  EXPECT_EQ(s.events(0).time_unix_nano(), 1'700'000'000'000'100'000ULL);
  EXPECT_EQ(s.events(0).name(), "tcp.retransmit");
  EXPECT_EQ(FindValue(s.events(0).attributes(), "tcp.state").string_value(), "ESTABLISHED");
  EXPECT_EQ(FindValue(s.events(0).attributes(), "n").int_value(), 3);
  EXPECT_EQ(s.events(1).ByteSizeLong(), 0u);
  EXPECT_EQ(s.status().code(), pb_trace::Status::STATUS_CODE_ERROR);
}

TEST(OtlpEncoderTest, OkStatusWithoutMessage) {
  Span span = MakeSpan(1, MakeResource("a"));
  span.status = StatusCode::kOk;
  auto request = Decode(EncodeTraceRequest({&span}));
  const auto& s = request.resource_spans(0).scope_spans(0).spans(0);
  ASSERT_TRUE(s.has_status());
  EXPECT_EQ(s.status().code(), pb_trace::Status::STATUS_CODE_OK);
  EXPECT_EQ(s.status().message(), "");
}

TEST(OtlpEncoderTest, EveryAttributeTypeIncludingDefaultsAndExtremes) {
  Span span = MakeSpan(2, MakeResource("a"));
  span.attributes = {
      {"s", std::string("value")},
      {"empty", std::string()},
      {"unicode", std::string("h\xC3\xA9llo \xE2\x9C\x93 \xF0\x9F\x9A\x80")},
      {"zero", int64_t{0}},
      {"neg", int64_t{-1}},
      {"min", std::numeric_limits<int64_t>::min()},
      {"max", std::numeric_limits<int64_t>::max()},
      {"pi", 3.25},
      {"dzero", 0.0},
      {"dneg", -1e300},
      {"inf", std::numeric_limits<double>::infinity()},
      {"t", true},
      {"f", false},
      {"long", std::string(70000, 'x')},  // 3-byte length varint inside a span
  };
  auto request = Decode(EncodeTraceRequest({&span}));
  const auto& attrs = request.resource_spans(0).scope_spans(0).spans(0).attributes();
  ASSERT_EQ(attrs.size(), static_cast<int>(span.attributes.size()));

  // Defaults inside the oneof must still say which member is set.
  EXPECT_EQ(FindValue(attrs, "s").string_value(), "value");
  EXPECT_EQ(FindValue(attrs, "empty").value_case(), pb_common::AnyValue::kStringValue);
  EXPECT_EQ(FindValue(attrs, "empty").string_value(), "");
  EXPECT_EQ(FindValue(attrs, "unicode").string_value(),
            "h\xC3\xA9llo \xE2\x9C\x93 \xF0\x9F\x9A\x80");
  EXPECT_EQ(FindValue(attrs, "zero").value_case(), pb_common::AnyValue::kIntValue);
  EXPECT_EQ(FindValue(attrs, "zero").int_value(), 0);
  EXPECT_EQ(FindValue(attrs, "neg").int_value(), -1);
  EXPECT_EQ(FindValue(attrs, "min").int_value(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(FindValue(attrs, "max").int_value(), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(FindValue(attrs, "pi").double_value(), 3.25);
  EXPECT_EQ(FindValue(attrs, "dzero").value_case(), pb_common::AnyValue::kDoubleValue);
  EXPECT_EQ(FindValue(attrs, "dneg").double_value(), -1e300);
  EXPECT_TRUE(std::isinf(FindValue(attrs, "inf").double_value()));
  EXPECT_EQ(FindValue(attrs, "t").bool_value(), true);
  EXPECT_EQ(FindValue(attrs, "f").value_case(), pb_common::AnyValue::kBoolValue);
  EXPECT_EQ(FindValue(attrs, "f").bool_value(), false);
  EXPECT_EQ(FindValue(attrs, "long").string_value().size(), 70000u);
}

TEST(OtlpEncoderTest, EmptyStringsAndEmptyKey) {
  Span span = MakeSpan(3, MakeResource("a"));
  span.name.clear();
  span.attributes = {{"", std::string("no key")}};
  auto request = Decode(EncodeTraceRequest({&span}));
  const auto& s = request.resource_spans(0).scope_spans(0).spans(0);
  EXPECT_EQ(s.name(), "");
  ASSERT_EQ(s.attributes_size(), 1);
  EXPECT_EQ(s.attributes(0).key(), "");
  EXPECT_EQ(s.attributes(0).value().string_value(), "no key");
}

TEST(OtlpEncoderTest, ZeroAndMaxTimestamps) {
  Span zero = MakeSpan(4, MakeResource("a"));
  zero.start_time_unix_nano = 0;
  zero.end_time_unix_nano = 0;
  Span max = MakeSpan(5, zero.resource);
  max.start_time_unix_nano = std::numeric_limits<uint64_t>::max();
  max.end_time_unix_nano = std::numeric_limits<uint64_t>::max();
  auto request = Decode(EncodeTraceRequest({&zero, &max}));
  const auto& spans = request.resource_spans(0).scope_spans(0).spans();
  ASSERT_EQ(spans.size(), 2);
  EXPECT_EQ(spans[0].start_time_unix_nano(), 0u);
  EXPECT_EQ(spans[0].end_time_unix_nano(), 0u);
  EXPECT_EQ(spans[1].start_time_unix_nano(), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(spans[1].end_time_unix_nano(), std::numeric_limits<uint64_t>::max());
}

TEST(OtlpEncoderTest, EveryKind) {
  Span internal = MakeSpan(1, nullptr);
  internal.kind = SpanKind::kInternal;
  Span server = MakeSpan(2, nullptr);
  server.kind = SpanKind::kServer;
  Span client = MakeSpan(3, nullptr);
  client.kind = SpanKind::kClient;
  auto request = Decode(EncodeTraceRequest({&internal, &server, &client}));
  const auto& spans = request.resource_spans(0).scope_spans(0).spans();
  ASSERT_EQ(spans.size(), 3);
  EXPECT_EQ(spans[0].kind(), pb_trace::Span::SPAN_KIND_INTERNAL);
  EXPECT_EQ(spans[1].kind(), pb_trace::Span::SPAN_KIND_SERVER);
  EXPECT_EQ(spans[2].kind(), pb_trace::Span::SPAN_KIND_CLIENT);
}

TEST(OtlpEncoderTest, GroupsSpansByResourcePointerInFirstAppearanceOrder) {
  auto a = MakeResource("a");
  auto b = MakeResource("b");
  auto a_twin = MakeResource("a");  // equal attributes, distinct process: its own group
  Span a1 = MakeSpan(1, a), b1 = MakeSpan(2, b), a2 = MakeSpan(3, a), t1 = MakeSpan(4, a_twin),
       n1 = MakeSpan(5, nullptr), b2 = MakeSpan(6, b);

  auto request = Decode(EncodeTraceRequest({&a1, &b1, &a2, &t1, &n1, &b2}));
  ASSERT_EQ(request.resource_spans_size(), 4);
  auto span_ids = [&](int i) {
    std::vector<std::string> ids;
    for (const auto& s : request.resource_spans(i).scope_spans(0).spans()) {
      ids.push_back(s.span_id());
    }
    return ids;
  };
  auto id = [](const Span& s) { return Bytes(s.span_id.data(), 8); };

  EXPECT_EQ(
      FindValue(request.resource_spans(0).resource().attributes(), "service.name").string_value(),
      "a");
  EXPECT_EQ(span_ids(0), (std::vector<std::string>{id(a1), id(a2)}));
  EXPECT_EQ(
      FindValue(request.resource_spans(1).resource().attributes(), "service.name").string_value(),
      "b");
  EXPECT_EQ(span_ids(1), (std::vector<std::string>{id(b1), id(b2)}));
  EXPECT_EQ(span_ids(2), (std::vector<std::string>{id(t1)}));
  EXPECT_FALSE(request.resource_spans(3).has_resource());  // null resource
  EXPECT_EQ(span_ids(3), (std::vector<std::string>{id(n1)}));
  for (const auto& rs : request.resource_spans()) {
    ASSERT_EQ(rs.scope_spans_size(), 1);
    EXPECT_EQ(rs.scope_spans(0).scope().name(), "otelbpf");
  }
}

TEST(OtlpEncoderTest, ReusedEncoderGivesSameBytesAndHandlesLargeBatches) {
  auto resource = MakeResource("big");
  std::vector<Span> spans;
  for (int i = 0; i < 3000; ++i) {  // > 2 MiB: the batch-level length guess must grow
    Span s = MakeSpan(static_cast<uint8_t>(i), resource);
    s.attributes.push_back({"padding", std::string(700 + i % 50, 'p')});
    spans.push_back(std::move(s));
  }
  std::vector<const Span*> ptrs;
  for (const auto& s : spans) ptrs.push_back(&s);

  TraceRequestEncoder encoder;
  Span tiny = MakeSpan(9, nullptr);
  tiny.name.clear();
  tiny.attributes.clear();  // < 128 bytes: the span length guess must shrink
  std::string small(encoder.Encode({&tiny}));
  std::string first(encoder.Encode(ptrs));
  std::string second(encoder.Encode(ptrs));
  EXPECT_EQ(first, second);
  EXPECT_EQ(std::string(encoder.Encode({&tiny})), small);
  EXPECT_GT(first.size(), 2u << 20);

  auto request = Decode(first);
  ASSERT_EQ(request.resource_spans_size(), 1);
  ASSERT_EQ(request.resource_spans(0).scope_spans(0).spans_size(), 3000);
  EXPECT_EQ(request.resource_spans(0)
                .scope_spans(0)
                .spans(2999)
                .attributes(2)
                .value()
                .string_value()
                .size(),
            700u + 2999 % 50);
  Decode(small);
}

}  // namespace
}  // namespace otelbpf::otlp
