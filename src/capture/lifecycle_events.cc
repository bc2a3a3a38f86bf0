#include "capture/lifecycle_events.h"

#include <netdb.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "capture/connection_tracker.h"

namespace otelbpf {
namespace {

Endpoint MakeEndpoint(uint16_t family, const uint8_t* addr, uint16_t port) {
  return {FormatAddress(family, addr), port};
}

}  // namespace

TcpConnectionEvent DecodeTcpConnection(const otelbpf_tcp_conn_event& e) {
  TcpConnectionEvent out;
  switch (e.hdr.type) {
    case OTELBPF_EV_TCP_CONN_FAILED:
      out.kind = TcpConnectionEvent::Kind::kFailed;
      break;
    case OTELBPF_EV_TCP_CONN_DOWN:
      out.kind = TcpConnectionEvent::Kind::kDown;
      break;
    default:
      out.kind = TcpConnectionEvent::Kind::kUp;
  }
  out.role = e.hdr.role == OTELBPF_ROLE_SERVER   ? ConnectionRole::kServer
             : e.hdr.role == OTELBPF_ROLE_CLIENT ? ConnectionRole::kClient
                                                 : ConnectionRole::kUnknown;
  out.pid = e.hdr.tgid;
  out.local = MakeEndpoint(e.family, e.local_addr, e.local_port);
  out.peer = MakeEndpoint(e.family, e.peer_addr, e.peer_port);
  // A dual-stack socket talking to an IPv4 peer formats as IPv4: call it what it carries.
  out.ipv6 = e.family == AF_INET6 && out.peer.address.find(':') != std::string::npos;
  out.start_ns = e.hdr.start_ns;
  out.end_ns = e.hdr.end_ns;
  out.error = e.error;
  out.bytes_sent = e.bytes_sent;
  out.bytes_received = e.bytes_received;
  out.srtt_us = e.srtt_us;
  out.retransmits = e.retransmits;
  return out;
}

DnsLookupEvent DecodeDnsLookup(const otelbpf_dns_lookup_event& e) {
  DnsLookupEvent out;
  out.pid = e.hdr.tgid;
  out.tid = e.hdr.tid;
  out.name.assign(e.name, strnlen(e.name, sizeof(e.name)));
  out.result = e.result;
  out.start_ns = e.hdr.start_ns;
  out.end_ns = e.hdr.end_ns;
  return out;
}

std::string ConnectErrorType(uint16_t err) {
  switch (err) {
    case 0:
      return "cancelled";
    case ECONNREFUSED:
      return "connection_refused";
    case ETIMEDOUT:
      return "timed_out";
    case EHOSTUNREACH:
      return "host_unreachable";
    case ENETUNREACH:
      return "network_unreachable";
    case ECONNRESET:
      return "connection_reset";
    case ECONNABORTED:
      return "connection_aborted";
    case EADDRNOTAVAIL:
      return "address_not_available";
    default:
      return "errno_" + std::to_string(err);
  }
}

std::string GetaddrinfoErrorType(int32_t result) {
  switch (result) {
    case 0:
      return "";
    case EAI_BADFLAGS:
      return "EAI_BADFLAGS";
    case EAI_NONAME:
      return "EAI_NONAME";
    case EAI_AGAIN:
      return "EAI_AGAIN";
    case EAI_FAIL:
      return "EAI_FAIL";
    case EAI_NODATA:
      return "EAI_NODATA";
    case EAI_FAMILY:
      return "EAI_FAMILY";
    case EAI_SOCKTYPE:
      return "EAI_SOCKTYPE";
    case EAI_SERVICE:
      return "EAI_SERVICE";
    case EAI_ADDRFAMILY:
      return "EAI_ADDRFAMILY";
    case EAI_MEMORY:
      return "EAI_MEMORY";
    case EAI_SYSTEM:
      return "EAI_SYSTEM";
    case EAI_OVERFLOW:
      return "EAI_OVERFLOW";
    default:
      return "EAI_" + std::to_string(result);
  }
}

}  // namespace otelbpf
