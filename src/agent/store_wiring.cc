#include "agent/store_wiring.h"

#include <spdlog/spdlog.h>

#include "store/json_text.h"
#include "store/sqlite_db.h"

namespace otelbpf {

std::unique_ptr<store::SpanStore> OpenStore(const AgentOptions::Store& options, bool* fatal) {
  *fatal = false;
  if (options.path == "none") return nullptr;
  store::StoreOptions store_options;
  const bool named = !options.path.empty();
  if (named) store_options.path = options.path;
  store_options.max_bytes = static_cast<uint64_t>(options.max_mb) << 20;
  store_options.retention = std::chrono::duration_cast<std::chrono::seconds>(options.retention);
  store_options.max_spans_per_second = static_cast<uint32_t>(options.max_spans_per_second);
  try {
    return std::make_unique<store::SpanStore>(store_options);
  } catch (const store::StoreError& e) {
    if (named) {
      spdlog::error("{}", e.what());
      *fatal = true;
    } else {
      spdlog::warn("{}; running without the store (otelbpf observe, stats, map and trace will "
                   "have nothing to read; --store PATH puts it elsewhere, --store none silences "
                   "this)",
                   e.what());
    }
    return nullptr;
  }
}

namespace {

const char* RoleName(ConnectionRole role) {
  switch (role) {
    case ConnectionRole::kClient:
      return "client";
    case ConnectionRole::kServer:
      return "server";
    default:
      return "unknown";
  }
}

}  // namespace

store::NetEvent NetEventOf(const TcpConnectionEvent& e, uint64_t monotonic_to_realtime_ns) {
  store::NetEvent out;
  out.time_ns = e.end_ns + monotonic_to_realtime_ns;
  out.local_address = e.local.address;
  out.local_port = e.local.port;
  out.peer_address = e.peer.address;
  out.peer_port = e.peer.port;
  out.duration_ns = e.end_ns > e.start_ns ? e.end_ns - e.start_ns : 0;
  out.resource = e.resource;
  Attributes details = {{"role", std::string(RoleName(e.role))}};
  switch (e.kind) {
    case TcpConnectionEvent::Kind::kUp:
      out.kind = "tcp_up";
      break;
    case TcpConnectionEvent::Kind::kFailed:
      out.kind = "tcp_failed";
      out.result = e.error;
      break;
    case TcpConnectionEvent::Kind::kDown:
      out.kind = "tcp_down";
      details.push_back({"bytes_sent", static_cast<int64_t>(e.bytes_sent)});
      details.push_back({"bytes_received", static_cast<int64_t>(e.bytes_received)});
      details.push_back({"srtt_us", static_cast<int64_t>(e.srtt_us)});
      details.push_back({"retransmits", static_cast<int64_t>(e.retransmits)});
      break;
  }
  out.details_json = store::AttributesJson(details);
  return out;
}

store::NetEvent NetEventOf(const DnsLookupEvent& e, uint64_t monotonic_to_realtime_ns) {
  store::NetEvent out;
  out.kind = "dns_lookup";
  out.time_ns = e.end_ns + monotonic_to_realtime_ns;
  out.duration_ns = e.end_ns > e.start_ns ? e.end_ns - e.start_ns : 0;
  out.name = e.name;
  out.result = e.result;
  out.resource = e.resource;
  return out;
}

store::NetEvent RetransmitEventOf(const ResourcePtr& resource, const Endpoint& local,
                                  const Endpoint& peer, uint16_t tcp_state, uint64_t unix_ns) {
  store::NetEvent out;
  out.kind = "tcp_retransmit";
  out.time_ns = unix_ns;
  out.local_address = local.address;
  out.local_port = local.port;
  out.peer_address = peer.address;
  out.peer_port = peer.port;
  out.resource = resource;
  out.details_json = store::AttributesJson({{"tcp_state", static_cast<int64_t>(tcp_state)}});
  return out;
}

}  // namespace otelbpf
