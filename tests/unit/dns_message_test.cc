// DNS message and name decoding on hand-built packets (RFC 1035 section 4), and on hostile
// ones: every truncation, pointer loops, forward pointers, oversized labels and names, counts
// that promise more than the bytes hold.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "protocols/dns/message.h"
#include "protocols/dns/mnemonics.h"
#include "protocols/dns/name.h"

namespace otelbpf::dns {
namespace {

// Builds packets byte by byte; offsets are read back with size() for compression pointers.
struct Packet {
  std::string bytes;

  Packet& U8(int v) {
    bytes.push_back(static_cast<char>(v));
    return *this;
  }
  Packet& U16(int v) { return U8(v >> 8).U8(v & 0xFF); }
  Packet& U32(uint32_t v) {
    return U16(static_cast<int>(v >> 16)).U16(static_cast<int>(v & 0xFFFF));
  }
  Packet& Header(int id, int flags, int qd, int an, int ns, int ar) {
    return U16(id).U16(flags).U16(qd).U16(an).U16(ns).U16(ar);
  }
  // Uncompressed labels of a dotted name, then the root unless `pointer_to` is given.
  Packet& Name(std::string_view dotted, int pointer_to = -1) {
    while (!dotted.empty()) {
      const size_t dot = dotted.find('.');
      const std::string_view label = dotted.substr(0, dot);
      U8(static_cast<int>(label.size()));
      bytes.append(label);
      dotted = dot == std::string_view::npos ? std::string_view() : dotted.substr(dot + 1);
    }
    return pointer_to >= 0 ? Pointer(pointer_to) : U8(0);
  }
  Packet& Pointer(int offset) { return U8(0xC0 | (offset >> 8)).U8(offset & 0xFF); }
  Packet& Record(int type, uint32_t ttl, std::string_view data) {
    U16(type).U16(1).U32(ttl).U16(static_cast<int>(data.size()));
    bytes.append(data);
    return *this;
  }
  int offset() const { return static_cast<int>(bytes.size()); }
};

constexpr int kQueryFlags = 0x0100;     // RD
constexpr int kResponseFlags = 0x8180;  // QR RD RA, NOERROR

std::string AQuery() {
  return Packet().Header(0x1234, kQueryFlags, 1, 0, 0, 0).Name("example.com").U16(1).U16(1).bytes;
}

// www.example.com AAAA -> CNAME web.example.com -> AAAA 2001:db8::1, with compression:
// the CNAME's owner points at the question, its data ends in a pointer to "example.com", and
// the AAAA's owner points at the CNAME's data (a pointer to a name that ends in a pointer).
std::string AaaaAnswerWithCompression() {
  Packet p;
  p.Header(0xABCD, kResponseFlags, 1, 2, 0, 0);
  const int question = p.offset();
  p.Name("www.example.com").U16(28).U16(1);
  const int example_com = question + 4;  // after "\3www"
  p.Pointer(question);
  Packet cname_data;
  cname_data.Name("web", example_com);
  const int cname_data_offset = p.offset() + 10;
  p.Record(5, 300, cname_data.bytes);
  p.Pointer(cname_data_offset);
  p.Record(28, 60, std::string("\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16));
  return p.bytes;
}

std::string NxdomainResponse() {
  Packet p;
  p.Header(7, 0x8183, 1, 0, 1, 0);
  p.Name("nope.example").U16(1).U16(1);
  Packet soa;
  soa.Name("ns.example").Name("admin.example").U32(1).U32(2).U32(3).U32(4).U32(5);
  p.Pointer(12 + 5).Record(6, 900, soa.bytes);  // owner: "example"
  return p.bytes;
}

TEST(DnsMessage, ParsesAQuery) {
  const ParseResult r = ParseMessage(AQuery());
  ASSERT_TRUE(r.ok()) << ParseErrorName(r.error);
  const Header& h = r.message.header;
  EXPECT_EQ(h.id, 0x1234);
  EXPECT_FALSE(h.is_response);
  EXPECT_EQ(h.opcode, 0);
  EXPECT_TRUE(h.recursion_desired);
  EXPECT_FALSE(h.recursion_available);
  EXPECT_FALSE(h.truncated);
  EXPECT_EQ(h.question_count, 1);
  EXPECT_EQ(h.answer_count, 0);
  ASSERT_TRUE(r.message.question.has_value());
  EXPECT_EQ(r.message.question->name, "example.com");
  EXPECT_EQ(r.message.question->type, 1);
  EXPECT_EQ(r.message.question->qclass, 1);
  EXPECT_EQ(r.message.rcode, 0);
}

TEST(DnsMessage, ParsesAaaaAnswerWithCompressionPointers) {
  const std::string wire = AaaaAnswerWithCompression();
  const ParseResult r = ParseMessage(wire);
  ASSERT_TRUE(r.ok()) << ParseErrorName(r.error);
  const Header& h = r.message.header;
  EXPECT_EQ(h.id, 0xABCD);
  EXPECT_TRUE(h.is_response);
  EXPECT_TRUE(h.recursion_available);
  EXPECT_EQ(h.answer_count, 2);
  EXPECT_EQ(r.message.question->name, "www.example.com");
  EXPECT_EQ(r.message.question->type, 28);
  EXPECT_EQ(RcodeName(r.message.rcode), "NOERROR");

  // The AAAA owner: pointer -> "web" -> pointer -> "example" "com".
  const size_t aaaa_owner = wire.size() - 2 - 10 - 16;
  std::string name;
  size_t end = 0;
  ASSERT_EQ(DecodeName(wire, aaaa_owner, name, end), ParseError::kNone);
  EXPECT_EQ(name, "web.example.com");
  EXPECT_EQ(end, aaaa_owner + 2);  // the name's own bytes end after its first pointer
}

TEST(DnsMessage, ParsesNxdomainWithAuthority) {
  const ParseResult r = ParseMessage(NxdomainResponse());
  ASSERT_TRUE(r.ok()) << ParseErrorName(r.error);
  EXPECT_EQ(r.message.header.rcode, 3);
  EXPECT_EQ(r.message.rcode, 3);
  EXPECT_EQ(RcodeName(r.message.rcode), "NXDOMAIN");
  EXPECT_EQ(r.message.header.authority_count, 1);
  EXPECT_EQ(r.message.question->name, "nope.example");
}

TEST(DnsMessage, ReportsTruncatedFlag) {
  Packet p;
  p.Header(9, kResponseFlags | 0x0200, 1, 0, 0, 0).Name("big.example").U16(16).U16(1);
  const ParseResult r = ParseMessage(p.bytes);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.message.header.truncated);
  EXPECT_EQ(TypeName(r.message.question->type), "TXT");
}

TEST(DnsMessage, KeepsFirstOfSeveralQuestionsAndValidatesTheRest) {
  Packet p;
  p.Header(3, kQueryFlags, 3, 0, 0, 0);
  p.Name("a.example").U16(1).U16(1);
  p.Name("b", 12 + 2).U16(28).U16(1);  // "b" + pointer to "example"
  p.Name("c.example").U16(15).U16(1);
  const ParseResult r = ParseMessage(p.bytes);
  ASSERT_TRUE(r.ok()) << ParseErrorName(r.error);
  EXPECT_EQ(r.message.header.question_count, 3);
  EXPECT_EQ(r.message.question->name, "a.example");
  EXPECT_EQ(r.message.question->type, 1);

  Packet bad = p;
  bad.bytes[p.bytes.size() - 4 - 11] = static_cast<char>(0x80);  // "c.example"'s first label
  const ParseResult rb = ParseMessage(bad.bytes);
  EXPECT_EQ(rb.error, ParseError::kBadLabelType);
  EXPECT_EQ(rb.failed_in, Section::kQuestion);
  ASSERT_TRUE(rb.message.question.has_value());  // the first question was fine
  EXPECT_TRUE(rb.header_ok());
}

TEST(DnsMessage, ExtendsResponseCodeFromOptRecord) {
  Packet p;
  p.Header(5, kResponseFlags, 1, 0, 0, 1).Name("example.com").U16(1).U16(1);
  p.U8(0).Record(kTypeOpt, 0x01000000, "");  // extended rcode 1, version 0
  const ParseResult r = ParseMessage(p.bytes);
  ASSERT_TRUE(r.ok()) << ParseErrorName(r.error);
  EXPECT_EQ(r.message.header.rcode, 0);
  EXPECT_EQ(r.message.rcode, 16);
  EXPECT_EQ(RcodeName(r.message.rcode), "BADVERS");
}

TEST(DnsMessage, PreservesCaseAndComparesWithoutIt) {
  Packet p;
  p.Header(1, kQueryFlags, 1, 0, 0, 0).Name("wWw.ExAmPlE.cOm").U16(1).U16(1);
  const ParseResult r = ParseMessage(p.bytes);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.message.question->name, "wWw.ExAmPlE.cOm");
  EXPECT_TRUE(NamesEqual(r.message.question->name, "www.example.com"));
  EXPECT_FALSE(NamesEqual("www.example.com", "www.example.co"));
  EXPECT_FALSE(NamesEqual("a\\200", "a\\232"));  // escaped octets stay exact
}

TEST(DnsMessage, EscapesUnprintableAndSpecialOctets) {
  Packet p;
  p.Header(1, kQueryFlags, 1, 0, 0, 0);
  const std::string label("a.b\\c\"d\te\rf\ng\x01h\xffi j\0", 20);  // NUL last
  p.U8(static_cast<int>(label.size()));
  p.bytes += label;
  p.Name("example").U16(1).U16(1);
  const ParseResult r = ParseMessage(p.bytes);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.message.question->name, "a\\.b\\\\c\\\"d\\te\\rf\\ng\\001h\\255i j\\000.example");
}

TEST(DnsMessage, RootNameIsADot) {
  Packet p;
  p.Header(1, kQueryFlags, 1, 0, 0, 0).U8(0).U16(2).U16(1);  // ". NS"
  const ParseResult r = ParseMessage(p.bytes);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.message.question->name, ".");
}

