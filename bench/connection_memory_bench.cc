// Heap held per tracked connection (not a timing): 10 000 connection pairs (curl -> nginx, both
// ends tracked) answer one request each and stay open, as idle keep-alive clients do. Prints the
// bytes allocated per tracked connection while they are fresh and after they rest (two Expire
// passes a second apart, as the agent makes them). Built without mimalloc, so glibc's
// mallinfo2() counts exactly the bytes the agent's code asked for.
//
// Usage: otelbpf_connection_memory_bench [pairs]
#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "capture/connection_tracker.h"
#include "discovery/process_registry.h"
#include "replay_records.h"

namespace otelbpf {
namespace {

using namespace bench;  // NOLINT: the records of replay_records.h

double HeapInUse() { return static_cast<double>(mallinfo2().uordblks); }

int Run(size_t pairs) {
  ResourceDefaults defaults;
  defaults.host_name = "bench-host";
  ProcessRegistry processes(defaults, "/nonexistent-proc");
  size_t exchanges = 0;
  ConnectionTracker tracker(
      processes, [&](ExchangeSpan&, const ConnectionInfo&) { ++exchanges; }, 65536);
  auto feed = [&](const Record& r) { tracker.HandleRecord(r.data(), r.size()); };
  const std::string response = Response();
  uint64_t t = 1'000'000'000;
  double start = 0;
  // Pair 0 first, so the registry's and the tracker's one-time allocations are not counted.
  for (size_t c = 0; c <= pairs; ++c) {
    const auto fd = static_cast<int32_t>(100 + c);
    const auto port = static_cast<uint16_t>(20000 + c % 40000);
    const uint64_t client_gen = 2 * c + 1, server_gen = 2 * c + 2;
    feed(OpenRecord(kCurlPid, fd, client_gen, OTELBPF_ROLE_CLIENT, port, kNginxPort, "curl", t));
    feed(OpenRecord(kNginxPid, fd, server_gen, OTELBPF_ROLE_SERVER, kNginxPort, port, "nginx", t));
    feed(DataRecord(kCurlPid, fd, client_gen, OTELBPF_DIR_SEND, kRequest, t += 1000));
    feed(DataRecord(kNginxPid, fd, server_gen, OTELBPF_DIR_RECV, kRequest, t += 1000));
    feed(DataRecord(kNginxPid, fd, server_gen, OTELBPF_DIR_SEND, response, t += 1000));
    feed(DataRecord(kCurlPid, fd, client_gen, OTELBPF_DIR_RECV, response, t += 1000));
    if (c == 0) start = HeapInUse();
  }
  if (exchanges != 2 * (pairs + 1)) {
    std::fprintf(stderr, "error: %zu exchanges, expected %zu\n", exchanges, 2 * (pairs + 1));
    return 1;
  }
  const double tracked = 2.0 * static_cast<double>(pairs);
  const double fresh = (HeapInUse() - start) / tracked;
  tracker.Expire(t + 1'000'000'000);
  tracker.Expire(t + 2'000'000'000);
  const double resting = (HeapInUse() - start) / tracked;
  std::printf("tracked_connections=%.0f heap_bytes_per_connection fresh=%.0f resting=%.0f\n",
              tracked, fresh, resting);
  return 0;
}

}  // namespace
}  // namespace otelbpf

int main(int argc, char** argv) {
  const size_t pairs = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 10000;
  return otelbpf::Run(pairs == 0 ? 1 : pairs);
}
