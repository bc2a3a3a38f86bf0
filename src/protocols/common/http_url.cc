#include "protocols/common/http_url.h"

#include <array>

#include "protocols/common/ascii.h"

namespace otelbpf::http {
namespace {

// Semantic conventions name AWSAccessKeyId, Signature, sig and X-Goog-Signature; the others
// are common carriers of bearer credentials in URLs.
constexpr std::array<std::string_view, 7> kSensitiveQueryKeys = {
    "sig", "signature", "token", "access_token", "password", "AWSAccessKeyId", "X-Goog-Signature"};

bool IsSensitiveQueryKey(std::string_view key) {
  for (std::string_view k : kSensitiveQueryKeys) {
    if (ascii::EqualsIgnoreCase(key, k)) return true;
  }
  return false;
}

// Splits "path?query" (a fragment is never sent, but drop one if a client did).
void SplitPathAndQuery(std::string_view rest, TargetParts& parts) {
  const size_t hash = rest.find('#');
  if (hash != std::string_view::npos) rest = rest.substr(0, hash);
  const size_t question = rest.find('?');
  parts.path = rest.substr(0, question);
  if (question != std::string_view::npos) parts.query = rest.substr(question + 1);
}

}  // namespace

TargetParts SplitTarget(std::string_view target) {
  TargetParts parts;
  if (target == "*") {
    parts.form = TargetParts::Form::kAsterisk;
    return parts;
  }
  if (!target.empty() && target.front() == '/') {
    SplitPathAndQuery(target, parts);
    return parts;
  }
  const size_t scheme_end = target.find("://");
  if (scheme_end == std::string_view::npos) {
    parts.form = TargetParts::Form::kAuthority;
    parts.authority = target;
    return parts;
  }
  parts.form = TargetParts::Form::kAbsolute;
  parts.scheme = target.substr(0, scheme_end);
  std::string_view rest = target.substr(scheme_end + 3);
  const size_t authority_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authority_end);
  const size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    parts.userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
  }
  parts.authority = authority;
  if (authority_end != std::string_view::npos) SplitPathAndQuery(rest.substr(authority_end), parts);
  return parts;
}

HostAndPort SplitHostAndPort(std::string_view authority) {
  HostAndPort result;
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return {authority, std::nullopt};
    result.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':')
      port_text = authority.substr(close + 2);
  } else {
    const size_t colon = authority.rfind(':');
    // More than one colon without brackets: a bare IPv6 address, no port.
    if (colon == std::string_view::npos || authority.find(':') != colon) {
      result.host = authority;
      return result;
    }
    result.host = authority.substr(0, colon);
    port_text = authority.substr(colon + 1);
  }
  if (port_text.empty() || port_text.size() > 5) return result;
  uint32_t port = 0;
  for (char c : port_text) {
    if (c < '0' || c > '9') return result;
    port = port * 10 + static_cast<uint32_t>(c - '0');
  }
  if (port <= 65535) result.port = static_cast<uint16_t>(port);
  return result;
}

std::string RedactQuery(std::string_view query) {
  std::string out;
  out.reserve(query.size());
  while (true) {
    const size_t amp = query.find('&');
    std::string_view param = query.substr(0, amp);
    const size_t equals = param.find('=');
    if (equals != std::string_view::npos && IsSensitiveQueryKey(param.substr(0, equals))) {
      out.append(param.substr(0, equals + 1));
      out.append("REDACTED");
    } else {
      out.append(param);
    }
    if (amp == std::string_view::npos) return out;
    out.push_back('&');
    query.remove_prefix(amp + 1);
  }
}

}  // namespace otelbpf::http
