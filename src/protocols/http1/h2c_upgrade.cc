#include "protocols/http1/h2c_upgrade.h"

#include <string>
#include <string_view>

#include "protocols/common/ascii.h"
#include "protocols/http1/headers.h"

namespace otelbpf::http1 {
namespace {

// A comma-separated list of protocol tokens ("h2c", "websocket, h2c") names `token`.
bool ListNames(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    const size_t comma = list.find(',');
    if (ascii::EqualsIgnoreCase(TrimOws(list.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

std::string Lowercase(std::string_view name) {
  std::string out(name);
  for (char& c : out) c = ascii::Lower(c);
  return out;
}

}  // namespace

bool IsH2cUpgrade(const Message& request, const Message& response) {
  if (response.status_code != 101) return false;
  const std::string* offered = request.FindHeader("upgrade");
  const std::string* chosen = response.FindHeader("upgrade");
  return offered && chosen && ListNames(*offered, "h2c") &&
         ascii::EqualsIgnoreCase(TrimOws(*chosen), "h2c");
}

ProtocolSwitch::Request UpgradedRequest(const Message& request) {
  ProtocolSwitch::Request r;
  r.first_byte_ns = request.first_byte_ns;
  r.last_byte_ns = request.last_byte_ns;
  r.tid = request.first_byte_tid;
  std::string_view target = request.target;
  std::string authority;
  if (const std::string* host = request.FindHeader("host")) authority = *host;
  // Absolute form ("http://example.com/a"), as proxies receive it: authority and path in one.
  if (const size_t scheme_end = target.find("://");
      scheme_end != std::string_view::npos && target.front() != '/') {
    const std::string_view rest = target.substr(scheme_end + 3);
    const size_t path_start = rest.find('/');
    authority = std::string(rest.substr(0, path_start));
    target = path_start == std::string_view::npos ? std::string_view("/") : rest.substr(path_start);
  }
  r.fields.emplace_back(":method", request.method);
  r.fields.emplace_back(":scheme", "http");
  if (!authority.empty()) r.fields.emplace_back(":authority", authority);
  r.fields.emplace_back(":path", std::string(target));
  for (const Header& h : request.headers) {
    if (ascii::EqualsIgnoreCase(h.name, "host") || ascii::EqualsIgnoreCase(h.name, "upgrade"))
      continue;
    r.fields.emplace_back(Lowercase(h.name), h.value);
  }
  return r;
}

}  // namespace otelbpf::http1
