#include "protocols/http2/heads.h"

#include <string_view>

namespace otelbpf::http2 {
namespace {

using namespace std::string_view_literals;

constexpr size_t kMaxResponseValueBytes = 256;

// A :status value: three digits (RFC 9110 section 15).
std::optional<int> ParseStatus(std::string_view value) {
  if (value.size() != 3) return std::nullopt;
  int status = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return std::nullopt;
    status = status * 10 + (c - '0');
  }
  return status >= 100 ? std::optional<int>(status) : std::nullopt;
}

// Keeps `value` in `out` when the head's budget allows; otherwise drops it and says so.
bool Store(const std::string& value, RequestHead& head, std::string& out) {
  if (head.stored_bytes + value.size() > kMaxStoredHeadBytes) {
    head.cut = true;
    return false;
  }
  head.stored_bytes += value.size();
  out = value;
  return true;
}

void StoreIn(const std::string& value, RequestHead& head, std::vector<std::string>& out,
             size_t max_values) {
  if (out.size() >= max_values) {
    head.cut = true;
    return;
  }
  std::string kept;
  if (Store(value, head, kept)) out.push_back(std::move(kept));
}

}  // namespace

BlockKind KindOfBlock(const std::vector<HeaderField>& fields) {
  for (const HeaderField& f : fields) {
    if (f.name == ":method"sv) return BlockKind::kRequest;
    if (f.name == ":status"sv) return BlockKind::kResponse;
  }
  return BlockKind::kUnknownKind;
}

void ApplyRequestFields(const std::vector<HeaderField>& fields, RequestHead& head) {
  std::string host;
  for (const HeaderField& f : fields) {
    if (f.unknown) {
      ++head.unknown_fields;
    } else if (f.name == ":method"sv) {
      Store(f.value, head, head.method);
    } else if (f.name == ":scheme"sv) {
      Store(f.value, head, head.scheme);
    } else if (f.name == ":authority"sv) {
      Store(f.value, head, head.authority);
    } else if (f.name == ":path"sv) {
      std::string path;
      if (Store(f.value, head, path)) head.path = std::move(path);
    } else if (f.name == "host"sv) {
      Store(f.value, head, host);
    } else if (f.name == "content-type"sv) {
      Store(f.value, head, head.content_type);
    } else if (f.name == "user-agent"sv) {
      std::string user_agent;
      if (Store(f.value, head, user_agent)) head.user_agent = std::move(user_agent);
    } else if (f.name == "traceparent"sv) {
      StoreIn(f.value, head, head.traceparents, 2);  // two are already one too many
    } else if (f.name == "tracestate"sv) {
      StoreIn(f.value, head, head.tracestates, kMaxTracestateValues);
    }
  }
  // RFC 9113 section 8.3.1: clients may send Host instead of :authority.
  if (head.authority.empty()) head.authority = std::move(host);
}

void ApplyResponseFields(const std::vector<HeaderField>& fields, ResponseHead& head) {
  std::optional<int> status;
  for (const HeaderField& f : fields) {
    if (f.name == ":status"sv && !f.unknown) status = ParseStatus(f.value);
  }
  if (status && *status < 200) return;  // interim: the final response follows
  if (status && !head.status) head.status = status;
  for (const HeaderField& f : fields) {
    if (f.unknown) {
      ++head.unknown_fields;
    } else if (f.value.size() > kMaxResponseValueBytes) {
      continue;  // no real content-type or status is that long: not kept, not shortened
    } else if (f.name == "content-type"sv && head.content_type.empty()) {
      head.content_type = f.value;
    } else if (f.name == "grpc-status"sv) {
      head.grpc_status = f.value;
    }
  }
}

}  // namespace otelbpf::http2
