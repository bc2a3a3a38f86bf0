// The open streams of one connection: exchanges in progress, keyed by stream id, bounded. A
// connection multiplexes up to SETTINGS_MAX_CONCURRENT_STREAMS of them (often 100 or more); a
// hostile or broken peer could announce more, and streams whose end was lost in a capture gap
// would otherwise stay forever, so the oldest gives way past kMaxOpenStreams and Expire() ends
// streams that have been silent too long.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "protocols/http2/exchange.h"

namespace otelbpf::http2 {

inline constexpr size_t kMaxOpenStreams = 256;
// Long enough for streaming calls that go quiet for a while (watches, long polls).
inline constexpr uint64_t kStreamSilenceTimeoutNs = 10ull * 60 * 1000 * 1000 * 1000;

struct OpenStream {
  Exchange exchange;
  bool request_known = false;  // its request header block was decoded
  uint64_t last_activity_ns = 0;
};

class StreamTable {
 public:
  OpenStream* Find(uint32_t stream_id);
  // Opens a stream; when the table is full, the oldest stream is forgotten first (counted).
  OpenStream& Open(uint32_t stream_id);
  // Removes the stream and hands its exchange to `out`.
  void Close(uint32_t stream_id, std::vector<OpenStream>& out);
  // Hands every stream to `out` (the connection ended).
  void CloseAll(std::vector<OpenStream>& out);
  // Forgets streams silent since before `now_ns - kStreamSilenceTimeoutNs` (counted).
  void ForgetSilent(uint64_t now_ns);

  size_t size() const { return streams_.size(); }
  const std::vector<OpenStream>& streams() const { return streams_; }
  uint64_t forgotten() const { return forgotten_; }

 private:
  std::vector<OpenStream> streams_;  // in opening order (a vector: see completed_ in http1)
  uint64_t forgotten_ = 0;
};

}  // namespace otelbpf::http2
