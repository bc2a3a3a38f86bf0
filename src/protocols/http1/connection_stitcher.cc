// ConnectionStitcher: two MessageParsers (one per direction) and the FIFO that pairs their
// messages. HTTP/1 carries no ids: the n-th final response answers the n-th request.
#include <optional>
#include <string>
#include <utility>

#include "protocols/http1/h2c_upgrade.h"
#include "protocols/http1/http1_exchange.h"
#include "protocols/http1/message_parser.h"

namespace otelbpf::http1 {
namespace {

// 1xx responses are interim: the final response for the same request follows. 101 is the
// exception: it is final, and the connection stops speaking HTTP/1 after it.
bool IsInterim(int status) { return status >= 100 && status < 200 && status != 101; }

// After these the bytes on the connection belong to another protocol (or a tunnel).
bool SwitchesProtocol(std::string_view request_method, int status) {
  return status == 101 || (request_method == "CONNECT" && status >= 200 && status < 300);
}

Direction Other(Direction d) { return d == Direction::kRecv ? Direction::kSend : Direction::kRecv; }

}  // namespace

struct ConnectionStitcher::State {
  // A request whose header block was seen, waiting for its end and/or its final response.
  struct Pending {
    std::string method;              // known from the headers; decides the response's framing
    std::optional<Message> request;  // set when the request message ended
    std::optional<Message> response;
    ExchangeError error = ExchangeError::kNone;  // the response was cut short
  };

  // Forwards one direction's parser events with the direction attached.
  class DirectionSink : public MessageSink {
   public:
    DirectionSink(State& state, Direction direction) : state_(state), direction_(direction) {}
    void OnHeadersComplete(const Message& message) override {
      state_.OnHeadersComplete(direction_, message);
    }
    std::string_view MethodOfRequestAnswered() override { return state_.MethodOfRequestAnswered(); }
    void OnMessage(Message&& message, MessageEnd end) override {
      state_.OnMessage(direction_, std::move(message), end);
    }

   private:
    State& state_;
    Direction direction_;
  };

  State(ConnectionStitcher& owner, const Resting& resting)
      : owner(owner),
        recv_sink(*this, Direction::kRecv),
        send_sink(*this, Direction::kSend),
        recv_parser(StreamKind::kAny, &recv_sink),
        send_parser(StreamKind::kAny, &send_sink),
        responses_to_discard(resting.responses_to_discard),
        dropped_requests(resting.dropped_requests),
        unmatched_responses(resting.unmatched_responses),
        misdirected_messages(resting.misdirected_messages),
        unrecognized_pieces(resting.unrecognized_pieces),
        completed_count(resting.completed_count) {
    recv_parser.Resume(resting.recv);
    send_parser.Resume(resting.send);
    if (owner.role_ != ConnectionRole::kUnknown) AssignStreamKinds();
  }

  // Nothing in flight that a new State made from Summary() would not have.
  bool AtRest() const {
    return !closed && !protocol_switched && pending.empty() && recv_parser.AtRest() &&
           send_parser.AtRest() && (recv_parser.recognized_any() || send_parser.recognized_any());
  }

  Resting Summary() const {
    Resting r;
    r.recv = recv_parser.continuity();
    r.send = send_parser.continuity();
    r.responses_to_discard = responses_to_discard;
    r.dropped_requests = dropped_requests;
    r.unmatched_responses = unmatched_responses;
    r.misdirected_messages = misdirected_messages;
    r.unrecognized_pieces = unrecognized_pieces;
    r.completed_count = completed_count;
    return r;
  }

  MessageParser& parser(Direction d) { return d == Direction::kRecv ? recv_parser : send_parser; }
  const MessageParser& parser(Direction d) const {
    return d == Direction::kRecv ? recv_parser : send_parser;
  }

  // A server receives requests; a client sends them.
  Direction RequestDirection() const {
    return owner.role_ == ConnectionRole::kClient ? Direction::kSend : Direction::kRecv;
  }

  void AssignStreamKinds() {
    parser(RequestDirection()).set_kind(StreamKind::kRequests);
    parser(Other(RequestDirection())).set_kind(StreamKind::kResponses);
  }