TEST(DnsMessage, QuestionlessMessageParses) {
  const ParseResult r = ParseMessage(Packet().Header(77, 0x8181, 0, 0, 0, 0).bytes);  // FORMERR
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r.message.question.has_value());
  EXPECT_EQ(RcodeName(r.message.rcode), "FORMERR");
}

TEST(DnsMessage, EveryTruncationIsReportedAsTruncated) {
  for (const std::string& wire : {AQuery(), AaaaAnswerWithCompression(), NxdomainResponse()}) {
    const bool question_ends_message = wire == AQuery();
    for (size_t cut = 0; cut < wire.size(); ++cut) {
      const ParseResult r = ParseMessage(std::string_view(wire).substr(0, cut));
      ASSERT_EQ(r.error, ParseError::kTruncated) << "cut at " << cut;
      EXPECT_EQ(r.header_ok(), cut >= kHeaderSize) << "cut at " << cut;
      if (question_ends_message) {
        EXPECT_FALSE(r.message.question.has_value()) << "cut at " << cut;
      }
    }
    EXPECT_TRUE(ParseMessage(wire).ok());
  }
}

TEST(DnsMessage, QuestionSurvivesWhenAnswersAreCut) {
  const std::string wire = AaaaAnswerWithCompression();
  const ParseResult r = ParseMessage(std::string_view(wire).substr(0, wire.size() - 5));
  EXPECT_EQ(r.error, ParseError::kTruncated);
  EXPECT_EQ(r.failed_in, Section::kAnswer);
  ASSERT_TRUE(r.message.question.has_value());
  EXPECT_EQ(r.message.question->name, "www.example.com");
}

