/* TLS records (RFC 8446 section 5.1; the same header since SSL 3.0): content type, legacy
 * version 3.x, 16-bit length. Not a protocol of its own: a connection whose bytes are records
 * carries ciphertext, which is never classified or shipped; its plaintext comes from uprobes in
 * the TLS library (tls_openssl.bpf.h). */
#ifndef OTELBPF_CLASSIFY_TLS_BPF_H
#define OTELBPF_CLASSIFY_TLS_BPF_H
#include "classify_common.bpf.h"

#define TLS_CHANGE_CIPHER_SPEC 20
#define TLS_ALERT 21
#define TLS_HANDSHAKE 22
#define TLS_APPLICATION_DATA 23
#define TLS_MAX_RECORD (16384 + 2048) /* TLSCiphertext.length bound */
#define TLS_CLIENT_HELLO 1
#define TLS_SERVER_HELLO 2

static __always_inline bool tls_record_header(const __u8 *p, __u32 n) {
  if (n < 5 || p[0] < TLS_CHANGE_CIPHER_SPEC || p[0] > TLS_APPLICATION_DATA) return false;
  if (p[1] != 3 || p[2] > 4) return false;
  __u32 length = ((__u32)p[3] << 8) | p[4];
  return length > 0 && length <= TLS_MAX_RECORD;
}

/* Any record: for a connection still being looked at (also one learned mid-stream). */
static __always_inline bool looks_like_tls(const __u8 *p, __u32 n) {
  return tls_record_header(p, n);
}

/* A ClientHello or ServerHello: strict enough to recognise a connection that switches to TLS
 * after cleartext (PostgreSQL's SSLRequest, STARTTLS) among bytes already classified. */
static __always_inline bool starts_tls_handshake(const __u8 *p, __u32 n) {
  return n >= 6 && tls_record_header(p, n) && p[0] == TLS_HANDSHAKE &&
         (p[5] == TLS_CLIENT_HELLO || p[5] == TLS_SERVER_HELLO);
}

#endif