  void InferRole(Direction direction, bool is_request) {
    // The direction that carries requests tells which side the observed process is on.
    const Direction requests = is_request ? direction : Other(direction);
    owner.role_ = requests == Direction::kRecv ? ConnectionRole::kServer : ConnectionRole::kClient;
    AssignStreamKinds();
  }

  void OnHeadersComplete(Direction direction, const Message& message) {
    if (owner.role_ == ConnectionRole::kUnknown) InferRole(direction, message.is_request);
    if (!message.is_request || direction != RequestDirection()) return;
    pending.push_back(Pending{message.method, std::nullopt, std::nullopt, ExchangeError::kNone});
    if (pending.size() > kMaxPendingRequests) {
      // Keep FIFO pairing intact: the response to the forgotten request, if it ever comes,
      // must not be paired with the next request.
      if (!pending.front().response) ++responses_to_discard;
      pending.erase(pending.begin());
      ++dropped_requests;
    }
  }

  Pending* AwaitingResponse() {
    for (Pending& p : pending) {
      if (!p.response) return &p;
    }
    return nullptr;
  }

  std::string_view MethodOfRequestAnswered() {
    if (responses_to_discard > 0) return {};
    const Pending* p = AwaitingResponse();
    return p ? std::string_view(p->method) : std::string_view();
  }

  void OnMessage(Direction direction, Message&& message, MessageEnd end) {
    const bool from_requester = direction == RequestDirection();
    if (message.is_request != from_requester) {
      ++misdirected_messages;  // parsed before the role was known, on the wrong side
      return;
    }
    if (message.is_request) {
      // Requests end in order, so the one ending is the newest registered one.
      if (pending.empty() || pending.back().request) return;  // its entry fell off the FIFO
      pending.back().request = std::move(message);
    } else {
      if (IsInterim(message.status_code)) return;  // keep waiting for the final response
      if (responses_to_discard > 0) {
        --responses_to_discard;
        return;
      }
      Pending* p = AwaitingResponse();
      if (p == nullptr) {
        ++unmatched_responses;
        return;
      }
      if (end == MessageEnd::kCutShort ||
          (end == MessageEnd::kEndedByClose && closing_with_reset)) {
        p->error =
            closing_with_reset ? ExchangeError::kConnectionReset : ExchangeError::kClosedEarly;
      }
      const bool switched = SwitchesProtocol(p->method, message.status_code);
      if (switched && HandOverToH2c(*p, message, direction)) return;
      p->response = std::move(message);
      if (switched) {
        // WebSocket, h2c, or a CONNECT tunnel: nothing more to parse on this connection.
        protocol_switched = true;
        recv_parser.StopParsing();
        send_parser.StopParsing();
      }
    }
    EmitReady();
  }

  // A 101 to h2c the tracker can follow: the request becomes HTTP/2's stream 1 (it is answered
  // there, so no HTTP/1 exchange is reported) and the bytes after the 101 are HTTP/2's.
  bool HandOverToH2c(Pending& p, const Message& response, Direction response_direction) {
    if ((owner.switch_targets_ & (1u << kH2cProtocol)) == 0 || !p.request ||
        !IsH2cUpgrade(*p.request, response)) {
      return false;
    }
    auto handover = std::make_unique<ProtocolSwitch>();
    handover->protocol = kH2cProtocol;
    handover->request = UpgradedRequest(*p.request);
    owner.switch_ = std::move(handover);
    owner.switch_direction_ = response_direction;
    pending.erase(pending.begin() + (&p - pending.data()));
    dropped_requests += pending.size();  // any others can no longer be answered in HTTP/1
    pending.clear();
    protocol_switched = true;
    parser(response_direction).HandOver();
    parser(Other(response_direction)).StopParsing();
    return true;
  }

  void EmitReady() {
    while (!pending.empty() && pending.front().request && pending.front().response) {
      Pending& p = pending.front();
      owner.completed_.push_back(
          Exchange{std::move(*p.request), std::move(p.response), p.error, completed_count++});
      pending.erase(pending.begin());
    }
    // An idle keep-alive connection holds nothing: tens of thousands of them are common, and a
    // kept capacity is ~0.4 KiB each (bench/memory.sh).
    if (pending.empty()) std::vector<Pending>().swap(pending);
  }

