#include "store/json_text.h"

#include <cmath>
#include <cstdio>

namespace otelbpf::store {
namespace {

// Length of the valid UTF-8 sequence at text[i], or 0 when the bytes there are not one.
size_t Utf8Length(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char c = byte(i);
  size_t n;
  uint32_t min;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) n = 2, min = 0x80;
  else if ((c & 0xF0) == 0xE0) n = 3, min = 0x800;
  else if ((c & 0xF8) == 0xF0) n = 4, min = 0x10000;
  else return 0;
  if (i + n > text.size()) return 0;
  uint32_t cp = c & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

void AppendValue(const AttributeValue& value, std::string* out) {
  if (const auto* s = std::get_if<std::string>(&value)) {
    AppendJsonString(*s, out);
  } else if (const auto* i = std::get_if<int64_t>(&value)) {
    *out += std::to_string(*i);
  } else if (const auto* d = std::get_if<double>(&value)) {
    if (!std::isfinite(*d)) {
      *out += "null";  // JSON has no NaN or infinity
    } else {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.17g", *d);
      *out += buf;
    }
  } else {
    *out += std::get<bool>(value) ? "true" : "false";
  }
}

}  // namespace

void AppendJsonString(std::string_view text, std::string* out) {
  out->push_back('"');
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      out->push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    switch (c) {
      case '"': *out += "\\\""; ++i; continue;
      case '\\': *out += "\\\\"; ++i; continue;
      case '\n': *out += "\\n"; ++i; continue;
      case '\r': *out += "\\r"; ++i; continue;
      case '\t': *out += "\\t"; ++i; continue;
      default: break;
    }
    if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      *out += buf;
      ++i;
      continue;
    }
    const size_t n = Utf8Length(text, i);
    if (n == 0) {
      *out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
      ++i;
    } else {
      out->append(text.substr(i, n));
      i += n;
    }
  }
  out->push_back('"');
}

void AppendAttributesJson(const Attributes& attributes, std::string* out) {
  out->push_back('{');
  bool first = true;
  for (const Attribute& a : attributes) {
    if (!first) out->push_back(',');
    first = false;
    AppendJsonString(a.key.view(), out);
    out->push_back(':');
    AppendValue(a.value, out);
  }
  out->push_back('}');
}

std::string AttributesJson(const Attributes& attributes) {
  std::string out;
  out.reserve(64 * attributes.size());
  AppendAttributesJson(attributes, &out);
  return out;
}

std::string EventsJson(const std::vector<SpanEvent>& events) {
  if (events.empty()) return {};
  std::string out = "[";
  for (size_t i = 0; i < events.size(); ++i) {
    if (i) out.push_back(',');
    out += "{\"time_unix_nano\":" + std::to_string(events[i].time_unix_nano) + ",\"name\":";
    AppendJsonString(events[i].name, &out);
    out += ",\"attributes\":";
    AppendAttributesJson(events[i].attributes, &out);
    out.push_back('}');
  }
  out.push_back(']');
  return out;
}

}  // namespace otelbpf::store
