#include "trace/span.h"

#include <ostream>
#include <string_view>

namespace otelbpf {

std::ostream& operator<<(std::ostream& out, const AttributeKey& k) { return out << k.view(); }

const AttributeValue* FindAttribute(const Attributes& attributes, std::string_view key) {
  for (const auto& a : attributes) {
    if (a.key == key) return &a.value;
  }
  return nullptr;
}

}  // namespace otelbpf
