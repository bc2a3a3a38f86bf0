// libFuzzer target: arbitrary bytes as the request head a local process sends to the Prometheus
// endpoint (ParseScrapeRequest), and as an Accept-Encoding value (AcceptEncodingAllowsGzip).
// Checks that the views stay inside the input, that a parsed request formats back to a head
// that parses the same, and the precedence rules of Accept-Encoding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "export/prometheus/scrape_request.h"

namespace prometheus = otelbpf::prometheus;

namespace {

void Check(bool invariant) {
  if (!invariant) std::abort();
}

bool Inside(std::string_view part, std::string_view whole) {
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

std::string AsciiUpper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

void CheckAcceptEncoding(std::string_view value) {
  const bool allowed = prometheus::AcceptEncodingAllowsGzip(value);
  // Codings and the q parameter are case-insensitive.
  Check(prometheus::AcceptEncodingAllowsGzip(AsciiUpper(value)) == allowed);
  // The first explicit gzip wins over whatever follows.
  Check(prometheus::AcceptEncodingAllowsGzip("gzip, " + std::string(value)));
  Check(!prometheus::AcceptEncodingAllowsGzip("gzip;q=0, " + std::string(value)));
}

void CheckRequest(std::string_view head) {
  const std::optional<prometheus::ScrapeRequest> request = prometheus::ParseScrapeRequest(head);
  if (!request) return;
  Check(!request->method.empty() && Inside(request->method, head) && Inside(request->path, head));
  Check(request->method.find_first_of(" \n") == std::string_view::npos);
  Check(request->path.find_first_of(" \n?") == std::string_view::npos);
  if (request->path.empty()) return;  // "GET ?x HTTP/1.1": nothing to format back
  // Format back, parse again: the same request.
  const std::string again = std::string(request->method) + " " + std::string(request->path) +
                            " HTTP/1.1\r\n" +
                            (request->accepts_gzip ? "Accept-Encoding: gzip\r\n" : "") + "\r\n";
  const std::optional<prometheus::ScrapeRequest> reparsed = prometheus::ParseScrapeRequest(again);
  Check(reparsed && reparsed->method == request->method && reparsed->path == request->path &&
        reparsed->accepts_gzip == request->accepts_gzip);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  CheckRequest(input);
  CheckAcceptEncoding(input);
  return 0;
}
