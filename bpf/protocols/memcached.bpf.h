/* Memcached text protocol: a lower-case command word, then a space (or CR LF for the bare ones).
 * The binary protocol (magic 0x80) is not followed. HTTP's methods are upper case, so "get "
 * never collides with "GET ". */
#ifndef OTELBPF_CLASSIFY_MEMCACHED_BPF_H
#define OTELBPF_CLASSIFY_MEMCACHED_BPF_H
#include "classify_common.bpf.h"

static __always_inline int classify_memcached(const __u8 *p, __u32 n, __u64 total) {
  if (n < 6 || !is_lower(p[0])) return CLASSIFY_NONE;
#define W3(a, b, c) (p[0] == a && p[1] == b && p[2] == c && p[3] == ' ' && is_printable(p[4]))
#define W4(a, b, c, d) \
  (p[0] == a && p[1] == b && p[2] == c && p[3] == d && p[4] == ' ' && is_printable(p[5]))
  if (W3('g', 'e', 't') || W3('s', 'e', 't') || W3('a', 'd', 'd') || W3('c', 'a', 's') ||
      W3('g', 'a', 't'))
    return CLASSIFY_REQUEST;
  if (W4('g', 'e', 't', 's') || W4('i', 'n', 'c', 'r') || W4('d', 'e', 'c', 'r') ||
      W4('g', 'a', 't', 's'))
    return CLASSIFY_REQUEST;
  if (n >= 8 && p[0] == 'd' && p[1] == 'e' && p[2] == 'l' && p[3] == 'e' && p[4] == 't' &&
      p[5] == 'e' && p[6] == ' ')
    return CLASSIFY_REQUEST;
  if (p[0] == 't' && p[1] == 'o' && p[2] == 'u' && p[3] == 'c' && p[4] == 'h' && p[5] == ' ')
    return CLASSIFY_REQUEST;
  if (n >= 9 && p[0] == 'v' && p[1] == 'e' && p[2] == 'r' && p[3] == 's' && p[4] == 'i' &&
      p[5] == 'o' && p[6] == 'n' && p[7] == '\r' && p[8] == '\n')
    return CLASSIFY_REQUEST;
#undef W3
#undef W4
  return CLASSIFY_NONE;
}

#endif
