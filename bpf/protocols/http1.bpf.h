/* HTTP/1.x: a request starts with a method and a space, a response with "HTTP/1.". Eight bytes
 * tell "POST /" from binary protocols. */
#ifndef OTELBPF_CLASSIFY_HTTP1_BPF_H
#define OTELBPF_CLASSIFY_HTTP1_BPF_H
#include "classify_common.bpf.h"

static __always_inline int classify_http1(const __u8 *p, __u32 n, __u64 total) {
  if (n < 8) return CLASSIFY_NONE;
#define IS4(a, b, c, d) (p[0] == a && p[1] == b && p[2] == c && p[3] == d)
  if (IS4('H', 'T', 'T', 'P') && p[4] == '/' && p[5] == '1' && p[6] == '.') return CLASSIFY_RESPONSE;
  if (IS4('G', 'E', 'T', ' ') || IS4('P', 'U', 'T', ' ')) return CLASSIFY_REQUEST;
  if (IS4('P', 'O', 'S', 'T') && p[4] == ' ') return CLASSIFY_REQUEST;
  if (IS4('H', 'E', 'A', 'D') && p[4] == ' ') return CLASSIFY_REQUEST;
  if (IS4('P', 'A', 'T', 'C') && p[4] == 'H' && p[5] == ' ') return CLASSIFY_REQUEST;
  if (IS4('D', 'E', 'L', 'E') && p[4] == 'T' && p[5] == 'E' && p[6] == ' ') return CLASSIFY_REQUEST;
  if (IS4('O', 'P', 'T', 'I') && p[4] == 'O' && p[5] == 'N' && p[6] == 'S') return CLASSIFY_REQUEST;
  if (IS4('T', 'R', 'A', 'C') && p[4] == 'E' && p[5] == ' ') return CLASSIFY_REQUEST;
  if (IS4('C', 'O', 'N', 'N') && p[4] == 'E' && p[5] == 'C' && p[6] == 'T') return CLASSIFY_REQUEST;
#undef IS4
  return CLASSIFY_NONE;
}

#endif
