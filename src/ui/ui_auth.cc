#include "ui/ui_auth.h"

#include "ui/ui_address.h"

namespace otelbpf::ui {
namespace {

// The value of cookie `name` in a Cookie header ("a=1; otelbpf_ui_token=x"), "" when absent.
std::string_view CookieValue(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const size_t end = header.find(';');
    std::string_view pair = header.substr(0, end);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    const size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) return pair.substr(eq + 1);
    if (end == std::string_view::npos) break;
    header.remove_prefix(end + 1);
  }
  return {};
}

}  // namespace

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  return diff == 0;
}

AuthVerdict CheckToken(const std::string& expected, std::string_view authorization,
                       std::string_view cookie, std::string_view query_token) {
  if (expected.empty()) return AuthVerdict::kAllowed;
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.substr(0, kBearer.size()) == kBearer &&
      ConstantTimeEquals(authorization.substr(kBearer.size()), expected))
    return AuthVerdict::kAllowed;
  const std::string_view from_cookie = CookieValue(cookie, kTokenCookie);
  if (!from_cookie.empty() && ConstantTimeEquals(from_cookie, expected))
    return AuthVerdict::kAllowed;
  if (!query_token.empty() && ConstantTimeEquals(query_token, expected))
    return AuthVerdict::kAllowedSetCookie;
  return AuthVerdict::kDenied;
}

std::string TokenCookie(const std::string& token) {
  return std::string(kTokenCookie) + "=" + token + "; Path=/; HttpOnly; SameSite=Strict";
}

}  // namespace otelbpf::ui

namespace otelbpf::ui {

bool HostIsLoopback(std::string_view host) {
  std::string_view name = host;
  if (!name.empty() && name.front() == '[') {
    const size_t close = name.find(']');
    if (close == std::string_view::npos) return false;
    name = name.substr(1, close - 1);
  } else if (const size_t colon = name.rfind(':'); colon != std::string_view::npos) {
    name = name.substr(0, colon);
  }
  return IsLoopback(std::string(name));
}

}  // namespace otelbpf::ui
