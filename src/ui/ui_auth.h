// The token check of the web UI (on every request when a token is set; always set for a
// non-loopback address, see ui_address.h). A browser cannot add an Authorization header to a
// page load, so `?token=` on any URL is accepted once and answered with a cookie that carries
// the token from then on; scripts and curl use `Authorization: Bearer TOKEN`. Pure: headers in,
// verdict out.
#pragma once

#include <string>
#include <string_view>

namespace otelbpf::ui {

inline constexpr const char* kTokenCookie = "otelbpf_ui_token";

enum class AuthVerdict {
  kAllowed,           // no token configured, or a matching header or cookie
  kAllowedSetCookie,  // a matching ?token=: answer with TokenCookie() so later requests pass
  kDenied,            // 401
};

// `authorization`, `cookie`: the request's header values ("" when absent); `query_token`: the
// value of ?token= ("" when absent).
AuthVerdict CheckToken(const std::string& expected, std::string_view authorization,
                       std::string_view cookie, std::string_view query_token);

// The Set-Cookie value: HttpOnly (page scripts never see it), SameSite=Strict (other sites'
// pages cannot make the browser send it).
std::string TokenCookie(const std::string& token);

// Equality whose time does not depend on where the strings differ (no timing oracle).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace otelbpf::ui

namespace otelbpf::ui {

// A UI served without a token (loopback only) still answers only requests whose Host header
// names a loopback host ("localhost:9465", "127.0.0.1:9465", "[::1]:9465"): a web page the
// user visits could otherwise point its own host name at 127.0.0.1 (DNS rebinding) and read
// the API from the browser.
bool HostIsLoopback(std::string_view host_header);

}  // namespace otelbpf::ui
