/* What every kernel-side protocol classifier shares. A classifier looks at the first bytes of
 * one syscall's data (at most CLASSIFY_PREFIX, zero-padded) and the syscall's true length, and
 * says whether they start a request or a response of its protocol. Classifiers are pure byte
 * tests: no maps, no helpers, so each is cheap and the chain's order is the only policy. */
#ifndef OTELBPF_CLASSIFY_COMMON_BPF_H
#define OTELBPF_CLASSIFY_COMMON_BPF_H

#define CLASSIFY_PREFIX 16

enum classify_kind {
  CLASSIFY_NONE = 0,
  CLASSIFY_REQUEST = 1,  /* the bytes start a request: the sender is the client */
  CLASSIFY_RESPONSE = 2, /* the bytes start a response (or a server's greeting) */
  CLASSIFY_TLS = 3,      /* the bytes are a TLS record: ciphertext, of no protocol we read */
  CLASSIFY_MESSAGE = 4,  /* a message of the protocol, sent by either side: the role stays open */
};

static __always_inline bool is_digit(__u8 c) { return c >= '0' && c <= '9'; }
static __always_inline bool is_upper(__u8 c) { return c >= 'A' && c <= 'Z'; }
static __always_inline bool is_lower(__u8 c) { return c >= 'a' && c <= 'z'; }
static __always_inline bool is_printable(__u8 c) { return c >= 0x20 && c < 0x7f; }

static __always_inline __u32 be32(const __u8 *p) {
  return ((__u32)p[0] << 24) | ((__u32)p[1] << 16) | ((__u32)p[2] << 8) | p[3];
}

#endif
