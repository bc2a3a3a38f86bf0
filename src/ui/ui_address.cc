#include "ui/ui_address.h"

#include <arpa/inet.h>

#include <cctype>
#include <cstdlib>
#include <string_view>

namespace otelbpf::ui {

std::optional<UiAddress> ParseUiAddress(const std::string& text, std::string* error) {
  error->clear();
  if (text == "none") return std::nullopt;
  auto fail = [&](const std::string& why) -> std::optional<UiAddress> {
    *error = "--ui " + text + ": " + why +
             " (expected ADDR:PORT such as 127.0.0.1:9465 or [::1]:9465, or none)";
    return std::nullopt;
  };
  std::string host, port_text;
  if (!text.empty() && text[0] == '[') {  // [v6]:port
    const size_t close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return fail("an IPv6 address needs brackets and a port");
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
    in6_addr v6;
    if (inet_pton(AF_INET6, host.c_str(), &v6) != 1) return fail("not an IPv6 address");
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string::npos) return fail("no port");
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (host.find(':') != std::string::npos) return fail("an IPv6 address needs brackets");
  }
  if (host.empty()) return fail("no address");
  if (port_text.empty() || port_text.size() > 5 ||
      port_text.find_first_not_of("0123456789") != std::string::npos)
    return fail("the port is not a number");
  const long port = std::strtol(port_text.c_str(), nullptr, 10);
  if (port > 65535) return fail("the port is above 65535");
  return UiAddress{host, static_cast<int>(port)};
}

bool IsLoopback(const std::string& host) {
  if (host == "localhost") return true;
  in_addr v4;
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6;
  if (inet_pton(AF_INET6, host.c_str(), &v6) != 1) return false;
  if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
  return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
}

std::string FormatUiAddress(const UiAddress& address) {
  const bool v6 = address.host.find(':') != std::string::npos;
  return (v6 ? "[" + address.host + "]" : address.host) + ":" + std::to_string(address.port);
}

std::string ValidateUiSecurity(const UiAddress& address, const std::string& token) {
  // The token travels in a cookie and a header: characters that need quoting there are refused
  // rather than escaped (a token is made up by the user, e.g. `openssl rand -hex 16`).
  for (char c : token)
    if (!std::isalnum(static_cast<unsigned char>(c)) &&
        std::string_view("-._~+/=").find(c) == std::string_view::npos)
      return "--ui-token: use letters, digits and -._~+/= only (e.g. openssl rand -hex 16)";
  if (IsLoopback(address.host) || !token.empty()) return "";
  return "--ui " + FormatUiAddress(address) +
         ": the web UI shows every captured request, so an address other hosts can reach needs "
         "a token: give --ui-token TOKEN (or OTEL_EBPF_UI_TOKEN), or keep the UI on 127.0.0.1";
}

}  // namespace otelbpf::ui
