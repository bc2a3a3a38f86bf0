// MySQL reads "..." as a string literal unless the session's sql_mode has ANSI_QUOTES (then it
// quotes an identifier, as in standard SQL). sql::Sanitize keeps "..." as an identifier, so
// MySQL statements pass through here first: each double-quoted string becomes "?", the reading
// that exports less (a mode we cannot see only costs an identifier's name, never a value).
#pragma once

#include <string>
#include <string_view>

namespace otelbpf::mysql {

// `text` with every "..." outside '...', `...` and comments replaced by ?. Backslash escapes
// and doubled quotes are honoured; an unterminated one runs to the end.
std::string MaskDoubleQuotedStrings(std::string_view text);

}  // namespace otelbpf::mysql
