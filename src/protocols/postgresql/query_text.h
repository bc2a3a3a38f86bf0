// db.query.text for a statement: sanitized (every literal "?") unless the user asked for raw
// text; even then a statement that may carry a credential (ALTER ROLE ... PASSWORD '...',
// CREATE USER ... IDENTIFIED BY, a dblink connection string) or that is not valid UTF-8 is
// sanitized, and raw text is bounded like sanitized text.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace otelbpf::postgresql {

inline constexpr size_t kMaxExportedQueryTextBytes = 2048;

std::string ExportedQueryText(std::string_view text, bool raw);

// Whether `text` is valid UTF-8 with no control characters other than whitespace.
bool IsExportableText(std::string_view text);

}  // namespace otelbpf::postgresql
