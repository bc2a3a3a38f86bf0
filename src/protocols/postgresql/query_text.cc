#include "protocols/postgresql/query_text.h"

#include <cstdint>

#include "protocols/common/ascii.h"
#include "protocols/common/sql_text.h"
#include "protocols/common/utf8.h"

namespace otelbpf::postgresql {
namespace {

bool MayCarryCredential(std::string_view text) {
  return ascii::ContainsIgnoreCase(text, "passw") ||
         ascii::ContainsIgnoreCase(text, "identified") || ascii::ContainsIgnoreCase(text, "secret");
}

}  // namespace

bool IsExportableText(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if ((byte < 0x20 && byte != '\t' && byte != '\n' && byte != '\r') || byte == 0x7f) return false;
    const size_t n = Utf8CharacterLength(text, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string ExportedQueryText(std::string_view text, bool raw) {
  if (!raw || MayCarryCredential(text) || !IsExportableText(text)) {
    return sql::Sanitize(text, kMaxExportedQueryTextBytes);
  }
  if (text.size() <= kMaxExportedQueryTextBytes) return std::string(text);
  // Cut on a character boundary, then mark the cut.
  size_t cut = kMaxExportedQueryTextBytes - 3;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + "...";
}

}  // namespace otelbpf::postgresql
