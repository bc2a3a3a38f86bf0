// libFuzzer target for the small text parsers of untrusted input:
//   mode 0: W3C traceparent + tracestate headers of observed traffic (ParseTraceContext,
//           ParseTraceState); the rest of the input split on '\n', the first line is traceparent,
//           every further line one tracestate header.
//   mode 1: OTEL_RESOURCE_ATTRIBUTES of an observed process (ParseResourceAttributes).
//   mode 2: an observed process's environ block (FindEnvironmentValue): the name to look up,
//           '\n', the NUL-separated block (no '\n': the block, looked up as the registry does).
// Input: one mode byte (taken modulo 3), then the text. Every parse is checked against a round
// trip through a formatter or a reference implementation, not only for crashes.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <variant>
#include <vector>

#include "discovery/process_registry.h"
#include "trace/traceparent.h"

namespace {

void Check(bool invariant) {
  if (!invariant) std::abort();
}

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t from = 0;
  while (true) {
    const size_t nl = text.find('\n', from);
    lines.push_back(text.substr(from, nl == std::string_view::npos ? nl : nl - from));
    if (nl == std::string_view::npos) return lines;
    from = nl + 1;
  }
}

template <size_t N>
std::string Hex(const std::array<uint8_t, N>& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

template <size_t N>
bool AllZero(const std::array<uint8_t, N>& bytes) {
  for (uint8_t b : bytes) {
    if (b != 0) return false;
  }
  return true;
}

void CheckTraceState(const std::vector<std::string_view>& values) {
  const std::optional<std::string> state = otelbpf::ParseTraceState(values);
  // Several headers are one list joined with commas.
  std::string joined;
  for (size_t i = 0; i < values.size(); ++i) joined += (i ? "," : "") + std::string(values[i]);
  Check(otelbpf::ParseTraceState({joined}) == state);
  if (!state) return;
  // The re-joined list is canonical: at most 32 members, no empty ones, parses to itself.
  Check(state->empty() || (state->front() != ',' && state->back() != ','));
  Check(state->find(",,") == std::string::npos);
  size_t members = state->empty() ? 0 : 1;
  for (char c : *state) members += c == ',';
  Check(members <= 32);
  Check(otelbpf::ParseTraceState({*state}) == state);
}

void CheckTraceContext(std::string_view text) {
  const std::vector<std::string_view> lines = Lines(text);
  const std::vector<std::string_view> tracestate(lines.begin() + 1, lines.end());
  CheckTraceState(tracestate);
  const std::optional<otelbpf::TraceContext> context =
      otelbpf::ParseTraceContext(lines[0], tracestate);
  if (!context) return;
  Check(!AllZero(context->trace_id) && !AllZero(context->span_id));
  Check(context->trace_state == otelbpf::ParseTraceState(tracestate).value_or(""));
  // Format as version 00 and parse again: the same context.
  const std::string formatted = "00-" + Hex(context->trace_id) + "-" + Hex(context->span_id) +
                                (context->sampled ? "-01" : "-00");
  const std::vector<std::string_view> state{context->trace_state};
  const std::optional<otelbpf::TraceContext> again = otelbpf::ParseTraceContext(formatted, state);
  Check(again && again->trace_id == context->trace_id && again->span_id == context->span_id &&
        again->sampled == context->sampled && again->trace_state == context->trace_state);
}

std::string PercentEncode(std::string_view s) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
      out.push_back(static_cast<char>(c));
    } else {
      out += {'%', kDigits[c >> 4], kDigits[c & 15]};
    }
  }
  return out;
}

void CheckResourceAttributes(std::string_view text) {
  const otelbpf::Attributes attributes = otelbpf::ParseResourceAttributes(text);
  std::string formatted;
  std::unordered_set<std::string_view> keys;
  for (size_t i = 0; i < attributes.size(); ++i) {
    const otelbpf::Attribute& a = attributes[i];
    const std::string_view key = a.key.view();
    // Keys are unique, trimmed, and free of the separators; values are strings.
    Check(!key.empty() && key.find_first_of(",=") == std::string::npos);
    Check(key.front() != ' ' && key.front() != '\t' && key.back() != ' ' && key.back() != '\t');
    Check(keys.insert(key).second);
    const std::string* value = std::get_if<std::string>(&a.value);
    Check(value != nullptr);
    formatted += (i ? "," : "") + a.key.str() + "=" + PercentEncode(*value);
  }
  // Format back (values percent-encoded), parse again: the same attributes in the same order.
  const otelbpf::Attributes again = otelbpf::ParseResourceAttributes(formatted);
  Check(again.size() == attributes.size());
  for (size_t i = 0; i < again.size(); ++i) {
    Check(again[i].key == attributes[i].key && again[i].value == attributes[i].value);
  }
}

// The obvious implementation, to compare with.
std::string ReferenceFind(std::string_view block, std::string_view name) {
  const std::string prefix = std::string(name) + "=";
  size_t from = 0;
  while (from < block.size()) {
    size_t end = block.find('\0', from);
    if (end == std::string_view::npos) end = block.size();
    const std::string_view entry = block.substr(from, end - from);
    if (entry.starts_with(prefix)) return std::string(entry.substr(prefix.size()));
    from = end + 1;
  }
  return {};
}

void CheckEnvironment(std::string_view text) {
  const size_t nl = text.find('\n');
  std::string_view name = "OTEL_RESOURCE_ATTRIBUTES";
  std::string_view block = text;
  if (nl != std::string_view::npos) {
    name = text.substr(0, nl);
    block = text.substr(nl + 1);
  }
  const std::string value = otelbpf::FindEnvironmentValue(block, name);
  Check(value.find('\0') == std::string::npos);
  Check(value == ReferenceFind(block, name));
  if (nl == std::string_view::npos) CheckResourceAttributes(value);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 3) {
    case 0:
      CheckTraceContext(text);
      break;
    case 1:
      CheckResourceAttributes(text);
      break;
    default:
      CheckEnvironment(text);
      break;
  }
  return 0;
}