  void OnClose(bool reset) {
    closing_with_reset = reset;
    // Responses first: a close-delimited body ends now and may complete an exchange.
    parser(Other(RequestDirection())).OnClose();
    parser(RequestDirection()).OnClose();
    EmitReady();
    const ExchangeError no_response =
        reset ? ExchangeError::kConnectionReset : ExchangeError::kClosedEarly;
    for (Pending& p : pending) {
      if (!p.request) continue;  // cannot happen after the parsers flushed; be safe
      const ExchangeError error = p.response ? p.error : no_response;
      owner.completed_.push_back(
          Exchange{std::move(*p.request), std::move(p.response), error, completed_count++});
    }
    pending.clear();
    closed = true;
  }

  bool abandoned() const {
    if (protocol_switched) return true;
    if (recv_parser.recognized_any() || send_parser.recognized_any()) return false;
    return unrecognized_pieces >= kAbandonAfterUnparseablePieces &&
           recv_parser.skipped_bytes() + send_parser.skipped_bytes() >=
               kAbandonAfterUnparseableBytes;
  }

  ConnectionStitcher& owner;
  DirectionSink recv_sink;
  DirectionSink send_sink;
  MessageParser recv_parser;
  MessageParser send_parser;
  std::vector<Pending> pending;  // FIFO, at most kMaxPendingRequests (a vector: see completed_)
  uint64_t responses_to_discard = 0;
  uint64_t dropped_requests = 0;
  uint64_t unmatched_responses = 0;
  uint64_t misdirected_messages = 0;
  uint64_t unrecognized_pieces = 0;  // OnData calls while nothing was ever recognized
  uint64_t completed_count = 0;      // exchanges handed out so far: the next one's index
  bool closing_with_reset = false;
  bool protocol_switched = false;
  bool closed = false;
};

ConnectionStitcher::ConnectionStitcher(ConnectionRole role, uint32_t switch_targets)
    : role_(role), switch_targets_(switch_targets) {
  state_ = std::make_unique<State>(*this, resting_);
}

ConnectionStitcher::~ConnectionStitcher() = default;

ConnectionStitcher::State& ConnectionStitcher::Awake() {
  if (!state_) state_ = std::make_unique<State>(*this, resting_);
  return *state_;
}

bool ConnectionStitcher::Rest() {
  if (!state_) return true;
  if (!state_->AtRest()) return false;
  resting_ = state_->Summary();
  state_.reset();
  return true;
}

void ConnectionStitcher::OnData(Direction direction, std::string_view captured, uint64_t length,
                                uint64_t start_ns, uint64_t end_ns, uint32_t tid,
                                std::optional<uint32_t> tcp_seq) {
  State& s = Awake();
  if (s.closed || s.abandoned()) return;
  s.parser(direction).OnData(captured, length, start_ns, end_ns, tid, tcp_seq);
  if (!s.recv_parser.recognized_any() && !s.send_parser.recognized_any()) ++s.unrecognized_pieces;
  if (switch_ && switch_direction_ == direction && !switch_->rest) {
    switch_->rest = s.parser(direction).TakeRest();
    if (switch_->rest) switch_->rest->meta.direction = direction;
  }
}

std::unique_ptr<ProtocolSwitch> ConnectionStitcher::TakeSwitch() {
  // Handed out once the piece that carried the switch was fully read (OnData returned).
  return std::move(switch_);
}

void ConnectionStitcher::OnClose(uint64_t /*ns*/, bool reset) {
  State& s = Awake();
  if (s.closed) return;
  s.OnClose(reset);
}

// A resting connection recognised HTTP/1 and did not switch protocols: never abandoned.
bool ConnectionStitcher::abandoned() const { return state_ && state_->abandoned(); }

uint64_t ConnectionStitcher::parse_errors() const {
  // A message parsed on the wrong side (before the role was known) is a misparse too.
  if (!state_) {
    return resting_.recv.parse_errors + resting_.send.parse_errors +
           resting_.misdirected_messages;
  }
  return state_->recv_parser.parse_errors() + state_->send_parser.parse_errors() +
         state_->misdirected_messages;
}

uint64_t ConnectionStitcher::dropped_requests() const {
  return state_ ? state_->dropped_requests : resting_.dropped_requests;
}

uint64_t ConnectionStitcher::unmatched_responses() const {
  return state_ ? state_->unmatched_responses : resting_.unmatched_responses;
}

}  // namespace otelbpf::http1
