#include "export/otlp/otlp_config.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstdlib>

#include "trace/text.h"

namespace otelbpf::otlp {
namespace {

constexpr std::string_view kDefaultHttpBase = "http://localhost:4318/";
constexpr std::string_view kDefaultGrpcEndpoint = "localhost:4317";
// Upper bound for durations and sizes: keeps arithmetic on them far from overflow.
constexpr uint64_t kMaxSetting = 0x7fffffff;

void Warn(std::vector<std::string>* warnings, std::string message) {
  if (warnings != nullptr) warnings->push_back(std::move(message));
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// One setting, possibly with a signal-specific variant that takes precedence.
struct Setting {
  std::string name;  // the variable the value came from, for warnings
  std::string value;
};

class Env {
 public:
  Env(const EnvLookup& getenv, const OtlpSignal& signal) : getenv_(getenv), signal_(signal) {}

  const OtlpSignal& signal() const { return signal_; }

  // The spec treats an empty variable like an unset one.
  std::optional<Setting> Get(const std::string& name) const {
    auto v = getenv_(name);
    if (!v || TrimWhitespace(*v).empty()) return std::nullopt;
    return Setting{name, std::string(TrimWhitespace(*v))};
  }

  // OTEL_EXPORTER_OTLP_<SIGNAL>_<suffix>, e.g. OTEL_EXPORTER_OTLP_TRACES_TIMEOUT.
  std::optional<Setting> GetSignal(std::string_view suffix) const {
    return Get("OTEL_EXPORTER_OTLP_" + std::string(signal_.env_name) + "_" + std::string(suffix));
  }

  // The signal-specific variable, else OTEL_EXPORTER_OTLP_<suffix>.
  std::optional<Setting> GetOtlp(std::string_view suffix) const {
    if (auto s = GetSignal(suffix)) return s;
    return Get("OTEL_EXPORTER_OTLP_" + std::string(suffix));
  }

 private:
  const EnvLookup& getenv_;
  const OtlpSignal& signal_;
};

// A positive integer within kMaxSetting; anything else warns and yields nullopt.
std::optional<uint64_t> ParsePositive(const Setting& s, std::vector<std::string>* warnings) {
  uint64_t v = 0;
  const char* end = s.value.data() + s.value.size();
  auto [ptr, ec] = std::from_chars(s.value.data(), end, v);
  if (ec != std::errc() || ptr != end || v == 0 || v > kMaxSetting) {
    Warn(warnings, s.name + "=\"" + s.value + "\" is not a positive integer; using the default");
    return std::nullopt;
  }
  return v;
}

void ReadMillis(const std::optional<Setting>& s, std::chrono::milliseconds* out,
                std::vector<std::string>* warnings) {
  if (!s) return;
  if (auto v = ParsePositive(*s, warnings)) *out = std::chrono::milliseconds(*v);
}

void ReadCount(const std::optional<Setting>& s, size_t* out, std::vector<std::string>* warnings) {
  if (!s) return;
  if (auto v = ParsePositive(*s, warnings)) *out = static_cast<size_t>(*v);
}

OtlpProtocol ReadProtocol(const Env& env, std::vector<std::string>* warnings) {
  auto s = env.GetOtlp("PROTOCOL");
  if (!s) return OtlpProtocol::kHttpProtobuf;
  std::string v = ToLower(s->value);
  if (v == "http/protobuf") return OtlpProtocol::kHttpProtobuf;
  if (v == "grpc") return OtlpProtocol::kGrpc;
  if (v == "http/json") {
    Warn(warnings, s->name + "=http/json is not supported; using http/protobuf");
  } else {
    Warn(warnings, s->name + "=\"" + s->value + "\" is not a known protocol; using http/protobuf");
  }
  return OtlpProtocol::kHttpProtobuf;
}

OtlpCompression ReadCompression(const Env& env, std::vector<std::string>* warnings) {
  auto s = env.GetOtlp("COMPRESSION");
  if (!s) return OtlpCompression::kNone;
  std::string v = ToLower(s->value);
  if (v == "gzip") return OtlpCompression::kGzip;
  if (v != "none") {
    Warn(warnings, s->name + "=\"" + s->value + "\" is not gzip or none; using none");
  }
  return OtlpCompression::kNone;
}

// OTLP/HTTP: the generic endpoint is a base URL that gets the signal path appended, the
// signal-specific one is the complete URL.
std::string HttpEndpoint(const Setting& s, bool is_generic, std::string_view signal_path,
                         std::vector<std::string>* warnings) {
  std::string url = s.value;
  if (!StartsWith(url, "http://") && !StartsWith(url, "https://")) {
    Warn(warnings,
         s.name + "=\"" + s.value + "\" has no http:// or https:// scheme; assuming http://");
    url = "http://" + url;
  }
  if (is_generic) {
    if (url.back() != '/') url += '/';
    url += signal_path;
  }
  return url;
}

// OTLP/gRPC: the endpoint names a host and port; the scheme only selects TLS.
std::string GrpcTarget(const Setting& s, const Env& env, bool* insecure,
                       std::vector<std::string>* warnings) {
  std::string_view rest = s.value;
  std::optional<bool> scheme_insecure;
  std::string_view default_port;
  if (StartsWith(rest, "http://")) {
    scheme_insecure = true;
    default_port = "80";
    rest.remove_prefix(7);
  } else if (StartsWith(rest, "https://")) {
    scheme_insecure = false;
    default_port = "443";
    rest.remove_prefix(8);
  }
  if (scheme_insecure) {
    *insecure = *scheme_insecure;
  } else {
    // No scheme: OTEL_EXPORTER_OTLP[_<SIGNAL>]_INSECURE decides, TLS when unset (the
    // specification's default). Write http://host:4317 for a plaintext collector.
    *insecure = false;
    if (auto i = env.GetOtlp("INSECURE")) {
      std::string v = ToLower(i->value);
      if (v == "true") {
        *insecure = true;
      } else if (v != "false") {
        Warn(warnings, i->name + "=\"" + i->value + "\" is not true or false; using false");
      }
    }
  }
  std::string_view authority = rest.substr(0, rest.find('/'));  // a path means nothing to gRPC
  if (authority.empty()) {
    Warn(warnings,
         s.name + "=\"" + s.value + "\" has no host; using " + std::string(kDefaultGrpcEndpoint));
    *insecure = true;
    return std::string(kDefaultGrpcEndpoint);
  }
  // A port follows the last ':' outside an IPv6 literal's brackets.
  size_t bracket = authority.rfind(']');
  size_t colon = authority.rfind(':');
  bool has_port =
      colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket);
  std::string target(authority);
  if (!has_port && !default_port.empty()) target += ":" + std::string(default_port);
  return target;
}

void ReadEndpoint(const Env& env, OtlpConfig* config, std::vector<std::string>* warnings) {
  auto specific = env.GetSignal("ENDPOINT");
  auto generic = env.Get("OTEL_EXPORTER_OTLP_ENDPOINT");
  const std::optional<Setting>& chosen = specific ? specific : generic;
  if (!chosen) {
    config->endpoint = config->protocol == OtlpProtocol::kGrpc
                           ? std::string(kDefaultGrpcEndpoint)
                           : std::string(kDefaultHttpBase) + std::string(env.signal().http_path);
    return;
  }
  config->endpoint_configured = true;
  if (config->protocol == OtlpProtocol::kGrpc) {
    config->endpoint = GrpcTarget(*chosen, env, &config->insecure, warnings);
  } else {
    config->endpoint =
        HttpEndpoint(*chosen, /*is_generic=*/!specific, env.signal().http_path, warnings);
  }
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX decoding (no '+' to space: that is a form-encoding rule, not a baggage one).
std::optional<std::string> PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    int hi = HexDigit(s[i + 1]), lo = HexDigit(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

// RFC 7230 token characters: what an HTTP header name may contain.
bool IsHeaderName(std::string_view s) {
  static constexpr std::string_view kSpecials = "!#$%&'*+-.^_`|~";
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           kSpecials.find(c) != std::string_view::npos;
  });
}

}  // namespace

OtlpHeaders ParseOtlpHeaders(std::string_view text, std::vector<std::string>* warnings) {
  OtlpHeaders headers;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view member = TrimWhitespace(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    if (member.empty()) continue;
    size_t eq = member.find('=');
    std::string_view key = TrimWhitespace(member.substr(0, eq));
    if (eq == std::string_view::npos || !IsHeaderName(key)) {
      Warn(warnings, "ignoring malformed OTLP header \"" + std::string(member) + "\"");
      continue;
    }
    auto value = PercentDecode(TrimWhitespace(member.substr(eq + 1)));
    if (!value) {
      Warn(warnings, "ignoring OTLP header \"" + std::string(key) + "\": bad %-encoding");
      continue;
    }
    headers.emplace_back(std::string(key), std::move(*value));
  }
  return headers;
}

OtlpConfig OtlpConnectionConfigFromEnv(const EnvLookup& getenv, const OtlpSignal& signal,
                                       std::vector<std::string>* warnings) {
  Env env(getenv, signal);
  OtlpConfig config;
  config.protocol = ReadProtocol(env, warnings);
  ReadEndpoint(env, &config, warnings);
  if (auto h = env.GetOtlp("HEADERS")) config.headers = ParseOtlpHeaders(h->value, warnings);
  ReadMillis(env.GetOtlp("TIMEOUT"), &config.timeout, warnings);
  config.compression = ReadCompression(env, warnings);
  return config;
}

std::optional<std::chrono::milliseconds> MillisFromEnv(const EnvLookup& getenv,
                                                       std::string_view name,
                                                       std::vector<std::string>* warnings) {
  Env env(getenv, kOtlpTracesSignal);  // the signal is irrelevant to a plain Get
  auto s = env.Get(std::string(name));
  if (!s) return std::nullopt;
  auto v = ParsePositive(*s, warnings);
  if (!v) return std::nullopt;
  return std::chrono::milliseconds(*v);
}

OtlpConfig OtlpConfigFromEnv(const EnvLookup& getenv, std::vector<std::string>* warnings) {
  Env env(getenv, kOtlpTracesSignal);
  OtlpConfig config = OtlpConnectionConfigFromEnv(getenv, kOtlpTracesSignal, warnings);

  BatchConfig& batch = config.batch;
  ReadMillis(env.Get("OTEL_BSP_SCHEDULE_DELAY"), &batch.schedule_delay, warnings);
  ReadCount(env.Get("OTEL_BSP_MAX_QUEUE_SIZE"), &batch.max_queue_size, warnings);
  ReadCount(env.Get("OTEL_BSP_MAX_EXPORT_BATCH_SIZE"), &batch.max_export_batch_size, warnings);
  ReadMillis(env.Get("OTEL_BSP_EXPORT_TIMEOUT"), &batch.export_timeout, warnings);
  if (batch.max_export_batch_size > batch.max_queue_size) {
    Warn(warnings, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE=" + std::to_string(batch.max_export_batch_size) +
                       " exceeds OTEL_BSP_MAX_QUEUE_SIZE=" + std::to_string(batch.max_queue_size) +
                       "; using the queue size");
    batch.max_export_batch_size = batch.max_queue_size;
  }
  return config;
}

std::optional<std::string> ProcessEnv(std::string_view name) {
  const char* v = std::getenv(std::string(name).c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

}  // namespace otelbpf::otlp
