// The kernel's classifier chain (bpf/classify.bpf.h), compiled here as plain C++: the byte tests
// are pure functions, so what runs in the kernel is tested on the first messages real clients
// and servers send (both directions), and on traffic of protocols we do not follow, which must
// never be claimed. Prints the confusion matrix (docs/design.md, "Classification accuracy").
#include <gtest/gtest.h>
#include <linux/types.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "http_capture.h"

// glibc already defines __always_inline as the BPF headers use it.
#include "../../bpf/classify.bpf.h"

namespace otelbpf {
namespace {

struct Sample {
  const char* what;
  uint8_t protocol;  // the truth: OTELBPF_PROTO_UNKNOWN for protocols we do not follow
  int kind;          // CLASSIFY_REQUEST / CLASSIFY_RESPONSE for ours
  std::string bytes;
};

std::string Be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}
// PostgreSQL typed message: type, length (including itself), body.
std::string Pg(char type, const std::string& body) { return type + Be32(4 + body.size()) + body; }
std::string PgStartup(const std::string& body) { return Be32(8 + body.size()) + Be32(196608) + body; }
// MySQL packet: 3-byte little-endian length, sequence, payload.
std::string My(uint8_t seq, const std::string& payload) {
  const size_t n = payload.size();
  return std::string{static_cast<char>(n), static_cast<char>(n >> 8), static_cast<char>(n >> 16),
                     static_cast<char>(seq)} + payload;
}
std::string S(const char* bytes, size_t n) { return std::string(bytes, n); }

std::vector<Sample> Samples() {
  const std::string greeting_body =
      std::string("\x0a") + "5.5.5-10.11.6-MariaDB-0+deb12u1" + '\0' + S("\x05\x00\x00\x00", 4) +
      "abcdefgh" + '\0' + S("\xfe\xf7\x2d\x02\x00\xff\x81\x15", 8) + std::string(10, '\0') +
      "ijklmnopqrst" + '\0' + "mysql_native_password" + '\0';
  const std::string mysql8 = std::string("\x0a") + "8.0.36" + '\0' + std::string(40, 'x');
  return {
      {"curl GET", OTELBPF_PROTO_HTTP1, CLASSIFY_REQUEST, "GET /hello HTTP/1.1\r\nHost: a\r\n\r\n"},
      {"POST", OTELBPF_PROTO_HTTP1, CLASSIFY_REQUEST, "POST /api HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}"},
      {"nginx 200", OTELBPF_PROTO_HTTP1, CLASSIFY_RESPONSE, "HTTP/1.1 200 OK\r\nServer: nginx\r\n\r\n"},
      {"DELETE", OTELBPF_PROTO_HTTP1, CLASSIFY_REQUEST, "DELETE /x HTTP/1.1\r\n\r\n"},
      {"pg startup", OTELBPF_PROTO_POSTGRESQL, CLASSIFY_REQUEST,
       PgStartup(S("user\0app\0database\0shop\0application_name\0psql\0\0", 46))},
      {"pg SSLRequest", OTELBPF_PROTO_POSTGRESQL, CLASSIFY_REQUEST, Be32(8) + Be32(80877103)},
      {"pg GSSENCRequest", OTELBPF_PROTO_POSTGRESQL, CLASSIFY_REQUEST, Be32(8) + Be32(80877104)},
      {"pg simple query", OTELBPF_PROTO_POSTGRESQL, CLASSIFY_REQUEST, Pg('Q', S("SELECT 1\0", 9))},
      {"pg parse/bind/execute/sync", OTELBPF_PROTO_POSTGRESQL, CLASSIFY_REQUEST,
       Pg('P', S("\0SELECT $1\0\0\0", 13)) + Pg('B', S("\0\0\0\0\0\0\0\0", 8)) +
           Pg('E', S("\0\0\0\0\0", 5)) + Pg('S', "")},
      {"pg named parse", OTELBPF_PROTO_POSTGRESQL, CLASSIFY_REQUEST,
       Pg('P', S("P0_1\0SELECT abalance FROM pgbench_accounts WHERE aid = $1\0\0\0", 60))},
      {"pg auth request", OTELBPF_PROTO_POSTGRESQL, CLASSIFY_RESPONSE, Pg('R', Be32(10) + "SCRAM-SHA-256" + S("\0\0", 2))},
      {"pg parse/bind complete", OTELBPF_PROTO_POSTGRESQL, CLASSIFY_RESPONSE,
       Pg('1', "") + Pg('2', "") + Pg('C', S("SELECT 1\0", 9)) + Pg('Z', "I")},
      {"pg command complete", OTELBPF_PROTO_POSTGRESQL, CLASSIFY_RESPONSE, Pg('C', S("INSERT 0 1\0", 11)) + Pg('Z', "I")},
      // pgbench -M prepared met in mid-stream: Bind/Execute of a statement parsed before.
      {"pg bind complete and a row", OTELBPF_PROTO_POSTGRESQL, CLASSIFY_RESPONSE,
       Pg('2', "") + Pg('D', S("\0\1", 2) + Be32(4) + "1234") + Pg('C', S("SELECT 1\0", 9)) + Pg('Z', "I")},
      {"mariadb greeting", OTELBPF_PROTO_MYSQL, CLASSIFY_RESPONSE, My(0, greeting_body)},
      {"mysql 8 greeting", OTELBPF_PROTO_MYSQL, CLASSIFY_RESPONSE, My(0, mysql8)},
      {"COM_QUERY", OTELBPF_PROTO_MYSQL, CLASSIFY_REQUEST, My(0, "\x03SELECT note FROM items WHERE id = 1")},
      {"COM_STMT_PREPARE", OTELBPF_PROTO_MYSQL, CLASSIFY_REQUEST, My(0, "\x16SELECT ?")},
      {"COM_STMT_EXECUTE", OTELBPF_PROTO_MYSQL, CLASSIFY_REQUEST,
       My(0, S("\x17\x01\x00\x00\x00\x00\x01\x00\x00\x00\x00\x01", 12))},
      {"COM_PING", OTELBPF_PROTO_MYSQL, CLASSIFY_REQUEST, My(0, "\x0e")},
      {"COM_INIT_DB", OTELBPF_PROTO_MYSQL, CLASSIFY_REQUEST, My(0, "\x02shop")},
      {"redis PING", OTELBPF_PROTO_REDIS, CLASSIFY_REQUEST, "*1\r\n$4\r\nPING\r\n"},
      {"redis SET", OTELBPF_PROTO_REDIS, CLASSIFY_REQUEST, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"},
      {"redis MSET x12", OTELBPF_PROTO_REDIS, CLASSIFY_REQUEST, "*25\r\n$4\r\nMSET\r\n$2\r\nk1\r\n"},
      {"redis AUTH", OTELBPF_PROTO_REDIS, CLASSIFY_REQUEST, "*2\r\n$4\r\nAUTH\r\n$6\r\nsecret\r\n"},
      {"memcached get", OTELBPF_PROTO_MEMCACHED, CLASSIFY_REQUEST, "get user:1\r\n"},
      {"memcached gets", OTELBPF_PROTO_MEMCACHED, CLASSIFY_REQUEST, "gets a b c\r\n"},
      {"memcached set", OTELBPF_PROTO_MEMCACHED, CLASSIFY_REQUEST, "set k 0 0 5\r\nhello\r\n"},
      {"memcached delete", OTELBPF_PROTO_MEMCACHED, CLASSIFY_REQUEST, "delete k\r\n"},
      {"memcached incr", OTELBPF_PROTO_MEMCACHED, CLASSIFY_REQUEST, "incr n 1\r\n"},
      {"memcached version", OTELBPF_PROTO_MEMCACHED, CLASSIFY_REQUEST, "version\r\n"},
      // Protocols we do not follow: never claimed.
      {"TLS ClientHello", OTELBPF_PROTO_UNKNOWN, 0, S("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\xaa\xbb\xcc\xdd\xee", 16)},
      {"TLS ServerHello", OTELBPF_PROTO_UNKNOWN, 0, S("\x16\x03\x03\x00\x7a\x02\x00\x00\x76\x03\x03\x11\x22\x33\x44\x55", 16)},
      {"TLS app data", OTELBPF_PROTO_UNKNOWN, 0, S("\x17\x03\x03\x00\x45\x9a\x8b\x7c\x6d\x5e\x4f\x30\x21\x12\x03\xf4", 16)},
      {"SSH banner", OTELBPF_PROTO_UNKNOWN, 0, "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"},
      {"HTTP/2 preface", OTELBPF_PROTO_HTTP2, CLASSIFY_REQUEST, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"},
      {"HTTP/2 preface + SETTINGS", OTELBPF_PROTO_HTTP2, CLASSIFY_REQUEST,
       "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + S("\x00\x00\x00\x04\x00\x00\x00\x00\x00", 9)},
      {"HTTP/2 SETTINGS", OTELBPF_PROTO_UNKNOWN, 0, S("\x00\x00\x12\x04\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x64\x00", 16)},
      // A connection met in the middle: a HEADERS frame (END_HEADERS, stream 3) and its block.
      {"HTTP/2 HEADERS mid-stream", OTELBPF_PROTO_HTTP2, CLASSIFY_MESSAGE,
       S("\x00\x00\x05\x01\x04\x00\x00\x00\x03\x83\x86\x44\x01\x2f", 14)},
      {"HTTP/2 HEADERS on an even stream", OTELBPF_PROTO_UNKNOWN, 0,
       S("\x00\x00\x05\x01\x04\x00\x00\x00\x02\x83\x86\x44\x01\x2f", 14)},
      {"HTTP/2 HEADERS longer than the syscall", OTELBPF_PROTO_UNKNOWN, 0,
       S("\x00\x01\x05\x01\x04\x00\x00\x00\x03\x83\x86\x44\x01\x2f", 14)},
      {"Kafka ApiVersions", OTELBPF_PROTO_UNKNOWN, 0, Be32(17) + S("\x00\x12\x00\x03\x00\x00\x00\x01\x00\x07rdkafka", 17)},
      {"AMQP header", OTELBPF_PROTO_UNKNOWN, 0, S("AMQP\x00\x00\x09\x01", 8)},
      {"NATS INFO", OTELBPF_PROTO_UNKNOWN, 0, "INFO {\"server_id\":\"x\"}\r\n"},
      {"MongoDB OP_MSG", OTELBPF_PROTO_UNKNOWN, 0, S("\x3a\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\xdd\x07\x00\x00", 16)},
      {"SMTP greeting", OTELBPF_PROTO_UNKNOWN, 0, "220 mail.example.com ESMTP Postfix\r\n"},
      {"redis reply alone", OTELBPF_PROTO_UNKNOWN, 0, "+OK\r\n"},
      {"memcached reply alone", OTELBPF_PROTO_UNKNOWN, 0, "VALUE k 0 5\r\nhello\r\nEND\r\n"},
      {"plain text", OTELBPF_PROTO_UNKNOWN, 0, "hello world, how are you?\n"},
      {"JSON lines", OTELBPF_PROTO_UNKNOWN, 0, "{\"level\":\"info\",\"msg\":\"x\"}\n"},
      {"zeros", OTELBPF_PROTO_UNKNOWN, 0, std::string(64, '\0')},
  };
}

// What the kernel does: the first CLASSIFY_PREFIX bytes, zero-padded, and the syscall's length.
uint8_t Classify(const std::string& bytes, int* kind, uint8_t hint = OTELBPF_PROTO_UNKNOWN) {
  __u8 prefix[2 * CLASSIFY_PREFIX] = {};
  const __u32 n = bytes.size() < CLASSIFY_PREFIX ? bytes.size() : CLASSIFY_PREFIX;
  std::memcpy(prefix, bytes.data(), n);
  *kind = CLASSIFY_NONE;
  return classify_bytes(prefix, n, bytes.size(), hint, kind);
}

const char* Name(uint8_t p) {
  static const char* const kNames[] = {"other",     "http1",      "dns",   "redis",
                                       "memcached", "postgresql", "mysql", "http2"};
  return p < sizeof(kNames) / sizeof(kNames[0]) ? kNames[p] : "?";
}

TEST(KernelClassifier, EverySampleGetsItsProtocolAndNothingElseIsClaimed) {
  std::map<std::pair<uint8_t, uint8_t>, int> matrix;  // (truth, verdict) -> samples
  for (const Sample& s : Samples()) {
    int kind = 0;
    const uint8_t verdict = Classify(s.bytes, &kind);
    ++matrix[{s.protocol, verdict}];
    EXPECT_EQ(verdict, s.protocol) << s.what;
    if (s.protocol != OTELBPF_PROTO_UNKNOWN) {
      EXPECT_EQ(kind, s.kind) << s.what;
    }
  }
  // The confusion matrix, rows the truth, columns the verdict (docs/design.md).
  const uint8_t order[] = {OTELBPF_PROTO_HTTP1, OTELBPF_PROTO_HTTP2, OTELBPF_PROTO_POSTGRESQL, OTELBPF_PROTO_MYSQL,
                           OTELBPF_PROTO_REDIS, OTELBPF_PROTO_MEMCACHED, OTELBPF_PROTO_UNKNOWN};
  std::printf("%-12s", "truth\\verdict");
  for (uint8_t c : order) std::printf(" %10s", Name(c));
  std::printf("\n");
  for (uint8_t r : order) {
    std::printf("%-13s", Name(r));
    for (uint8_t c : order) std::printf(" %10d", matrix[{r, c}]);
    std::printf("\n");
  }
}

TEST(KernelClassifier, ASampleCutToItsFirstBytesStillClassifiesOrStaysUnknown) {
  // A short syscall (the kernel saw fewer than 16 bytes) may be too short to decide, but must
  // never be claimed by another protocol.
  for (const Sample& s : Samples()) {
    for (size_t cut = 1; cut < s.bytes.size() && cut <= CLASSIFY_PREFIX; ++cut) {
      int kind = 0;
      const uint8_t verdict = Classify(s.bytes.substr(0, cut), &kind);
      EXPECT_TRUE(verdict == OTELBPF_PROTO_UNKNOWN || verdict == s.protocol)
          << s.what << " cut to " << cut << " bytes was taken for " << Name(verdict);
    }
  }
}

TEST(KernelClassifier, RandomBytesAreAlmostNeverClaimed) {
  // One million random syscalls of random lengths (1..2048 bytes): how often each byte test
  // claims noise. Measured rates go to docs/design.md; the bound keeps them there.
  std::mt19937_64 rng(20261203);
  std::map<uint8_t, int> claimed;
  int taken_for_tls = 0;
  constexpr int kRounds = 1'000'000;
  for (int i = 0; i < kRounds; ++i) {
    __u8 prefix[2 * CLASSIFY_PREFIX] = {};
    for (int b = 0; b < CLASSIFY_PREFIX; ++b) prefix[b] = static_cast<__u8>(rng());
    const __u64 total = 1 + rng() % 2048;
    const __u32 n = total < CLASSIFY_PREFIX ? total : CLASSIFY_PREFIX;
    int kind = 0;
    ++claimed[classify_bytes(prefix, n, total, 0, &kind)];
    if (kind == CLASSIFY_TLS) ++taken_for_tls;
  }
  // A connection taken for TLS is never shipped by its syscalls: noise must almost never be.
  std::printf("random bytes taken for TLS records: %d in %d\n", taken_for_tls, kRounds);
  EXPECT_LT(taken_for_tls, kRounds / 100000);
  for (const auto& [p, count] : claimed) {
    if (p == OTELBPF_PROTO_UNKNOWN) continue;
    std::printf("random bytes taken for %s: %d in %d\n", Name(p), count, kRounds);
    EXPECT_LT(count, kRounds / 100000) << Name(p) << " claims noise too often";
  }
}

// TLS records are ciphertext: recognised first (whatever a port hint says), claimed by no
// protocol; only a ClientHello/ServerHello counts as the start of TLS on a cleartext stream.
TEST(KernelClassifier, TlsRecordsAreRecognisedAndClaimedByNoProtocol) {
  const std::string hello = S("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\xaa\xbb\xcc\xdd\xee", 16);
  const std::string server_hello = S("\x16\x03\x03\x00\x7a\x02\x00\x00\x76\x03\x03\x11\x22\x33\x44\x55", 16);
  const std::string app_data = S("\x17\x03\x03\x00\x45\x9a\x8b\x7c\x6d\x5e\x4f\x30\x21\x12\x03\xf4", 16);
  const std::string alert = S("\x15\x03\x03\x00\x02\x02\x28", 7);
  for (const std::string& record : {hello, server_hello, app_data, alert}) {
    int kind = 0;
    EXPECT_EQ(Classify(record, &kind, OTELBPF_PROTO_REDIS), OTELBPF_PROTO_UNKNOWN);
    EXPECT_EQ(kind, CLASSIFY_TLS);
  }
  auto handshake = [](const std::string& b) {
    return starts_tls_handshake(reinterpret_cast<const __u8*>(b.data()), b.size());
  };
  EXPECT_TRUE(handshake(hello));
  EXPECT_TRUE(handshake(server_hello));
  EXPECT_FALSE(handshake(app_data)) << "mid-stream records are no start of TLS";
  EXPECT_FALSE(handshake(S("\x16\x03\x05\x00\x10\x01", 6))) << "no TLS version 3.5";
  EXPECT_FALSE(handshake(S("\x16\x03\x03\x00\x00\x01", 6))) << "an empty record";
  EXPECT_FALSE(handshake(S("\x16\x03\x03\x48\x01\x01", 6))) << "longer than a record can be";
  // What our protocols send is never taken for TLS.
  for (const Sample& s : Samples()) {
    if (s.protocol == OTELBPF_PROTO_UNKNOWN) continue;
    int kind = 0;
    Classify(s.bytes, &kind);
    EXPECT_NE(kind, CLASSIFY_TLS) << s.what;
  }
}

TEST(KernelClassifier, APortHintIsTriedFirstButNeverOverridesClearBytes) {
  int kind = 0;
  EXPECT_EQ(Classify("*1\r\n$4\r\nPING\r\n", &kind, OTELBPF_PROTO_REDIS), OTELBPF_PROTO_REDIS);
  // The hint's test fails on HTTP bytes: the chain still finds HTTP.
  EXPECT_EQ(Classify("GET / HTTP/1.1\r\n\r\n", &kind, OTELBPF_PROTO_REDIS), OTELBPF_PROTO_HTTP1);
}

}  // namespace
}  // namespace otelbpf
