#include "protocols/mysql/connection_parser.h"

#include <algorithm>
#include <utility>

#include "protocols/common/db_span.h"
#include "protocols/mysql/call.h"
#include "protocols/mysql/constants.h"
#include "protocols/mysql/resync.h"

namespace otelbpf::mysql {
namespace {

Direction Other(Direction d) { return d == Direction::kRecv ? Direction::kSend : Direction::kRecv; }

Piece Suffix(const Piece& piece, size_t offset) {
  Piece rest = piece;
  rest.bytes = piece.bytes.substr(offset);
  rest.length = piece.length - offset;
  if (piece.tcp_seq) rest.tcp_seq = *piece.tcp_seq + static_cast<uint32_t>(offset);
  return rest;
}

}  // namespace

MysqlConnectionParser::MysqlConnectionParser(const ParserSetup& setup)
    : joined_midstream_(setup.learned_midstream),
      role_(setup.role),
      framers_{PacketFramer(setup.learned_midstream), PacketFramer(setup.learned_midstream)},
      session_(setup.learned_midstream) {
  if (setup.transport != Transport::kTcp) abandoned_ = true;
  if (role_ == ConnectionRole::kClient) requests_ = Direction::kSend;
  if (role_ == ConnectionRole::kServer) requests_ = Direction::kRecv;
}

void MysqlConnectionParser::OnData(const Piece& given) {
  if (abandoned()) return;
  Piece piece = given;
  piece.length = std::max<uint64_t>(piece.length, piece.bytes.size());
  if (!requests_) {
    InferDirections(piece);
    return;
  }
  if (piece.direction == *requests_) {
    OnClientPiece(piece);
  } else {
    OnServerPiece(piece);
  }
}

void MysqlConnectionParser::InferDirections(const Piece& piece) {
  const uint64_t length = piece.length;
  if (!joined_midstream_) {
    if (!PlausibleGreetingStart(piece.bytes, length)) {
      abandoned_ = true;  // a new MySQL connection opens with the server's greeting
      return;
    }
    SetRequestDirection(Other(piece.direction));
    OnServerPiece(piece);
    return;
  }
  if (candidate_ && piece.direction == candidate_->direction && AppendsToCandidate(piece)) return;
  if (PlausibleCommandStart(piece.bytes, length)) {
    candidate_ = Candidate{piece.direction, {Store(piece)}};
    return;
  }
  if (!candidate_) return;
  if (piece.direction == candidate_->direction) {
    candidate_.reset();  // its follow-up is no command: it was not one either
    return;
  }
  const std::string_view first = candidate_->pieces.front().bytes;
  const std::string_view payload =
      candidate_->pieces.size() > 1 ? candidate_->pieces[1].bytes : first.substr(kPacketHeaderSize);
  const CommandInfo* info = payload.empty() ? nullptr : FindCommand(static_cast<uint8_t>(payload[0]));
  const ResponseShape shape = info ? info->response : ResponseShape::kGeneric;
  if (!PlausibleResponseStart(piece.bytes, length, 1, shape)) return;
  const Candidate c = std::move(*candidate_);
  candidate_.reset();
  SetRequestDirection(c.direction);
  for (const StoredPiece& stored : c.pieces) {
    Piece replay;
    replay.direction = c.direction;
    replay.bytes = stored.bytes;
    replay.length = stored.length;
    replay.start_ns = stored.start_ns;
    replay.end_ns = stored.end_ns;
    replay.tid = stored.tid;
    replay.tcp_seq = stored.tcp_seq;
    OnClientPiece(replay);
  }
  OnServerPiece(piece);
}

bool MysqlConnectionParser::AppendsToCandidate(const Piece& piece) {
  // Readers that fetch the four header bytes first (the server does) leave the command byte in
  // the next syscall: the two together are the candidate.
  if (candidate_->pieces.size() != 1) return false;
  const StoredPiece& header = candidate_->pieces.front();
  if (header.length != kPacketHeaderSize || piece.bytes.empty()) return false;
  std::string joined = header.bytes + std::string(piece.bytes.substr(0, kMaxKeptPayloadBytes));
  if (!PlausibleCommandStart(joined, kPacketHeaderSize + piece.length)) return false;
  candidate_->pieces.push_back(Store(piece));
  return true;
}

MysqlConnectionParser::StoredPiece MysqlConnectionParser::Store(const Piece& piece) {
  return {std::string(piece.bytes.substr(0, kMaxKeptPayloadBytes)), piece.length, piece.start_ns,
          piece.end_ns, piece.tid, piece.tcp_seq};
}

void MysqlConnectionParser::SetRequestDirection(Direction requests) {
  requests_ = requests;
  role_ = requests == Direction::kSend ? ConnectionRole::kClient : ConnectionRole::kServer;
}

void MysqlConnectionParser::OnClientPiece(const Piece& piece) {
  PacketFramer& f = framer(piece.direction);
  if (f.lost()) {
    const uint64_t length = piece.length;
    if (PlausibleCommandStart(piece.bytes, length)) {
      f.Resync();
    } else {
      const size_t at = FindCommandEndingPiece(piece.bytes, length, 0);
      if (at == std::string_view::npos) return;
      f.Resync();
      FeedClient(Suffix(piece, at));
      return;
    }
  }
  FeedClient(piece);
}

void MysqlConnectionParser::FeedClient(const Piece& piece) {
  PacketFramer& f = framer(piece.direction);
  Piece rest = piece;
  // Each refused message may hide a command further on in the same syscall; every retry starts
  // past the refused one, so this ends.
  while (true) {
    client_sink_.rejected_offset = std::string_view::npos;
    f.OnData(rest.bytes, rest.length, rest.start_ns, rest.end_ns, rest.tid, client_sink_,
             rest.tcp_seq);
    if (!f.lost() || client_sink_.rejected_offset == std::string_view::npos) return;
    const size_t at =
        FindCommandEndingPiece(rest.bytes, rest.length, client_sink_.rejected_offset + 1);
    if (at == std::string_view::npos) return;
    f.Resync();
    rest = Suffix(rest, at);
  }
}

void MysqlConnectionParser::OnServerPiece(const Piece& piece) {
  PacketFramer& f = framer(piece.direction);
  if (f.lost()) {
    const uint64_t length = piece.length;
    const std::optional<Session::ExpectedResponse> expected = session_.ExpectedResponseStart();
    if (!expected || !PlausibleResponseStart(piece.bytes, length, expected->seq, expected->shape)) {
      session_.OnServerSkipped(piece.end_ns);
      return;
    }
    f.Resync();
  }
  f.OnData(piece.bytes, piece.length, piece.start_ns, piece.end_ns, piece.tid, server_sink_,
           piece.tcp_seq);
  if (f.lost()) session_.OnServerLost(piece.end_ns);
}

bool MysqlConnectionParser::DirectionSink::OnMessageStart(const Message& start) {
  const bool accepted = from_client_ ? owner_.session_.OnClientMessageStart(start)
                                     : owner_.session_.OnServerMessageStart(start);
  if (!accepted) rejected_offset = start.offset;
  return accepted;
}

bool MysqlConnectionParser::DirectionSink::OnMessage(const Message& message) {
  const bool accepted = from_client_ ? owner_.session_.OnClientMessage(message)
                                     : owner_.session_.OnServerMessage(message);
  if (!accepted) rejected_offset = message.offset;
  return accepted;
}

void MysqlConnectionParser::OnClose(uint64_t ns, bool reset) { session_.OnClose(ns, reset); }

void MysqlConnectionParser::Drain(const ConnectionInfo& connection, const SpanBuildOptions& options,
                                  std::vector<ExchangeSpan>& out) {
  std::vector<Call>& done = session_.completed();
  if (done.empty()) return;
  const ConnectionRole role = connection.role != ConnectionRole::kUnknown ? connection.role : role_;
  if (role == ConnectionRole::kUnknown) return;  // kept (bounded) until a side is known
  std::optional<ConnectionInfo> with_role;
  if (connection.role == ConnectionRole::kUnknown) {
    with_role = connection;
    with_role->role = role;
  }
  const ConnectionInfo& info = with_role ? *with_role : connection;
  for (const Call& call : done)
    out.push_back(BuildDbExchange(ToDbCall(call, session_.system(), options), info, options));
  done.clear();
}

ParserCounters MysqlConnectionParser::counters() const {
  ParserCounters c;
  c.parse_errors =
      session_.protocol_errors() + framers_[0].sync_losses() + framers_[1].sync_losses();
  c.unmatched_responses = session_.unmatched_responses();
  c.dropped_requests = session_.dropped_requests();
  c.unknown_statements = session_.unknown_statements();
  return c;
}

std::unique_ptr<ConnectionParser> MakeConnectionParser(const ParserSetup& setup) {
  return std::make_unique<MysqlConnectionParser>(setup);
}

}  // namespace otelbpf::mysql
