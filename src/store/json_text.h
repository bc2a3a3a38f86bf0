// Attributes and span events as JSON text, written directly (no DOM): the store's writer runs
// this for every span, and building an nlohmann::json object per span was the largest single
// cost of a write (docs/performance.md, "Store"). Strings are escaped per RFC 8259; bytes that
// are not valid UTF-8 (a path of binary junk) become U+FFFD instead of failing the batch.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "trace/span.h"

namespace otelbpf::store {

void AppendJsonString(std::string_view text, std::string* out);
// {"key":value,...}; "{}" when empty.
void AppendAttributesJson(const Attributes& attributes, std::string* out);
std::string AttributesJson(const Attributes& attributes);
// [{"time_unix_nano":N,"name":"..","attributes":{..}},...]; "" when there are none.
std::string EventsJson(const std::vector<SpanEvent>& events);

}  // namespace otelbpf::store