TEST(DnsMessage, RejectsSelfPointer) {
  Packet p;
  p.Header(1, kQueryFlags, 1, 0, 0, 0).Pointer(12).U16(1).U16(1);
  const ParseResult r = ParseMessage(p.bytes);
  EXPECT_EQ(r.error, ParseError::kBadPointer);
  EXPECT_EQ(r.failed_in, Section::kQuestion);
  EXPECT_FALSE(r.message.question.has_value());
}

TEST(DnsMessage, RejectsTwoPointersPointingAtEachOther) {
  Packet p;
  p.Header(1, kResponseFlags, 0, 1, 0, 0);
  p.Pointer(14).Pointer(12);  // 12 -> 14 -> 12 -> ...
  std::string name;
  size_t end = 0;
  EXPECT_EQ(DecodeName(p.bytes, 12, name, end), ParseError::kBadPointer);
  EXPECT_EQ(DecodeName(p.bytes, 14, name, end), ParseError::kBadPointer);
  EXPECT_EQ(ParseMessage(p.bytes).error, ParseError::kBadPointer);
}

TEST(DnsMessage, RejectsLoopThroughLabels) {
  // A pointer back into its own name: "\1a" then a pointer to the "\1a" (strictly backwards,
  // but into the run it ends).
  Packet p;
  p.Header(1, kQueryFlags, 1, 0, 0, 0).U8(1).U8('a').Pointer(12).U16(1).U16(1);
  EXPECT_EQ(ParseMessage(p.bytes).error, ParseError::kBadPointer);
}

