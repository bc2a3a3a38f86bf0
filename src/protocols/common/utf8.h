// UTF-8 validity, for the text a span may carry (attributes are protobuf strings: one invalid
// byte gets a whole export rejected). Pure, header-only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace otelbpf {

// Bytes of the well-formed UTF-8 character (RFC 3629: no overlong forms, no surrogates, at most
// U+10FFFF) that starts at text[i]: 1 for ASCII, 2 to 4 otherwise; 0 when the bytes there are not
// one (a stray continuation byte, a bad lead byte, or a character cut by the end of `text`).
inline size_t Utf8CharacterLength(std::string_view text, size_t i) {
  const auto lead = static_cast<unsigned char>(text[i]);
  if (lead < 0x80) return 1;
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
    return 0;
  }
  if (i + continuation >= text.size()) return 0;
  for (size_t k = 1; k <= continuation; ++k) {
    const auto next = static_cast<unsigned char>(text[i + k]);
    if ((next & 0xc0) != 0x80) return 0;
    code = (code << 6) | (next & 0x3f);
  }
  if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return 0;
  return continuation + 1;
}

}  // namespace otelbpf
