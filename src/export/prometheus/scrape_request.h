// The little of an HTTP/1.x request head the scrape endpoint needs. Pure, for tests.
#pragma once

#include <optional>
#include <string_view>

namespace otelbpf::prometheus {

struct ScrapeRequest {
  std::string_view method;
  std::string_view path;      // the target without its query
  bool accepts_gzip = false;  // Accept-Encoding lists gzip (or *) with a non-zero q
};

// Parses a complete request head (request line + header lines, CRLF or bare LF). nullopt when
// the request line is not "METHOD SP TARGET SP HTTP/1.x". Views point into `head`.
std::optional<ScrapeRequest> ParseScrapeRequest(std::string_view head);

// Whether an Accept-Encoding value allows gzip: "gzip", "gzip;q=0.5", "*" yes; "gzip;q=0",
// "identity" no.
bool AcceptEncodingAllowsGzip(std::string_view value);

}  // namespace otelbpf::prometheus
