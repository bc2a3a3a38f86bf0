// Trace assembly rules: same-host stitching, in-process links, joining a traceparent, whole-
// trace sampling, bounded holding. Times are plain nanoseconds: hold 1000, root grace 100.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <utility>

#include "trace/ids.h"
#include "assembly/trace_assembler.h"

namespace otelbpf {
namespace {

constexpr uint64_t kHold = 1000;
constexpr uint64_t kGrace = 100;  // roots wait this much longer

struct Conn {
  uint32_t pid;
  Endpoint local, peer;
};

// curl -> nginx (pid 1) -> python (pid 2) -> backend (pid 3), all on this host.
const Endpoint kCurl{"127.0.0.1", 40000}, kNginx{"127.0.0.1", 8080};
const Endpoint kNginxOut{"127.0.0.1", 40001}, kPython{"127.0.0.1", 9000};
const Endpoint kPythonOut{"127.0.0.1", 40002}, kBackend{"127.0.0.1", 9100};

class TraceAssemblerTest : public ::testing::Test {
 protected:
  explicit TraceAssemblerTest(SamplerConfig config = {}) : sampler_(config) {}

  void Make(AssemblyLimits limits = {}) {
    limits.hold_ns = kHold;
    limits.same_host_slack_ns = 5;
    limits.root_grace_ns = kGrace;
    assembler_ = std::make_unique<TraceAssembler>(
        sampler_, limits, [this](Span&& s) { emitted_.push_back(std::move(s)); });
  }

  // Adds a span named `name`; returns nothing: look it up by name once emitted.
  void Add(const std::string& name, SpanKind kind, uint32_t pid, uint32_t tid, Endpoint local,
           Endpoint peer, uint64_t start, uint64_t end, std::optional<uint64_t> index = 0,
           std::optional<TraceContext> incoming = std::nullopt, uint64_t now = 0) {
    if (!assembler_) Make();
    Span span;
    span.name = name;
    span.kind = kind;
    span.start_time_unix_nano = start;
    span.end_time_unix_nano = end;
    ConnectionInfo c;
    c.pid = pid;
    c.local = std::move(local);
    c.peer = std::move(peer);
    c.role = kind == SpanKind::kServer ? ConnectionRole::kServer : ConnectionRole::kClient;
    SpanOrigin o;
    o.tid = tid;
    o.exchange_index = index;
    o.request_tcp_seq = std::exchange(next_tcp_seq_, std::nullopt);
    o.incoming = std::move(incoming);
    o.wire = std::exchange(next_wire_, std::nullopt);
    o.local_parent_may_follow = std::exchange(next_may_follow_, true);
    o.started_by_parent_unix_nano = std::exchange(next_started_by_parent_, 0);
    assembler_->Add(std::move(span), c, o, now ? now : end);
  }

  const Span& Get(const std::string& name) {
    for (const Span& s : emitted_)
      if (s.name == name) return s;
    ADD_FAILURE() << name << " not emitted";
    static Span none;
    return none;
  }

  // The whole chain, children first as the kernel reports them.
  void AddChain(std::optional<TraceContext> at_nginx = std::nullopt, uint64_t offset = 0,
                const std::string& suffix = "") {
    Add("backend" + suffix, SpanKind::kServer, 3, 30, kBackend, kPythonOut, offset + 40,
        offset + 60);
    Add("python-out" + suffix, SpanKind::kClient, 2, 20, kPythonOut, kBackend, offset + 35,
        offset + 62);
    // nginx forwards curl's traceparent: the python server sees it too.
    Add("python" + suffix, SpanKind::kServer, 2, 20, kPython, kNginxOut, offset + 30, offset + 70,
        0, at_nginx);
    Add("nginx-out" + suffix, SpanKind::kClient, 1, 10, kNginxOut, kPython, offset + 20,
        offset + 72, 0, at_nginx);
    Add("nginx" + suffix, SpanKind::kServer, 1, 10, kNginx, kCurl, offset + 10, offset + 80, 0,
        at_nginx);
  }

