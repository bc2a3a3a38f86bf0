/* Redis (RESP2/RESP3): a command is an array of bulk strings, "*<count>\r\n$<length>\r\n...".
 * Replies (+OK, :1, $5...) are too short and common to trust alone: only commands classify. */
#ifndef OTELBPF_CLASSIFY_REDIS_BPF_H
#define OTELBPF_CLASSIFY_REDIS_BPF_H
#include "classify_common.bpf.h"

/* CR LF '$' digit at constant offset i (constant: the verifier refuses variable stack offsets). */
static __always_inline bool redis_first_bulk_at(const __u8 *p, const int i) {
  return p[i] == '\r' && p[i + 1] == '\n' && p[i + 2] == '$' && is_digit(p[i + 3]);
}

static __always_inline int classify_redis(const __u8 *p, __u32 n, __u64 total) {
  if (n < 8 || p[0] != '*' || p[1] < '1' || p[1] > '9') return CLASSIFY_NONE;
  /* One to four count digits, then the first bulk string's header. */
  if (redis_first_bulk_at(p, 2)) return CLASSIFY_REQUEST;
  if (!is_digit(p[2])) return CLASSIFY_NONE;
  if (redis_first_bulk_at(p, 3)) return CLASSIFY_REQUEST;
  if (!is_digit(p[3])) return CLASSIFY_NONE;
  if (redis_first_bulk_at(p, 4)) return CLASSIFY_REQUEST;
  if (!is_digit(p[4])) return CLASSIFY_NONE;
  return redis_first_bulk_at(p, 5) ? CLASSIFY_REQUEST : CLASSIFY_NONE;
}

#endif
