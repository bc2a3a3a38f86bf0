#include "protocols/selection.h"

#include <charconv>

#include "protocols/registry.h"

namespace otelbpf {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

const Protocol* Find(std::string_view name) {
  if (name == "http") name = "http1";
  if (name == "postgres") name = "postgresql";
  if (name == "mariadb") name = "mysql";
  return ProtocolByName(name);
}

}  // namespace

std::string KnownProtocolNames() {
  std::string out;
  for (const Protocol* p : RegisteredProtocols()) {
    if (!out.empty()) out += ", ";
    out += p->name;
  }
  return out;
}

std::optional<uint32_t> ParseProtocolList(std::string_view list, std::string* error) {
  list = Trim(list);
  if (list.empty() || list == "all" || list == "*") return ~0u;
  uint32_t mask = 0;
  while (!list.empty()) {
    const size_t comma = list.find(',');
    const std::string_view name = Trim(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (name.empty()) continue;
    const Protocol* p = Find(name);
    if (!p) {
      *error = "unknown protocol '" + std::string(name) + "' (known: all, " + KnownProtocolNames() + ")";
      return std::nullopt;
    }
    mask |= 1u << p->id;
  }
  if (mask == 0) {
    *error = "no protocol selected (known: all, " + KnownProtocolNames() + ")";
    return std::nullopt;
  }
  return mask;
}

std::optional<ProtocolPort> ParseProtocolPort(std::string_view text, std::string* error) {
  const size_t eq = text.find('=');
  const std::string_view name = Trim(text.substr(0, eq));
  const std::string_view port_text = eq == std::string_view::npos ? "" : Trim(text.substr(eq + 1));
  const Protocol* p = Find(name);
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (!p || ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
      port > 65535) {
    *error = "--protocol-port wants PROTOCOL=PORT, e.g. redis=6380 (got '" + std::string(text) +
             "'; protocols: " + KnownProtocolNames() + ")";
    return std::nullopt;
  }
  return ProtocolPort{p->id, static_cast<uint16_t>(port)};
}

}  // namespace otelbpf
