#include "protocols/mysql/double_quoted_strings.h"

namespace otelbpf::mysql {
namespace {

// End (one past the closing quote) of the quoted run starting at `open`; text.size() when
// unterminated. `backslash_escapes`: strings honour \x, identifiers do not.
size_t QuotedEnd(std::string_view text, size_t open, bool backslash_escapes) {
  const char quote = text[open];
  for (size_t i = open + 1; i < text.size(); ++i) {
    if (backslash_escapes && text[i] == '\\') {
      ++i;
      continue;
    }
    if (text[i] != quote) continue;
    if (i + 1 < text.size() && text[i + 1] == quote) {
      ++i;  // a doubled quote stands for itself
      continue;
    }
    return i + 1;
  }
  return text.size();
}

// End of the comment starting at `at`, or `at` when none starts there.
size_t CommentEnd(std::string_view text, size_t at) {
  const auto next = [&](size_t i) { return i < text.size() ? text[i] : '\0'; };
  const bool line =
      text[at] == '#' || (text[at] == '-' && next(at + 1) == '-' &&
                          (next(at + 2) == ' ' || next(at + 2) == '\t' || next(at + 2) == '\n'));
  if (line) {
    const size_t end = text.find('\n', at);
    return end == std::string_view::npos ? text.size() : end;
  }
  if (text[at] == '/' && next(at + 1) == '*') {
    const size_t end = text.find("*/", at + 2);
    return end == std::string_view::npos ? text.size() : end + 2;
  }
  return at;
}

}  // namespace

std::string MaskDoubleQuotedStrings(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    size_t end = i;
    if (c == '"') {
      out.push_back('?');
      i = QuotedEnd(text, i, true);
      continue;
    }
    if (c == '\'') {
      end = QuotedEnd(text, i, true);
    } else if (c == '`') {
      end = QuotedEnd(text, i, false);
    } else {
      end = CommentEnd(text, i);
    }
    if (end == i) end = i + 1;
    out.append(text.substr(i, end - i));
    i = end;
  }
  return out;
}

}  // namespace otelbpf::mysql
