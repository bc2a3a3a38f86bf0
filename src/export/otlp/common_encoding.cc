#include "export/otlp/common_encoding.h"

#include <string>
#include <variant>

#ifndef OTELBPF_VERSION
#define OTELBPF_VERSION "0.1.0"
#endif

namespace otelbpf::otlp::encoding {
namespace {

// Field numbers from proto/opentelemetry/proto/{common,resource}/**; see the header for the
// order in which they are written.
namespace field {
// common.v1.AnyValue
constexpr uint32_t kAnyString = 1;
constexpr uint32_t kAnyBool = 2;
constexpr uint32_t kAnyInt = 3;
constexpr uint32_t kAnyDouble = 4;
// common.v1.KeyValue
constexpr uint32_t kKeyValueKey = 1;
constexpr uint32_t kKeyValueValue = 2;
// common.v1.InstrumentationScope
constexpr uint32_t kScopeName = 1;
constexpr uint32_t kScopeVersion = 2;
// resource.v1.Resource
constexpr uint32_t kResourceAttributes = 1;
}  // namespace field

// Per-attribute worst case besides the key and string bytes: KeyValue tag+length, key
// tag+length, value tag+length, AnyValue tag + 10-byte varint.
constexpr size_t kAttributeOverhead = 5 * WireWriter::kMaxFieldOverhead;

// Encoded AnyValue body size (see UncheckedAnyValue).
size_t AnyValueSize(const AttributeValue& value) {
  if (const auto* s = std::get_if<std::string>(&value)) return LengthDelimitedSize(s->size());
  if (const auto* i = std::get_if<int64_t>(&value)) {
    return 1 + VarintSize(static_cast<uint64_t>(*i));  // two's complement: 10 bytes if < 0
  }
  if (std::holds_alternative<double>(value)) return kFixed64FieldSize;
  return 2;  // bool
}

void UncheckedAnyValue(WireWriter& w, const AttributeValue& value) {
  if (const auto* s = std::get_if<std::string>(&value)) {
    w.UncheckedBytesField(field::kAnyString, *s);
  } else if (const auto* i = std::get_if<int64_t>(&value)) {
    w.UncheckedVarintField(field::kAnyInt, static_cast<uint64_t>(*i));
  } else if (const auto* d = std::get_if<double>(&value)) {
    w.UncheckedFixed64Field(field::kAnyDouble, DoubleBits(*d));
  } else {
    w.UncheckedVarintField(field::kAnyBool, std::get<bool>(value) ? 1 : 0);
  }
}

// Exact KeyValue body size, given the size of its AnyValue body.
size_t KeyValueBodySize(const Attribute& a, size_t any_value_size) {
  size_t key_size = a.key.empty() ? 0 : LengthDelimitedSize(a.key.size());
  return key_size + LengthDelimitedSize(any_value_size);
}

// KeyValue sizes are cheap to compute exactly, so attributes need no back-patching.
void UncheckedKeyValue(WireWriter& w, uint32_t field_number, const Attribute& a) {
  size_t any_size = AnyValueSize(a.value);
  w.UncheckedNestedHeader(field_number, KeyValueBodySize(a, any_size));
  if (!a.key.empty()) w.UncheckedBytesField(field::kKeyValueKey, a.key);
  w.UncheckedNestedHeader(field::kKeyValueValue, any_size);
  UncheckedAnyValue(w, a.value);
}

size_t AttributeUpperBound(const Attribute& a) {
  const auto* s = std::get_if<std::string>(&a.value);
  return kAttributeOverhead + a.key.size() + (s ? s->size() : 0);
}

}  // namespace

size_t AttributesSize(const Attributes& attributes) {
  size_t n = 0;
  for (const auto& a : attributes) {
    n += LengthDelimitedSize(KeyValueBodySize(a, AnyValueSize(a.value)));
  }
  return n;
}

size_t AttributesUpperBound(const Attributes& attributes) {
  size_t n = 0;
  for (const auto& a : attributes) n += AttributeUpperBound(a);
  return n;
}

void UncheckedAttributes(WireWriter& w, uint32_t field_number, const Attributes& attributes) {
  for (const auto& a : attributes) UncheckedKeyValue(w, field_number, a);
}

void EncodeResource(WireWriter& w, uint32_t field_number, const Resource& resource) {
  size_t body = AttributesSize(resource.attributes);
  w.Reserve(WireWriter::kMaxFieldOverhead + body);
  w.UncheckedNestedHeader(field_number, body);
  UncheckedAttributes(w, field::kResourceAttributes, resource.attributes);
}

void EncodeScope(WireWriter& w, uint32_t field_number) {
  static const std::string body = [] {
    WireWriter scope;
    scope.BytesField(field::kScopeName, "otelbpf");
    scope.BytesField(field::kScopeVersion, OTELBPF_VERSION);
    return std::string(scope.view());
  }();
  w.Reserve(WireWriter::kMaxFieldOverhead + body.size());
  w.UncheckedNestedHeader(field_number, body.size());
  w.UncheckedRaw(body.data(), body.size());
}

}  // namespace otelbpf::otlp::encoding
