#include "export/prometheus/scrape_request.h"

#include <cctype>

namespace otelbpf::prometheus {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// Splits off the part of `s` before `sep` (all of it when absent).
std::string_view NextToken(std::string_view* s, char sep) {
  const size_t at = s->find(sep);
  const std::string_view token = s->substr(0, at);
  s->remove_prefix(at == std::string_view::npos ? s->size() : at + 1);
  return token;
}

// q=0, q=0.0, q=0.000 refuse the coding (RFC 9110 12.4.2); anything else accepts it.
bool QualityIsZero(std::string_view params) {
  while (!params.empty()) {
    std::string_view param = Trim(NextToken(&params, ';'));
    if (param.size() < 2 || std::tolower(static_cast<unsigned char>(param[0])) != 'q' ||
        param[1] != '=') {
      continue;
    }
    param.remove_prefix(2);
    for (char c : param) {
      if (c != '0' && c != '.') return false;
    }
    return true;
  }
  return false;
}

}  // namespace

bool AcceptEncodingAllowsGzip(std::string_view value) {
  bool allowed = false;
  while (!value.empty()) {
    std::string_view item = NextToken(&value, ',');
    const std::string_view coding = Trim(NextToken(&item, ';'));
    if (EqualsIgnoreCase(coding, "gzip")) return !QualityIsZero(item);  // explicit wins over *
    if (coding == "*") allowed = !QualityIsZero(item);
  }
  return allowed;
}

std::optional<ScrapeRequest> ParseScrapeRequest(std::string_view head) {
  std::string_view line = Trim(NextToken(&head, '\n'));
  ScrapeRequest request;
  request.method = NextToken(&line, ' ');
  const std::string_view target = NextToken(&line, ' ');
  if (request.method.empty() || target.empty() || !line.starts_with("HTTP/1.") ||
      line.size() != 8) {
    return std::nullopt;
  }
  request.path = target.substr(0, target.find('?'));
  while (!head.empty()) {
    std::string_view header = NextToken(&head, '\n');
    const std::string_view name = NextToken(&header, ':');
    if (EqualsIgnoreCase(name, "Accept-Encoding") && AcceptEncodingAllowsGzip(Trim(header))) {
      request.accepts_gzip = true;
    }
  }
  return request;
}

}  // namespace otelbpf::prometheus
