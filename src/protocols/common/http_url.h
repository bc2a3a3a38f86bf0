// Taking an HTTP request target apart for URL attributes, and scrubbing what must not leave the
// host. Shared by every HTTP version (an HTTP/2 :path is an origin-form target).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace otelbpf::http {

// A request target (RFC 9112 section 3.2) split into parts. Views into the target.
struct TargetParts {
  enum class Form : uint8_t {
    kOrigin,     // "/path?query"
    kAbsolute,   // "http://host:port/path?query" (requests to proxies)
    kAuthority,  // "host:port" (CONNECT)
    kAsterisk,   // "*" (server-wide OPTIONS)
  };
  Form form = Form::kOrigin;
  std::string_view scheme;                // kAbsolute: "http"
  std::string_view userinfo;              // kAbsolute: "user:pass" when present (never reported)
  std::string_view authority;             // kAbsolute / kAuthority: "host:port", without userinfo
  std::string_view path;                  // kOrigin / kAbsolute: may be empty for "http://host"
  std::optional<std::string_view> query;  // after '?', without it; absent when no '?'
};

TargetParts SplitTarget(std::string_view target);

struct HostAndPort {
  std::string_view host;  // IPv6 literals without their brackets
  std::optional<uint16_t> port;
};

// "example.com:8080", "example.com", "[::1]:80", "10.0.0.1".
HostAndPort SplitHostAndPort(std::string_view authority);

// Replaces the values of credential-carrying query parameters (signatures, tokens, passwords;
// key match is case-insensitive) with "REDACTED", keeping the keys:
// "a=1&sig=xyz" -> "a=1&sig=REDACTED".
std::string RedactQuery(std::string_view query);

}  // namespace otelbpf::http
