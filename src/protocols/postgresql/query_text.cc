#include "protocols/postgresql/query_text.h"

#include <cstdint>

#include "protocols/common/sql_text.h"

namespace otelbpf::postgresql {
namespace {

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool ContainsFolded(std::string_view text, std::string_view lower_needle) {
  if (lower_needle.size() > text.size()) return false;
  for (size_t i = 0; i + lower_needle.size() <= text.size(); ++i) {
    size_t k = 0;
    while (k < lower_needle.size() && Lower(text[i + k]) == lower_needle[k]) ++k;
    if (k == lower_needle.size()) return true;
  }
  return false;
}

bool MayCarryCredential(std::string_view text) {
  return ContainsFolded(text, "passw") || ContainsFolded(text, "identified") ||
         ContainsFolded(text, "secret");
}

}  // namespace

bool IsExportableText(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x80) {
      if (lead < 0x20 && lead != '\t' && lead != '\n' && lead != '\r') return false;
      if (lead == 0x7f) return false;
      ++i;
      continue;
    }
    size_t continuation = 0;
    uint32_t code = 0;
    uint32_t min = 0;
    if (lead >= 0xc2 && lead <= 0xdf) {
      continuation = 1, code = lead & 0x1f, min = 0x80;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      continuation = 2, code = lead & 0x0f, min = 0x800;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      continuation = 3, code = lead & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (i + continuation >= text.size()) return false;  // cut inside the character
    for (size_t k = 1; k <= continuation; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80) return false;
      code = (code << 6) | (next & 0x3f);
    }
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return false;
    i += continuation + 1;
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
