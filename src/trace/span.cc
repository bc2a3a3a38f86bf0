#include "trace/span.h"

#include <string_view>

namespace otelbpf {

const AttributeValue* FindAttribute(const Attributes& attributes, std::string_view key) {
  for (const auto& a : attributes) {
    if (a.key == key) return &a.value;
  }
  return nullptr;
}

}  // namespace otelbpf
