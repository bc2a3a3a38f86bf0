#include "protocols/http2/streams.h"

#include <algorithm>
#include <utility>

namespace otelbpf::http2 {

OpenStream* StreamTable::Find(uint32_t stream_id) {
  for (OpenStream& s : streams_) {
    if (s.exchange.stream_id == stream_id) return &s;
  }
  return nullptr;
}

OpenStream& StreamTable::Open(uint32_t stream_id) {
  if (streams_.size() >= kMaxOpenStreams) {
    streams_.erase(streams_.begin());
    ++forgotten_;
  }
  OpenStream& s = streams_.emplace_back();
  s.exchange.stream_id = stream_id;
  return s;
}

void StreamTable::Close(uint32_t stream_id, std::vector<OpenStream>& out) {
  auto it = std::find_if(streams_.begin(), streams_.end(), [stream_id](const OpenStream& s) {
    return s.exchange.stream_id == stream_id;
  });
  if (it == streams_.end()) return;
  out.push_back(std::move(*it));
  streams_.erase(it);
  // An idle connection keeps no capacity: thousands of them are common.
  if (streams_.empty()) std::vector<OpenStream>().swap(streams_);
}

void StreamTable::CloseAll(std::vector<OpenStream>& out) {
  for (OpenStream& s : streams_) out.push_back(std::move(s));
  std::vector<OpenStream>().swap(streams_);
}

void StreamTable::ForgetSilent(uint64_t now_ns) {
  const size_t before = streams_.size();
  std::erase_if(streams_, [now_ns](const OpenStream& s) {
    return s.last_activity_ns + kStreamSilenceTimeoutNs < now_ns;
  });
  forgotten_ += before - streams_.size();
  if (streams_.empty()) std::vector<OpenStream>().swap(streams_);
}

}  // namespace otelbpf::http2
