#include "metrics/http_measurement.h"

#include <functional>

namespace otelbpf::metrics {
namespace {

std::string_view Capped(std::string_view s) {
  if (s.size() <= kMaxKeyValueBytes) return s;
  size_t n = kMaxKeyValueBytes;
  // Never end inside a multi-byte sequence: back off over continuation bytes (10xxxxxx).
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

std::string_view StringOf(const AttributeValue& v) {
  const auto* s = std::get_if<std::string>(&v);
  return s ? Capped(*s) : std::string_view();
}

int64_t IntOf(const AttributeValue& v) {
  const auto* i = std::get_if<int64_t>(&v);
  return i ? *i : 0;
}

size_t Mix(size_t seed, size_t h) {
  // boost::hash_combine's mixing step: cheap and good enough for a few thousand keys.
  return seed ^ (h + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2));
}

void AddString(Attributes& out, const char* key, const std::string& value) {
  if (!value.empty()) out.push_back(Attribute{key, value});
}

}  // namespace

HttpSeriesKey::HttpSeriesKey(const HttpSeriesKeyView& v)
    : method(v.method),
      status_code(v.status_code),
      route(v.route),
      url_template(v.url_template),
      scheme(v.scheme),
      protocol_version(v.protocol_version),
      error_type(v.error_type),
      server_address(v.server_address),
      server_port(v.server_port) {}

HttpSeriesKey::operator HttpSeriesKeyView() const {
  return HttpSeriesKeyView{method,     status_code,      route,      url_template,
                           scheme,     protocol_version, error_type, server_address,
                           server_port};
}

size_t HttpSeriesKeyHash::operator()(const HttpSeriesKeyView& k) const {
  std::hash<std::string_view> hs;
  std::hash<int64_t> hi;
  size_t h = hs(k.method);
  h = Mix(h, hi(k.status_code));
  h = Mix(h, hs(k.route));
  h = Mix(h, hs(k.url_template));
  h = Mix(h, hs(k.scheme));
  h = Mix(h, hs(k.protocol_version));
  h = Mix(h, hs(k.error_type));
  h = Mix(h, hs(k.server_address));
  h = Mix(h, hi(k.server_port));
  return h;
}

bool MeasureHttpSpan(const Span& span, HttpMeasurement* out) {
  if (span.kind != SpanKind::kServer && span.kind != SpanKind::kClient) return false;
  HttpMeasurement& m = *out;
  m = HttpMeasurement{};
  m.kind = span.kind;
  const bool client = span.kind == SpanKind::kClient;
  // One pass over the span's attributes instead of one FindAttribute per key, dispatching on
  // the key's length first: most of the span's ~15 keys are then told apart by one integer
  // compare and at most one memcmp (this loop was half of Record's cost as an if-chain).
  using namespace std::string_view_literals;
  for (const Attribute& a : span.attributes) {
    const std::string_view k = a.key;
    switch (k.size()) {
      case "http.route"sv.size():  // == "url.scheme" == "error.type"
        if (k == "url.scheme"sv) {
          m.key.scheme = StringOf(a.value);
        } else if (k == "error.type"sv) {
          m.key.error_type = StringOf(a.value);
        } else if (k == "http.route"sv && !client) {
          m.key.route = StringOf(a.value);
        }
        break;
      case "url.template"sv.size():
        if (k == "url.template"sv) m.key.url_template = StringOf(a.value);
        break;
      case "server.port"sv.size():
        if (client && k == "server.port"sv) m.key.server_port = IntOf(a.value);
        break;
      case "server.address"sv.size():
        if (client && k == "server.address"sv) m.key.server_address = StringOf(a.value);
        break;
      case "http.request.method"sv.size():
        if (k == "http.request.method"sv) m.key.method = StringOf(a.value);
        break;
      case "http.request.body.size"sv.size():
        if (k == "http.request.body.size"sv) m.request_body_bytes = IntOf(a.value);
        break;
      case "http.response.body.size"sv.size():
        if (k == "http.response.body.size"sv) m.response_body_bytes = IntOf(a.value);
        break;
      case "network.protocol.version"sv.size():
        if (k == "network.protocol.version"sv) m.key.protocol_version = StringOf(a.value);
        break;
      case "http.response.status_code"sv.size():
        if (k == "http.response.status_code"sv) m.key.status_code = IntOf(a.value);
        break;
      default:
        break;
    }
  }
  // Not an HTTP span (DNS, ...): every HTTP span has a method, "_OTHER" at worst.
  if (m.key.method.empty()) return false;
  const uint64_t start = span.start_time_unix_nano;
  const uint64_t end = span.end_time_unix_nano;
  m.duration_seconds = end > start ? static_cast<double>(end - start) * 1e-9 : 0.0;
  return true;
}

Attributes ToAttributes(const HttpSeriesKey& key) {
  Attributes out;
  out.reserve(9);
  AddString(out, "http.request.method", key.method);
  if (key.status_code != 0) out.push_back(Attribute{"http.response.status_code", key.status_code});
  AddString(out, "http.route", key.route);
  AddString(out, "url.template", key.url_template);
  AddString(out, "url.scheme", key.scheme);
  AddString(out, "network.protocol.version", key.protocol_version);
  AddString(out, "error.type", key.error_type);
  AddString(out, "server.address", key.server_address);
  if (key.server_port != 0) out.push_back(Attribute{"server.port", key.server_port});
  return out;
}

}  // namespace otelbpf::metrics
