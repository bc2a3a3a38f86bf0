/* PostgreSQL (protocol 3.0). From the start of a connection: the client's untyped first message
 * (length, then the protocol code 3.0 or the SSLRequest / GSSENCRequest / CancelRequest magic),
 * which no other protocol starts with. In mid-stream: typed messages (one type byte, a
 * big-endian length that includes itself) whose length agrees with the syscall's, or a
 * BindComplete followed by the start of the next reply message. */
#ifndef OTELBPF_CLASSIFY_POSTGRESQL_BPF_H
#define OTELBPF_CLASSIFY_POSTGRESQL_BPF_H
#include "classify_common.bpf.h"

#define PG_PROTOCOL_3_0 196608u
#define PG_SSL_REQUEST 80877103u
#define PG_GSSENC_REQUEST 80877104u
#define PG_CANCEL_REQUEST 80877102u

static __always_inline int classify_postgresql(const __u8 *p, __u32 n, __u64 total) {
  if (n < 8) return CLASSIFY_NONE;
  const __u32 len = be32(p);
  const __u32 code = be32(p + 4);
  /* Untyped startup messages: their length is the whole syscall. */
  if (len == total) {
    if (code == PG_PROTOCOL_3_0 && len > 8 && len < 10000) return CLASSIFY_REQUEST;
    if ((code == PG_SSL_REQUEST || code == PG_GSSENC_REQUEST) && len == 8) return CLASSIFY_REQUEST;
    if (code == PG_CANCEL_REQUEST && len == 16) return CLASSIFY_REQUEST;
  }
  /* Typed messages: the length counts itself but not the type byte. */
  const __u32 mlen = be32(p + 1);
  if (mlen < 4 || mlen >= (1u << 30)) return CLASSIFY_NONE;
  const bool fits = (__u64)mlen + 1 <= total;
  switch (p[0]) {
    case 'Q': /* simple query: text alone in its send, or a big one (< 16 MiB) longer than it */
      if ((__u64)mlen + 1 == total) return is_printable(p[5]) ? CLASSIFY_REQUEST : CLASSIFY_NONE;
      return (!fits && total >= CLASSIFY_PREFIX && mlen < (1u << 24) && is_printable(p[5]) &&
              is_printable(p[6]) && is_printable(p[7]) && is_printable(p[8]))
                 ? CLASSIFY_REQUEST
                 : CLASSIFY_NONE;
    case 'P': /* Parse: statement name (or "" for the unnamed one), then the query */
      return fits && mlen > 8 && (p[5] == 0 || is_printable(p[5])) ? CLASSIFY_REQUEST
                                                                   : CLASSIFY_NONE;
    case 'R': /* authentication request: 8 bytes and a small code, the server's first reply */
      return (fits && mlen >= 8 && mlen < 2048 && p[5] == 0 && p[6] == 0 && p[7] == 0 && p[8] <= 12)
                 ? CLASSIFY_RESPONSE
                 : CLASSIFY_NONE;
    case '1': /* ParseComplete, then BindComplete: the reply to an extended query */
      return (fits && mlen == 4 && n >= 10 && p[5] == '2' && be32(p + 6) == 4) ? CLASSIFY_RESPONSE
                                                                      : CLASSIFY_NONE;
    case '2': /* BindComplete, then the executed statement's rows or its completion: the reply
               * to Bind/Execute, all a statement prepared before we watched shows in mid-stream */
      return (mlen == 4 && n >= 10 && (p[5] == 'D' || p[5] == 'C' || p[5] == 'n' || p[5] == 'T') &&
              be32(p + 6) >= 4 && be32(p + 6) < (1u << 30))
                 ? CLASSIFY_RESPONSE
                 : CLASSIFY_NONE;
    case 'C': /* CommandComplete: an upper-case tag */
      return (fits && mlen > 5 && mlen < 64 && is_upper(p[5])) ? CLASSIFY_RESPONSE : CLASSIFY_NONE;
  }
  return CLASSIFY_NONE;
}

#endif
