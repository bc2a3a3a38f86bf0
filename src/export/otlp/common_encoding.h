// Encoding of the OTLP messages shared by the hand-written trace and metrics encoders
// (trace_encoder.cc, metrics_encoder.cc): common.v1.AnyValue / KeyValue / InstrumentationScope
// and resource.v1.Resource, defined in proto/opentelemetry/proto/{common,resource}/...
//
// The rule every function here (and every encoder using them) follows: fields are written in
// increasing field-number order, proto3 fields holding their default value are left out (oneof
// members excepted), and varints are minimal, as the generated serializer does. The output is
// therefore byte-identical to what the generated classes produce, which the unit tests check by
// re-serializing our bytes with them.
//
// Sizes come in two flavours, both valid for field numbers < 16 (one-byte tags):
//  - exact (AttributesSize): for callers that write a nested message's length up front;
//  - upper bound (AttributesUpperBound): cheaper, for sizing a WireWriter::Reserve() that
//    covers a whole message written with unchecked writes.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>

#include "export/otlp/wire_writer.h"
#include "trace/span.h"

namespace otelbpf::otlp::encoding {

// Encoded size of a fixed64/double field with a one-byte tag (field number < 16).
inline constexpr size_t kFixed64FieldSize = 1 + 8;

// The bits of a double as written in a fixed64/double field.
inline uint64_t DoubleBits(double d) { return std::bit_cast<uint64_t>(d); }

// Exact encoded size of `attributes` written as a repeated KeyValue field (tags, lengths and
// bodies included), i.e. the number of bytes UncheckedAttributes writes for them.
size_t AttributesSize(const Attributes& attributes);

// An upper bound of AttributesSize (and of what UncheckedAttributes writes), for Reserve().
size_t AttributesUpperBound(const Attributes& attributes);

// Writes each attribute as one occurrence of the repeated KeyValue field `field_number`:
// KeyValue{key (1, left out when empty), value (2): AnyValue}. The AnyValue holds exactly one
// oneof member, written even when it holds its default value (empty string, false, 0): that is
// how the receiver learns which member is set. string_value (1), bool_value (2), int_value (3,
// the two's-complement uint64 varint: 10 bytes when negative), double_value (4, fixed64).
// Unchecked: the caller must have reserved AttributesSize() (or AttributesUpperBound()) bytes.
void UncheckedAttributes(WireWriter& w, uint32_t field_number, const Attributes& attributes);

// Writes `resource` as the nested Resource field `field_number` (checked): Resource{attributes
// (1): repeated KeyValue}.
void EncodeResource(WireWriter& w, uint32_t field_number, const Resource& resource);

// Writes our InstrumentationScope as the nested field `field_number` (checked):
// InstrumentationScope{name (1) "otelbpf", version (2) OTELBPF_VERSION}. Its body is the same
// in every request, so it is encoded once and then copied.
void EncodeScope(WireWriter& w, uint32_t field_number);

}  // namespace otelbpf::otlp::encoding
