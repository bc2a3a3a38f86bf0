// docs/config-reference.md, generated from the key table: `otelbpf config reference` prints
// it, and a unit test fails when the committed page differs.
#pragma once

#include <string>

namespace otelbpf::config {

std::string ReferenceMarkdown();

}  // namespace otelbpf::config
