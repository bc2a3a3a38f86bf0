// Opens the embedded store for `otelbpf run` from its options: the default file, a file the
// user named, or none. A default store that cannot be opened (a read-only root filesystem, a
// second agent on the same file) is a warning and the agent runs without it; a store the user
// named must open.
#pragma once

#include <memory>

#include "agent/agent.h"
#include "capture/lifecycle_events.h"
#include "store/span_store.h"

namespace otelbpf {

// nullptr with *fatal = false: no store (off, or the default could not open: warned);
// nullptr with *fatal = true: the named store could not open (the error is logged).
std::unique_ptr<store::SpanStore> OpenStore(const AgentOptions::Store& options, bool* fatal);

// The capture's events as the store keeps them; monotonic times become Unix times.
store::NetEvent NetEventOf(const TcpConnectionEvent& e, uint64_t monotonic_to_realtime_ns);
store::NetEvent NetEventOf(const DnsLookupEvent& e, uint64_t monotonic_to_realtime_ns);
store::NetEvent RetransmitEventOf(const ResourcePtr& resource, const Endpoint& local,
                                  const Endpoint& peer, uint16_t tcp_state, uint64_t unix_ns);

}  // namespace otelbpf
