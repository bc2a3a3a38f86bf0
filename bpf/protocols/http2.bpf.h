/* HTTP/2 (RFC 9113 section 3.4): a connection starts with the client's preface,
 * "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", sent in cleartext (prior knowledge) or as the first
 * plaintext of TLS with ALPN "h2". The first 16 bytes of it are unmistakable. A server's
 * SETTINGS frame alone is too short and generic to trust: the preface it answers decides.
 *
 * A connection open before otelbpf started (a gRPC channel lives for hours) shows no preface:
 * it is recognised by a complete HEADERS frame that starts a syscall's bytes (section 4.1 and
 * 6.2): type 1, only HEADERS' flags, a client-initiated (odd) stream, a length the syscall
 * holds and the default maximum frame size allows, the whole header block in it (END_HEADERS)
 * and not starting with HPACK's one invalid byte (index 0).
 * Either side sends HEADERS, so the role is left to user space (CLASSIFY_MESSAGE). */
#ifndef OTELBPF_CLASSIFY_HTTP2_BPF_H
#define OTELBPF_CLASSIFY_HTTP2_BPF_H
#include "classify_common.bpf.h"

static __always_inline int classify_http2(const __u8 *p, __u32 n, __u64 total) {
  /* Four big-endian words, not a string on the stack: the classifier runs deep in a call chain
   * whose combined stack the verifier bounds. */
  if (n < 16 || be32(p) != 0x50524920 /* "PRI " */ || be32(p + 4) != 0x2a204854 /* "* HT" */ ||
      be32(p + 8) != 0x54502f32 /* "TP/2" */ || be32(p + 12) != 0x2e300d0a /* ".0\r\n" */)
    return CLASSIFY_NONE;
  return CLASSIFY_REQUEST;
}

#define H2_FRAME_HEADERS 1
#define H2_HEADERS_FLAGS (0x01 | 0x04 | 0x08 | 0x20) /* END_STREAM END_HEADERS PADDED PRIORITY */
#define H2_DEFAULT_MAX_FRAME 16384

static __always_inline int classify_http2_midstream(const __u8 *p, __u32 n, __u64 total) {
  if (n < 10 || p[3] != H2_FRAME_HEADERS || (p[4] & ~H2_HEADERS_FLAGS)) return CLASSIFY_NONE;
  if (!(p[4] & 0x04)) return CLASSIFY_NONE; /* END_HEADERS: the whole block in this frame */
  __u32 length = ((__u32)p[0] << 16) | ((__u32)p[1] << 8) | p[2];
  __u32 stream = be32(p + 5);
  if (length == 0 || length > H2_DEFAULT_MAX_FRAME || 9 + (__u64)length > total) return CLASSIFY_NONE;
  if ((stream & 0x80000000) || !(stream & 1)) return CLASSIFY_NONE; /* reserved bit, odd id */
  if (p[4] & (0x08 | 0x20)) return CLASSIFY_MESSAGE; /* padding/priority first: trust the frame */
  /* HPACK's first byte may be anything but an indexed field of index 0 (0x80). */
  return p[9] == 0x80 ? CLASSIFY_NONE : CLASSIFY_MESSAGE;
}

#endif
