// The arithmetic between who the observed process is and which way requests travel, shared by
// the protocols whose parsers infer a connection's role from the bytes: a client sends requests
// and receives replies, a server the other way round.
#pragma once

#include "protocols/common/connection.h"

namespace otelbpf::roles {

// Which way requests travel for a process of `role` (as for a server while the role is unknown).
inline Direction RequestDirection(ConnectionRole role) {
  return role == ConnectionRole::kClient ? Direction::kSend : Direction::kRecv;
}

inline Direction Opposite(Direction direction) {
  return direction == Direction::kSend ? Direction::kRecv : Direction::kSend;
}

// The observed process's role, given that a request travelled in `direction`.
inline ConnectionRole RoleSendingRequests(Direction direction) {
  return direction == Direction::kSend ? ConnectionRole::kClient : ConnectionRole::kServer;
}

// The observed process's role, given that a reply travelled in `direction`.
inline ConnectionRole RoleSendingReplies(Direction direction) {
  return direction == Direction::kRecv ? ConnectionRole::kClient : ConnectionRole::kServer;
}

}  // namespace otelbpf::roles