TEST(DnsMessage, RejectsForwardPointer) {
  Packet p;
  p.Header(1, kResponseFlags, 1, 1, 0, 0);
  p.Pointer(18).U16(1).U16(1);  // question name points into the answer that follows
  p.Name("example.com").Record(1, 1, "\1\2\3\4");
  EXPECT_EQ(ParseMessage(p.bytes).error, ParseError::kBadPointer);
  Packet beyond;
  beyond.Header(1, kQueryFlags, 1, 0, 0, 0).Pointer(0x3FFF).U16(1).U16(1);
  EXPECT_EQ(ParseMessage(beyond.bytes).error, ParseError::kBadPointer);
}

TEST(DnsMessage, BoundsPointerChains) {
  Packet p;
  p.Header(1, kResponseFlags, 0, 0, 0, 0).U8(0);                           // the root at 12
  for (int i = 0; i < 200; ++i) p.Pointer(p.offset() - (i == 0 ? 1 : 2));  // each to the last
  std::string name;
  size_t end = 0;
  EXPECT_EQ(DecodeName(p.bytes, p.bytes.size() - 2, name, end), ParseError::kTooManyPointers);
  // A chain of kMaxPointerJumps is still a name.
  const size_t last_allowed = 13 + 2 * (kMaxPointerJumps - 1);
  name.clear();
  EXPECT_EQ(DecodeName(p.bytes, last_allowed, name, end), ParseError::kNone);
  EXPECT_EQ(name, ".");
}

TEST(DnsMessage, RejectsLabelsOver63AndReservedLabelTypes) {
  for (int first : {0x40, 0x7F, 0x80, 0xBF}) {
    Packet p;
    p.Header(1, kQueryFlags, 1, 0, 0, 0).U8(first);
    p.bytes.append(64, 'x');
    p.U8(0).U16(1).U16(1);
    EXPECT_EQ(ParseMessage(p.bytes).error, ParseError::kBadLabelType) << first;
  }
}

