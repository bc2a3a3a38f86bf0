#include "protocols/dns/socket_stitcher.h"

#include "protocols/dns/message.h"

namespace otelbpf::dns {

SocketStitcher::SocketStitcher(Transport transport, MatcherOptions options)
    : transport_(transport), matcher_(transport == Transport::kTcp, options) {}

void SocketStitcher::OnData(Direction direction, std::string_view captured, uint64_t length,
                            uint64_t start_ns, uint64_t end_ns) {
  if (transport_ == Transport::kUdp) {
    OnMessage(direction, captured, captured.size() >= length, start_ns, end_ns);
    return;
  }
  TcpFramer& framer = framers_[Index(direction)];
  framer.OnData(captured, length, start_ns, end_ns);
  for (const Frame& frame : framer.frames()) {
    OnMessage(direction, frame.bytes, frame.complete, frame.start_ns, frame.end_ns);
  }
  framer.frames().clear();
}

void SocketStitcher::OnMessage(Direction direction, std::string_view bytes, bool complete,
                               uint64_t start_ns, uint64_t end_ns) {
  const ParseResult parsed = ParseMessage(bytes);
  if (!parsed.header_ok()) {
    if (complete) ++parse_errors_;
    return;
  }
  // Errors in the records after the question do not matter here: the exchange needs only the
  // header and the question, and a capture-limited message often ends inside its answers. A
  // question cut by the capture limit leaves a message matched by id alone; a malformed one
  // means these were not DNS bytes, and they are not offered to the matcher.
  const bool cut_by_capture = !complete && parsed.error == ParseError::kTruncated;
  if (!parsed.ok() && parsed.failed_in == Section::kQuestion && !cut_by_capture) {
    ++parse_errors_;
    return;
  }
  if (direction == Direction::kSend) {
    matcher_.OnSent(parsed.message, start_ns, end_ns);
  } else {
    matcher_.OnReceived(parsed.message, start_ns, end_ns);
  }
}

}  // namespace otelbpf::dns