  // SpanOrigin::started_by_parent_unix_nano, for the next Add() only (Go started goroutines).
  uint64_t next_started_by_parent_ = 0;
  // Ids the kernel put on the wire, for the next Add() only (--propagate=headers).
  std::optional<WireContext> next_wire_;
  // The request's TCP sequence number, for the next Add() only (SpanOrigin::request_tcp_seq).
  std::optional<uint32_t> next_tcp_seq_;
  // What the tracker proved about the next Add() only (SpanOrigin::local_parent_may_follow).
  bool next_may_follow_ = true;
  Sampler sampler_;
  std::unique_ptr<TraceAssembler> assembler_;
  std::vector<Span> emitted_;
};

TEST_F(TraceAssemblerTest, LocalChainIsOneTraceWithEveryParentRight) {
  AddChain();
  assembler_->Advance(80 + kHold + kGrace - 1);
  EXPECT_TRUE(emitted_.empty()) << "nothing leaves before its hold (and a root's grace) ends";
  assembler_->Advance(80 + kHold + kGrace);
  ASSERT_EQ(emitted_.size(), 5u);
  const Span& nginx = Get("nginx");
  EXPECT_EQ(nginx.parent_span_id, SpanId{});
  EXPECT_EQ(Get("nginx-out").parent_span_id, nginx.span_id);
  EXPECT_EQ(Get("python").parent_span_id, Get("nginx-out").span_id);
  EXPECT_EQ(Get("python-out").parent_span_id, Get("python").span_id);
  EXPECT_EQ(Get("backend").parent_span_id, Get("python-out").span_id);
  std::set<std::string> traces, spans;
  for (const Span& s : emitted_) {
    traces.insert(ToHex(s.trace_id));
    spans.insert(ToHex(s.span_id));
    EXPECT_TRUE(IsValid(s.trace_id));
  }
  EXPECT_EQ(traces.size(), 1u);
  EXPECT_EQ(spans.size(), 5u);
  const AssemblyStats& st = assembler_->stats();
  EXPECT_EQ(st.linked_same_host, 2u);
  EXPECT_EQ(st.linked_in_process, 2u);
  EXPECT_EQ(st.new_traces, 1u);
  EXPECT_EQ(assembler_->held(), 0u);
}

WireContext Wire(uint8_t trace, uint8_t span, uint8_t parent) {
  WireContext w;
  w.trace_id.fill(trace);
  w.span_id.fill(span);
  if (parent) w.parent_span_id.fill(parent);
  w.sampled = true;
  return w;
}

TEST_F(TraceAssemblerTest, IdsOnTheWireAreKeptAndLinkOnlyByThoseIds) {
  // A thread-per-request relay (pid 2, thread 20) served a request whose traceparent named
  // parent 0x05 and called out; the kernel chose the server span's ids (0x07, trace 0x0a) and
  // put the call's ids (0x08, parent 0x07) in the outgoing traceparent.
  next_wire_ = Wire(0x0a, 0x07, 0x05);
  Add("relay", SpanKind::kServer, 2, 20, kPython, kNginxOut, 30, 70);
  // A rival SERVER span on the same thread, also around the call: user space alone would call
  // the call ambiguous. The ids on the wire say which one it served.
  Add("rival", SpanKind::kServer, 2, 20, kPython, kCurl, 31, 69, 1);
  next_wire_ = Wire(0x0a, 0x08, 0x07);
  Add("relay-out", SpanKind::kClient, 2, 20, kPythonOut, kBackend, 35, 62);
  assembler_->Flush();
  ASSERT_EQ(emitted_.size(), 3u);
  const Span& relay = Get("relay");
  const Span& out = Get("relay-out");
  EXPECT_EQ(relay.span_id, Wire(0, 0x07, 0).span_id);
  EXPECT_EQ(relay.parent_span_id, Wire(0, 0, 0x05).parent_span_id);
  EXPECT_EQ(relay.trace_id, Wire(0x0a, 0, 0).trace_id);
  EXPECT_EQ(out.span_id, Wire(0, 0x08, 0).span_id);
  EXPECT_EQ(out.parent_span_id, relay.span_id);
  EXPECT_EQ(out.trace_id, relay.trace_id);
  EXPECT_NE(Get("rival").trace_id, relay.trace_id);
  EXPECT_EQ(assembler_->stats().ambiguous_in_process, 0u);
  EXPECT_EQ(assembler_->stats().linked_propagated, 1u);
  EXPECT_EQ(assembler_->stats().linked_in_process, 0u);
}

TEST_F(TraceAssemblerTest, TraceTheKernelStartedKeepsItsIdAndTakesNoLocalParent) {
  // The call went out with a new trace (its thread served several requests at once): the
  // span may not be linked under a SERVER span, or its next hop would sit in another trace.
  Add("loop", SpanKind::kServer, 1, 10, kNginx, kCurl, 10, 80);
  next_wire_ = Wire(0x0b, 0x09, 0);
  Add("loop-out", SpanKind::kClient, 1, 10, kNginxOut, kPython, 20, 72);
  assembler_->Flush();
  ASSERT_EQ(emitted_.size(), 2u);
  const Span& out = Get("loop-out");
  EXPECT_EQ(out.trace_id, Wire(0x0b, 0, 0).trace_id);
  EXPECT_EQ(out.parent_span_id, SpanId{});
  EXPECT_NE(Get("loop").trace_id, out.trace_id);
}

TEST_F(TraceAssemblerTest, ServerReadingAnInjectedHeaderFindsItsLocalClientBySpanId) {
  next_wire_ = Wire(0x0c, 0x11, 0);
  Add("client", SpanKind::kClient, 1, 10, kNginxOut, kPython, 20, 72);
  next_wire_ = Wire(0x0c, 0x12, 0x11);  // it read traceparent 00-0c..-11..-01 and called out
  Add("server", SpanKind::kServer, 2, 20, kPython, kNginxOut, 30, 70);
  assembler_->Flush();
  ASSERT_EQ(emitted_.size(), 2u);
  EXPECT_EQ(Get("server").parent_span_id, Get("client").span_id);
  EXPECT_EQ(Get("server").trace_id, Get("client").trace_id);
}

TEST_F(TraceAssemblerTest, StitchingSwitchedOffLinksNoServerToItsLocalClient) {
  AssemblyLimits limits;
  limits.stitch_same_host = false;
  Make(limits);
  AddChain();
  assembler_->Flush();
  ASSERT_EQ(emitted_.size(), 5u);
  EXPECT_EQ(Get("python").parent_span_id, SpanId{});
  EXPECT_EQ(Get("backend").parent_span_id, SpanId{});
  EXPECT_EQ(Get("python-out").parent_span_id, Get("python").span_id) << "in-process links stay";
  EXPECT_EQ(assembler_->stats().linked_same_host, 0u);
  EXPECT_EQ(assembler_->stats().new_traces, 3u);
}

TEST_F(TraceAssemblerTest, IncomingTraceparentIsJoinedAtTheTopOnly) {
  TraceContext caller;
  caller.trace_id = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  caller.span_id = {9, 9, 9, 9, 9, 9, 9, 9};
  caller.sampled = true;
  caller.trace_state = "rojo=1";
  AddChain(caller);
  assembler_->Flush();
  ASSERT_EQ(emitted_.size(), 5u);
  EXPECT_EQ(Get("nginx").parent_span_id, caller.span_id);
  // The forwarded traceparent does not beat the local link.
  EXPECT_EQ(Get("python").parent_span_id, Get("nginx-out").span_id);
  EXPECT_EQ(Get("nginx-out").parent_span_id, Get("nginx").span_id);
  for (const Span& s : emitted_) {
    EXPECT_EQ(s.trace_id, caller.trace_id) << s.name;
    EXPECT_EQ(s.trace_state, "rojo=1") << s.name;
  }
  EXPECT_EQ(assembler_->stats().joined_remote, 1u);
}

TEST_F(TraceAssemblerTest, UnsampledRemoteParentDropsTheWholeTree) {
  TraceContext caller;
  caller.trace_id[0] = 1;
  caller.span_id[0] = 1;
  caller.sampled = false;
  AddChain(caller);
  assembler_->Flush();
  EXPECT_TRUE(emitted_.empty());
  EXPECT_EQ(assembler_->stats().sampled_out, 5u);
}

TEST_F(TraceAssemblerTest, EventLoopWithTwoRequestsInFlightLinksNothing) {
  Add("a", SpanKind::kServer, 1, 10, kNginx, kCurl, 10, 100);
  Add("b", SpanKind::kServer, 1, 10, kNginx, {"127.0.0.1", 40009}, 15, 90);
  Add("out", SpanKind::kClient, 1, 10, kNginxOut, kPython, 20, 50);
  assembler_->Flush();
  ASSERT_EQ(emitted_.size(), 3u);
  EXPECT_EQ(Get("out").parent_span_id, SpanId{});
  EXPECT_NE(Get("out").trace_id, Get("a").trace_id);
  EXPECT_EQ(assembler_->stats().ambiguous_in_process, 1u);
}

TEST_F(TraceAssemblerTest, RivalArrivingAfterTheLinkWasChosenUndoesIt) {
  Add("out", SpanKind::kClient, 1, 10, kNginxOut, kPython, 20, 50);
  Add("a", SpanKind::kServer, 1, 10, kNginx, kCurl, 10, 100, 0, std::nullopt, 100);
  assembler_->Advance(50 + kHold);  // "out" waits for "a", whose hold has not ended
  EXPECT_TRUE(emitted_.empty());
  Add("b", SpanKind::kServer, 1, 10, kNginx, {"127.0.0.1", 40009}, 15, 1060);
  assembler_->Flush();
  ASSERT_EQ(emitted_.size(), 3u);
  EXPECT_EQ(Get("out").parent_span_id, SpanId{});
}

TEST_F(TraceAssemblerTest, NoLinkAcrossThreadsProcessesOrOutsideTheWindow) {
  Add("server", SpanKind::kServer, 1, 10, kNginx, kCurl, 10, 100);
  Add("other-thread", SpanKind::kClient, 1, 11, kNginxOut, kPython, 20, 50);
  Add("other-process", SpanKind::kClient, 2, 10, kPythonOut, kBackend, 20, 50, 1);
  Add("after", SpanKind::kClient, 1, 10, {"127.0.0.1", 40005}, kPython, 90, 110);
  Add("no-thread", SpanKind::kClient, 1, 0, {"127.0.0.1", 40006}, kPython, 20, 50);
  assembler_->Flush();
  ASSERT_EQ(emitted_.size(), 5u);
  for (const Span& s : emitted_) EXPECT_EQ(s.parent_span_id, SpanId{}) << s.name;
  EXPECT_EQ(assembler_->stats().new_traces, 5u);
}

TEST_F(TraceAssemblerTest, SameHostNeedsTheSameExchangeIndex) {
  Add("client", SpanKind::kClient, 1, 10, kNginxOut, kPython, 10, 100, 3);
  Add("server-2", SpanKind::kServer, 2, 20, kPython, kNginxOut, 20, 90, 2);
  Add("server-3", SpanKind::kServer, 2, 20, kPython, kNginxOut, 20, 90, 3);
  Add("server-none", SpanKind::kServer, 2, 21, kPython, kNginxOut, 20, 90, std::nullopt);
  assembler_->Flush();
  EXPECT_EQ(Get("server-3").parent_span_id, Get("client").span_id);
  EXPECT_EQ(Get("server-2").parent_span_id, SpanId{});
  EXPECT_EQ(Get("server-none").parent_span_id, SpanId{});
}

TEST_F(TraceAssemblerTest, SameHostPrefersTheRequestsTcpSequenceNumberOverTheIndex) {
  // After a restart the server missed a request its client's side saw: their indexes disagree
  // (client 7, server 6) but the request's first byte has one sequence number on both ends.
  next_tcp_seq_ = 0xfffffff0u;  // near the 32-bit wrap: no arithmetic, just equality
  Add("client", SpanKind::kClient, 1, 10, kNginxOut, kPython, 10, 100, 7);
  next_tcp_seq_ = 0xfffffff0u;
  Add("server", SpanKind::kServer, 2, 20, kPython, kNginxOut, 20, 90, 6);
  // Same index as the client, other request: never linked by the index once sequence numbers
  // are there.
  next_tcp_seq_ = 0x10u;
  Add("server-other", SpanKind::kServer, 2, 21, kPython, kNginxOut, 20, 90, 7);
  // No sequence number on this side (position not certain): no match with a numbered client.
  Add("server-unnumbered", SpanKind::kServer, 2, 22, kPython, kNginxOut, 20, 90, 7);
  assembler_->Flush();
  EXPECT_EQ(Get("server").parent_span_id, Get("client").span_id);
  EXPECT_EQ(Get("server-other").parent_span_id, SpanId{});
  EXPECT_EQ(Get("server-unnumbered").parent_span_id, SpanId{});
}

TEST_F(TraceAssemblerTest, ChildrenAreClampedInsideTheirParent) {
  // The server's write returns 3 ns after the client's read saw the last byte: within slack.
  Add("client", SpanKind::kClient, 1, 10, kNginxOut, kPython, 10, 100);
  Add("server", SpanKind::kServer, 2, 20, kPython, kNginxOut, 8, 103);
  assembler_->Flush();
  const Span& server = Get("server");
  EXPECT_EQ(server.parent_span_id, Get("client").span_id);
  EXPECT_EQ(server.start_time_unix_nano, 10u);
  EXPECT_EQ(server.end_time_unix_nano, 100u);
  // Beyond the slack it is not the same exchange.
  Add("client2", SpanKind::kClient, 1, 10, kNginxOut, kPython, 200, 300, 1);
  Add("server2", SpanKind::kServer, 2, 20, kPython, kNginxOut, 210, 310, 1);
  assembler_->Flush();
  EXPECT_EQ(Get("server2").parent_span_id, SpanId{});
}

TEST_F(TraceAssemblerTest, ParentLaterThanTheHoldLeavesTheChildUnlinked) {
  Add("out", SpanKind::kClient, 1, 10, kNginxOut, kPython, 20, 50);
  assembler_->Advance(50 + kHold + kGrace);
  ASSERT_EQ(emitted_.size(), 1u);
  Add("server", SpanKind::kServer, 1, 10, kNginx, kCurl, 10, 5000);
  assembler_->Flush();
  ASSERT_EQ(emitted_.size(), 2u);
  EXPECT_EQ(Get("out").parent_span_id, SpanId{});
}

TEST_F(TraceAssemblerTest, ClientJoinsTheTraceparentItPropagatesWhenUnlinked) {
  TraceContext sdk;
  sdk.trace_id[5] = 7;
  sdk.span_id[2] = 3;
  sdk.sampled = true;
  Add("sdk-client", SpanKind::kClient, 1, 10, kNginxOut, kPython, 10, 100, 0, sdk);
  Add("server", SpanKind::kServer, 2, 20, kPython, kNginxOut, 20, 90, 0, sdk);
  assembler_->Flush();
  EXPECT_EQ(Get("sdk-client").parent_span_id, sdk.span_id);
  EXPECT_EQ(Get("server").parent_span_id, Get("sdk-client").span_id);
  EXPECT_EQ(Get("server").trace_id, sdk.trace_id);
}

TEST_F(TraceAssemblerTest, HeldSpansAreBoundedAndNeverLost) {
  AssemblyLimits limits;
  limits.max_held_spans = 4;
  Make(limits);
  for (int i = 0; i < 10; ++i) {
    const uint64_t t = 10 * static_cast<uint64_t>(i);
    Add("s" + std::to_string(i), SpanKind::kServer, 1, 10 + i, kNginx,
        {"127.0.0.1", static_cast<uint16_t>(41000 + i)}, t, t + 5);
  }
  EXPECT_LE(assembler_->held(), 4u);
  EXPECT_EQ(assembler_->stats().released_early, 6u);
  assembler_->Flush();
  EXPECT_EQ(emitted_.size(), 10u);
}

// The load generator's CLIENT spans (a thread that never serves) and the local server's SERVER
// spans: neither waits out the hold, whichever of the two ends arrives first.
TEST_F(TraceAssemblerTest, SpansNothingCanChangeLeaveAtOnceAndStillLink) {
  next_may_follow_ = false;
  Add("wrk-1", SpanKind::kClient, 1, 10, kCurl, kNginx, 10, 100, 0);
  ASSERT_EQ(emitted_.size(), 1u) << "no local parent can come: it leaves as a root at once";
  Add("nginx-1", SpanKind::kServer, 2, 20, kNginx, kCurl, 20, 90, 0);
  ASSERT_EQ(emitted_.size(), 2u) << "its CLIENT already left: linked to it at once";
  EXPECT_EQ(Get("nginx-1").parent_span_id, Get("wrk-1").span_id);
  EXPECT_EQ(Get("nginx-1").trace_id, Get("wrk-1").trace_id);

  Add("nginx-2", SpanKind::kServer, 2, 20, kNginx, kCurl, 120, 190, 1);
  EXPECT_EQ(emitted_.size(), 2u) << "its CLIENT may still come: held";
  next_may_follow_ = false;
  Add("wrk-2", SpanKind::kClient, 1, 10, kCurl, kNginx, 110, 200, 1);
  ASSERT_EQ(emitted_.size(), 4u) << "the CLIENT's arrival decides the waiting SERVER";
  EXPECT_EQ(Get("nginx-2").parent_span_id, Get("wrk-2").span_id);
  EXPECT_EQ(assembler_->held(), 0u);
  EXPECT_EQ(assembler_->stats().linked_same_host, 2u);
  EXPECT_EQ(assembler_->stats().decided_on_arrival, 4u);
  EXPECT_EQ(assembler_->stats().new_traces, 2u);
}

// A Go goroutine started by a serving goroutine calls on: only the request that goroutine was
// serving when it started the caller can be the parent, not one it took up afterwards.
TEST_F(TraceAssemblerTest, ACallOfAStartedGoroutineGoesOnlyToTheRequestServedAtItsStart) {
  // Goroutine 10 serves /a (10..50), starts a goroutine at 20 whose call comes at 30..40.
  Add("a", SpanKind::kServer, 1, 10, kNginx, kCurl, 10, 50);
  next_started_by_parent_ = 20;
  Add("call-for-a", SpanKind::kClient, 1, 10, kNginxOut, kPython, 30, 40, std::nullopt);
  // It starts another at 45 (for /a), whose call comes at 70..80 while it serves /b (60..90).
  Add("b", SpanKind::kServer, 1, 10, kNginx, kCurl, 60, 90);
  next_started_by_parent_ = 45;
  Add("late-call", SpanKind::kClient, 1, 10, kNginxOut, kPython, 70, 80, std::nullopt);
  // A started goroutine's call on the request being served at its start and still at its call.
  next_started_by_parent_ = 65;
  Add("call-for-b", SpanKind::kClient, 1, 10, kNginxOut, kPython, 75, 85, std::nullopt);
  assembler_->Advance(90 + kHold + kGrace);
  ASSERT_EQ(emitted_.size(), 5u);
  EXPECT_EQ(Get("call-for-a").parent_span_id, Get("a").span_id);
  EXPECT_EQ(Get("call-for-b").parent_span_id, Get("b").span_id);
  EXPECT_EQ(Get("late-call").parent_span_id, SpanId{})
      << "/b began after its goroutine was started, and /a had ended: no parent";
  EXPECT_EQ(assembler_->stats().ambiguous_in_process, 0u);
}

TEST_F(TraceAssemblerTest, ARootThatLeftEarlyStillAdoptsItsInProcessChild) {
  // A server with a remote caller leaves at once; the call it made (its thread serves, so the
  // call was held) finds it when the call's hold ends.
  Add("out", SpanKind::kClient, 1, 10, kNginxOut, kPython, 20, 50);
  next_may_follow_ = false;
  Add("server", SpanKind::kServer, 1, 10, kNginx, {"10.0.0.9", 5555}, 10, 100, 1);
  ASSERT_EQ(emitted_.size(), 1u);
  assembler_->Advance(50 + kHold);
  ASSERT_EQ(emitted_.size(), 2u);
  EXPECT_EQ(Get("out").parent_span_id, Get("server").span_id);
  EXPECT_EQ(Get("out").trace_id, Get("server").trace_id);
}

TEST_F(TraceAssemblerTest, SpansThatLeftStillCountAsRivals) {
  next_may_follow_ = false;
  Add("a", SpanKind::kServer, 1, 10, kNginx, {"10.0.0.9", 5555}, 10, 100, 1);
  next_may_follow_ = false;
  Add("b", SpanKind::kServer, 1, 10, kNginx, {"10.0.0.9", 5556}, 15, 90, 1);
  Add("out", SpanKind::kClient, 1, 10, kNginxOut, kPython, 20, 50);
  assembler_->Flush();
  EXPECT_EQ(Get("out").parent_span_id, SpanId{});
  EXPECT_EQ(assembler_->stats().ambiguous_in_process, 1u);
}

TEST_F(TraceAssemblerTest, WhatLeftIsForgottenAfterHoldAndGrace) {
  next_may_follow_ = false;
  Add("client", SpanKind::kClient, 1, 10, kNginxOut, kPython, 10, 100);
  EXPECT_EQ(assembler_->settled(), 1u);
  assembler_->Advance(100 + kHold + kGrace);
  EXPECT_EQ(assembler_->settled(), 0u) << "bounded: kept hold + grace after it left";
  next_may_follow_ = false;
  Add("server", SpanKind::kServer, 2, 20, kPython, kNginxOut, 20, 90);
  EXPECT_EQ(Get("server").parent_span_id, SpanId{});
}

class RatioAssemblerTest : public TraceAssemblerTest {
 protected:
  RatioAssemblerTest() : TraceAssemblerTest({SamplerKind::kParentBasedTraceIdRatio, 0.5}) {}
};

TEST_F(RatioAssemblerTest, TracesAreKeptWholeOrNotAtAll) {
  for (int i = 0; i < 200; ++i) {
    // Distinct connections per request: new ephemeral ports each time.
    const uint64_t t = 1000 * static_cast<uint64_t>(i);
    const std::string n = "#" + std::to_string(i);
    const uint16_t p = static_cast<uint16_t>(42000 + i);
    Add("out" + n, SpanKind::kClient, 1, 10, {"127.0.0.1", p}, kPython, t + 20, t + 50);
    Add("server" + n, SpanKind::kServer, 2, 20, kPython, {"127.0.0.1", p}, t + 25, t + 45);
    Add("top" + n, SpanKind::kServer, 1, 10, kNginx, kCurl, t + 10, t + 60);
    assembler_->Advance(t + 60);
  }
  assembler_->Flush();
  std::map<std::string, int> per_trace;
  for (const Span& s : emitted_) ++per_trace[ToHex(s.trace_id)];
  for (const auto& [trace, count] : per_trace) EXPECT_EQ(count, 3) << trace;
  EXPECT_GT(per_trace.size(), 60u);
  EXPECT_LT(per_trace.size(), 140u);
  EXPECT_EQ(emitted_.size() + assembler_->stats().sampled_out, 600u);
}

TEST_F(RatioAssemblerTest, ChildrenOfAParentThatLeftShareItsDecision) {
  for (int i = 0; i < 200; ++i) {
    const uint64_t t = 1000 * static_cast<uint64_t>(i);
    const std::string n = "#" + std::to_string(i);
    const uint16_t p = static_cast<uint16_t>(42000 + i);
    next_may_follow_ = false;
    Add("client" + n, SpanKind::kClient, 1, 10, {"127.0.0.1", p}, kPython, t + 20, t + 50);
    next_may_follow_ = false;
    Add("server" + n, SpanKind::kServer, 2, 20, kPython, {"127.0.0.1", p}, t + 25, t + 45);
  }
  std::map<std::string, int> per_trace;
  for (const Span& s : emitted_) ++per_trace[ToHex(s.trace_id)];
  for (const auto& [trace, count] : per_trace) EXPECT_EQ(count, 2) << trace;
  EXPECT_GT(per_trace.size(), 60u);
  EXPECT_EQ(emitted_.size() + assembler_->stats().sampled_out, 400u);
  EXPECT_EQ(assembler_->held(), 0u);
}

}  // namespace
}  // namespace otelbpf
