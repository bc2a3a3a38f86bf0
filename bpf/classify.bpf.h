/* The classifier chain: which protocol the first bytes of a syscall start, tried from the most
 * to the least specific byte test (one header per protocol in protocols/). A port hint set by
 * the user (--protocol-port) puts its protocol first. Adding a protocol: one header, one line
 * in classify_as(), one enum otelbpf_protocol value. */
#ifndef OTELBPF_CLASSIFY_BPF_H
#define OTELBPF_CLASSIFY_BPF_H

#include "protocols/classify_common.bpf.h"
#include "protocols/http1.bpf.h"
#include "protocols/http2.bpf.h"
#include "protocols/memcached.bpf.h"
#include "protocols/mysql.bpf.h"
#include "protocols/postgresql.bpf.h"
#include "protocols/redis.bpf.h"
#include "protocols/tls.bpf.h"

/* Protocols the user selected (--protocols), one bit per enum otelbpf_protocol value. */
const volatile __u32 enabled_protocols = 0xffffffff;

static __always_inline bool protocol_enabled(__u8 proto) {
  return proto < 32 && (enabled_protocols & (1u << proto));
}

/* One protocol's byte test; CLASSIFY_NONE for protocols without one (DNS goes by port). */
static __always_inline int classify_as(__u8 proto, const __u8 *p, __u32 n, __u64 total) {
  if (!protocol_enabled(proto)) return CLASSIFY_NONE;
  switch (proto) {
    case OTELBPF_PROTO_HTTP1: return classify_http1(p, n, total);
    case OTELBPF_PROTO_HTTP2: return classify_http2(p, n, total);
    case OTELBPF_PROTO_POSTGRESQL: return classify_postgresql(p, n, total);
    case OTELBPF_PROTO_REDIS: return classify_redis(p, n, total);
    case OTELBPF_PROTO_MYSQL: return classify_mysql(p, n, total);
    case OTELBPF_PROTO_MEMCACHED: return classify_memcached(p, n, total);
  }
  return CLASSIFY_NONE;
}

/* The chain, most specific first. Returns the protocol (OTELBPF_PROTO_UNKNOWN: none) and sets
 * *kind to what the bytes start. `hint`: the port hint's protocol, tried first (0: none). TLS
 * records come first of all: ciphertext is no protocol's, whatever a port hint says. */
static __always_inline __u8 classify_bytes(const __u8 *p, __u32 n, __u64 total, __u8 hint,
                                           int *kind) {
  if (looks_like_tls(p, n)) {
    *kind = CLASSIFY_TLS;
    return OTELBPF_PROTO_UNKNOWN;
  }
  if (hint && (*kind = classify_as(hint, p, n, total)) != CLASSIFY_NONE) return hint;
#define TRY(proto) \
  if ((*kind = classify_as(proto, p, n, total)) != CLASSIFY_NONE) return proto
  TRY(OTELBPF_PROTO_HTTP2);
  TRY(OTELBPF_PROTO_HTTP1);
  TRY(OTELBPF_PROTO_POSTGRESQL);
  TRY(OTELBPF_PROTO_REDIS);
  TRY(OTELBPF_PROTO_MYSQL);
  TRY(OTELBPF_PROTO_MEMCACHED);
#undef TRY
  /* Last, the weakest test: an HTTP/2 connection met in the middle (no preface). */
  if (protocol_enabled(OTELBPF_PROTO_HTTP2) &&
      (*kind = classify_http2_midstream(p, n, total)) != CLASSIFY_NONE)
    return OTELBPF_PROTO_HTTP2;
  return OTELBPF_PROTO_UNKNOWN;
}

#endif
