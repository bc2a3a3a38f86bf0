// libFuzzer target: arbitrary bytes as ring-buffer records (as if the kernel side were buggy or
// the ABI drifted). The tracker must validate every record and never crash or over-read.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "capture/connection_tracker.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static otelbpf::ProcessRegistry* processes =
      new otelbpf::ProcessRegistry(otelbpf::ResourceDefaults{}, "/nonexistent-proc");
  otelbpf::ConnectionTracker tracker(
      *processes, [](const auto&, const auto&) {}, 64);
  // Records are length-prefixed (one byte) so one input holds a sequence of them; each record is
  // copied to its own allocation so ASan sees any read past its end.
  size_t pos = 0;
  while (pos < size) {
    size_t len = data[pos++];
    len = len * 2 > size - pos ? size - pos : len * 2;
    std::vector<uint8_t> record(data + pos, data + pos + len);
    pos += len;
    tracker.HandleRecord(record.data(), record.size());
  }
  return 0;
}
