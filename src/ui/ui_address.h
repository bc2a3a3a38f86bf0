// Where the web UI listens: `--ui ADDR:PORT` or `none`. Pure parsing, and the one rule the
// security of the UI rests on: only a loopback address may be served without a token, since
// anyone who reaches the port can read every captured request.
#pragma once

#include <optional>
#include <string>

namespace otelbpf::ui {

inline constexpr const char* kDefaultUiAddress = "127.0.0.1:9465";

struct UiAddress {
  std::string host;  // as bind() takes it: "127.0.0.1", "::1", "0.0.0.0", "localhost"
  int port = 0;      // 0: any free port (tests, benchmarks)
};

// "127.0.0.1:9465", "[::1]:9465", "localhost:9465", "0.0.0.0:9465"; nullopt for "none";
// on a malformed value *error says why (and nullopt is returned too).
std::optional<UiAddress> ParseUiAddress(const std::string& text, std::string* error);

// 127.0.0.0/8, ::1 (also as ::ffff:127.x.y.z) and "localhost": reachable from this host only.
bool IsLoopback(const std::string& host);

// "127.0.0.1:9465", "[::1]:9465": for logs and URLs.
std::string FormatUiAddress(const UiAddress& address);

// The check `otelbpf run` makes before starting: "" when the UI may start as configured,
// otherwise the error to print (a non-loopback address without a token).
std::string ValidateUiSecurity(const UiAddress& address, const std::string& token);

}  // namespace otelbpf::ui