TEST(DnsMessage, EnforcesNameLengthLimit) {
  const std::string l63(63, 'a');
  const auto parse = [](const std::string& dotted) {
    Packet p;
    p.Header(1, kQueryFlags, 1, 0, 0, 0).Name(dotted).U16(1).U16(1);
    return ParseMessage(p.bytes);
  };
  // 3 * (1 + 63) + (1 + 62) + 1 = 256 octets; one fewer is the largest legal name.
  EXPECT_EQ(parse(l63 + "." + l63 + "." + l63 + "." + std::string(62, 'b')).error,
            ParseError::kNameTooLong);
  const ParseResult ok = parse(l63 + "." + l63 + "." + l63 + "." + std::string(61, 'b'));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok.message.question->name.size(), 253u);

  // Compression cannot stretch a name either: 4 * 64 octets reached through a pointer.
  Packet p;
  p.Header(1, kResponseFlags, 1, 1, 0, 0).Name(l63 + "." + l63 + "." + l63).U16(1).U16(1);
  p.Name(l63, 12).Record(1, 1, "\1\2\3\4");
  const ParseResult r = ParseMessage(p.bytes);
  EXPECT_EQ(r.error, ParseError::kNameTooLong);
  EXPECT_EQ(r.failed_in, Section::kAnswer);
}

TEST(DnsMessage, CountsThatOverstateTheBytesAreTruncation) {
  Packet q;
  q.Header(1, kQueryFlags, 0xFFFF, 0, 0, 0).Name("a.example").U16(1).U16(1);
  const ParseResult rq = ParseMessage(q.bytes);
  EXPECT_EQ(rq.error, ParseError::kTruncated);
  EXPECT_EQ(rq.failed_in, Section::kQuestion);
  EXPECT_TRUE(rq.message.question.has_value());

  for (int section = 0; section < 3; ++section) {
    Packet p;
    p.Header(1, kResponseFlags, 1, section == 0 ? 0xFFFF : 0, section == 1 ? 0xFFFF : 0,
             section == 2 ? 0xFFFF : 0);
    p.Name("a.example").U16(1).U16(1);
    const ParseResult r = ParseMessage(p.bytes);
    EXPECT_EQ(r.error, ParseError::kTruncated);
    EXPECT_EQ(static_cast<int>(r.failed_in), static_cast<int>(Section::kAnswer) + section);
  }
  // Record data longer than what is left.
  Packet d;
  d.Header(1, kResponseFlags, 0, 1, 0, 0).U8(0).U16(1).U16(1).U32(1).U16(100).U32(0);
  EXPECT_EQ(ParseMessage(d.bytes).error, ParseError::kTruncated);
}

TEST(DnsMessage, ShortHeader) {
  const ParseResult r = ParseMessage(std::string(11, '\0'));
  EXPECT_FALSE(r.header_ok());
  EXPECT_FALSE(ParseHeader(std::string(11, '\0')).has_value());
  EXPECT_TRUE(ParseHeader(std::string(12, '\0')).has_value());
}

TEST(DnsMnemonics, TypeAndRcodeNames) {
  EXPECT_EQ(TypeName(1), "A");
  EXPECT_EQ(TypeName(28), "AAAA");
  EXPECT_EQ(TypeName(5), "CNAME");
  EXPECT_EQ(TypeName(15), "MX");
  EXPECT_EQ(TypeName(12), "PTR");
  EXPECT_EQ(TypeName(33), "SRV");
  EXPECT_EQ(TypeName(6), "SOA");
  EXPECT_EQ(TypeName(64), "SVCB");
  EXPECT_EQ(TypeName(65), "HTTPS");
  EXPECT_EQ(TypeName(255), "ANY");
  EXPECT_EQ(TypeName(257), "CAA");
  EXPECT_EQ(TypeName(65280), "65280");
  EXPECT_FALSE(IsKnownType(0));
  EXPECT_TRUE(IsKnownType(65));
  EXPECT_EQ(RcodeName(0), "NOERROR");
  EXPECT_EQ(RcodeName(2), "SERVFAIL");
  EXPECT_EQ(RcodeName(4), "NOTIMP");
  EXPECT_EQ(RcodeName(5), "REFUSED");
  EXPECT_EQ(RcodeName(23), "BADCOOKIE");
  EXPECT_EQ(RcodeName(12), "12");
  EXPECT_EQ(RcodeName(4095), "4095");
}

}  // namespace
}  // namespace otelbpf::dns
