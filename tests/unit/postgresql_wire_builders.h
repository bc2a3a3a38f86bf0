// Byte fixtures for the PostgreSQL tests: every message built the way the protocol documentation
// lays it out, so tests read like the conversations they replay.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace otelbpf::postgresql::wire_builders {

inline std::string Int32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>((v >> 16) & 0xff),
          static_cast<char>((v >> 8) & 0xff), static_cast<char>(v & 0xff)};
}
inline std::string Int16(uint16_t v) {
  return {static_cast<char>(v >> 8), static_cast<char>(v & 0xff)};
}
inline std::string CStr(std::string_view s) { return std::string(s) + std::string(1, '\0'); }

inline std::string Typed(char type, std::string_view body) {
  return std::string(1, type) + Int32(static_cast<uint32_t>(4 + body.size())) + std::string(body);
}
inline std::string Untyped(std::string_view body) {
  return Int32(static_cast<uint32_t>(4 + body.size())) + std::string(body);
}

// ---- frontend ----
inline std::string Startup(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string body = Int32(196608);
  for (const auto& [k, v] : params) body += CStr(k) + CStr(v);
  body.push_back('\0');
  return Untyped(body);
}
inline std::string SslRequest() { return Untyped(Int32(80877103)); }
inline std::string GssEncRequest() { return Untyped(Int32(80877104)); }
inline std::string CancelRequest(uint32_t pid, uint32_t key) {
  return Untyped(Int32(80877102) + Int32(pid) + Int32(key));
}
inline std::string Password(std::string_view password) { return Typed('p', CStr(password)); }
inline std::string SaslInitialResponse(std::string_view mechanism, std::string_view data) {
  return Typed('p',
               CStr(mechanism) + Int32(static_cast<uint32_t>(data.size())) + std::string(data));
}
inline std::string SaslResponse(std::string_view data) { return Typed('p', std::string(data)); }
inline std::string Query(std::string_view text) { return Typed('Q', CStr(text)); }
inline std::string Parse(std::string_view name, std::string_view text, uint16_t types = 0) {
  std::string body = CStr(name) + CStr(text) + Int16(types);
  for (uint16_t i = 0; i < types; ++i) body += Int32(23);  // int4
  return Typed('P', body);
}
// Text-format parameters.
inline std::string Bind(std::string_view portal, std::string_view statement,
                        const std::vector<std::string>& params = {}) {
  std::string body =
      CStr(portal) + CStr(statement) + Int16(0) + Int16(static_cast<uint16_t>(params.size()));
  for (const std::string& p : params) body += Int32(static_cast<uint32_t>(p.size())) + p;
  body += Int16(0);
  return Typed('B', body);
}
inline std::string Describe(char kind, std::string_view name) {
  return Typed('D', std::string(1, kind) + CStr(name));
}
inline std::string Execute(std::string_view portal, uint32_t max_rows = 0) {
  return Typed('E', CStr(portal) + Int32(max_rows));
}
inline std::string Close(char kind, std::string_view name) {
  return Typed('C', std::string(1, kind) + CStr(name));
}
inline std::string Sync() { return Typed('S', ""); }
inline std::string Flush() { return Typed('H', ""); }
inline std::string Terminate() { return Typed('X', ""); }
inline std::string CopyData(std::string_view data) { return Typed('d', data); }
inline std::string CopyDone() { return Typed('c', ""); }
inline std::string CopyFail(std::string_view why) { return Typed('f', CStr(why)); }

// ---- backend ----
inline std::string AuthenticationOk() { return Typed('R', Int32(0)); }
inline std::string AuthenticationCleartext() { return Typed('R', Int32(3)); }
inline std::string AuthenticationSasl() {
  return Typed('R', Int32(10) + CStr("SCRAM-SHA-256") + '\0');
}
inline std::string AuthenticationSaslContinue(std::string_view data) {
  return Typed('R', Int32(11) + std::string(data));
}
inline std::string ParameterStatus(std::string_view k, std::string_view v) {
  return Typed('S', CStr(k) + CStr(v));
}
inline std::string BackendKeyData(uint32_t pid, uint32_t key) {
  return Typed('K', Int32(pid) + Int32(key));
}
inline std::string ReadyForQuery(char status = 'I') { return Typed('Z', std::string(1, status)); }
inline std::string RowDescription(const std::vector<std::string>& columns) {
  std::string body = Int16(static_cast<uint16_t>(columns.size()));
  for (const std::string& c : columns) {
    body +=
        CStr(c) + Int32(0) + Int16(0) + Int32(25) + Int16(0xffff) + Int32(0xffffffff) + Int16(0);
  }
  return Typed('T', body);
}
inline std::string DataRow(const std::vector<std::string>& values) {
  std::string body = Int16(static_cast<uint16_t>(values.size()));
  for (const std::string& v : values) body += Int32(static_cast<uint32_t>(v.size())) + v;
  return Typed('D', body);
}
inline std::string CommandComplete(std::string_view tag) { return Typed('C', CStr(tag)); }
inline std::string ErrorFields(std::string_view severity, std::string_view sqlstate,
                               std::string_view message) {
  return "S" + CStr(severity) + "V" + CStr(severity) + "C" + CStr(sqlstate) + "M" + CStr(message) +
         "F" + CStr("postgres.c") + "L" + CStr("1") + "R" + CStr("exec") + std::string(1, '\0');
}
inline std::string ErrorResponse(std::string_view sqlstate, std::string_view message,
                                 std::string_view severity = "ERROR") {
  return Typed('E', ErrorFields(severity, sqlstate, message));
}
inline std::string NoticeResponse(std::string_view sqlstate, std::string_view message) {
  return Typed('N', ErrorFields("WARNING", sqlstate, message));
}
inline std::string ParseComplete() { return Typed('1', ""); }
inline std::string BindComplete() { return Typed('2', ""); }
inline std::string CloseComplete() { return Typed('3', ""); }
inline std::string NoData() { return Typed('n', ""); }
inline std::string PortalSuspended() { return Typed('s', ""); }
inline std::string EmptyQueryResponse() { return Typed('I', ""); }
inline std::string ParameterDescription(uint16_t n) {
  std::string body = Int16(n);
  for (uint16_t i = 0; i < n; ++i) body += Int32(23);
  return Typed('t', body);
}
inline std::string CopyInResponse(uint16_t columns) {
  std::string body = std::string(1, '\0') + Int16(columns);
  for (uint16_t i = 0; i < columns; ++i) body += Int16(0);
  return Typed('G', body);
}
inline std::string CopyOutResponse(uint16_t columns) {
  std::string body = std::string(1, '\0') + Int16(columns);
  for (uint16_t i = 0; i < columns; ++i) body += Int16(0);
  return Typed('H', body);
}
inline std::string NotificationResponse(uint32_t pid, std::string_view channel,
                                        std::string_view payload) {
  return Typed('A', Int32(pid) + CStr(channel) + CStr(payload));
}

}  // namespace otelbpf::postgresql::wire_builders
