/* MySQL / MariaDB: packets are a 3-byte little-endian length and a sequence number. The server
 * speaks first, with a version-10 handshake; a command packet starts a new sequence (0) with a
 * command byte. Lengths must agree exactly with the syscall's: three bytes of header say little
 * on their own. */
#ifndef OTELBPF_CLASSIFY_MYSQL_BPF_H
#define OTELBPF_CLASSIFY_MYSQL_BPF_H
#include "classify_common.bpf.h"

#define MYSQL_COM_QUIT 0x01
#define MYSQL_COM_INIT_DB 0x02
#define MYSQL_COM_QUERY 0x03
#define MYSQL_COM_PING 0x0e
#define MYSQL_COM_STMT_PREPARE 0x16
#define MYSQL_COM_STMT_EXECUTE 0x17
#define MYSQL_COM_STMT_CLOSE 0x19

static __always_inline int classify_mysql(const __u8 *p, __u32 n, __u64 total) {
  if (n < 5 || p[3] != 0) return CLASSIFY_NONE; /* sequence 0: a conversation's first packet */
  const __u32 len = (__u32)p[0] | ((__u32)p[1] << 8) | ((__u32)p[2] << 16);
  if ((__u64)len + 4 != total || len == 0) return CLASSIFY_NONE;
  /* Handshake v10: protocol byte 10, then the server's version string ("8.0.36", "10.11.6-"). */
  if (p[4] == 0x0a && len > 32 && len < 512 && n >= 7 && is_digit(p[5]) && (p[6] == '.' || is_digit(p[6])))
    return CLASSIFY_RESPONSE;
  switch (p[4]) {
    case MYSQL_COM_QUERY:
    case MYSQL_COM_STMT_PREPARE:
      return (len > 1 && (n < 6 || is_printable(p[5]) || p[5] == '\n' || p[5] == '\t'))
                 ? CLASSIFY_REQUEST
                 : CLASSIFY_NONE;
    case MYSQL_COM_INIT_DB:
      return (len > 1 && n >= 6 && is_printable(p[5])) ? CLASSIFY_REQUEST : CLASSIFY_NONE;
    case MYSQL_COM_STMT_EXECUTE: /* statement id (4), flags (1), iteration count 1 (4) */
      return (len >= 10 && n >= 14 && p[10] == 1 && p[11] == 0 && p[12] == 0 && p[13] == 0)
                 ? CLASSIFY_REQUEST
                 : CLASSIFY_NONE;
    case MYSQL_COM_STMT_CLOSE:
      return len == 5 ? CLASSIFY_REQUEST : CLASSIFY_NONE;
    case MYSQL_COM_PING:
    case MYSQL_COM_QUIT:
      return len == 1 ? CLASSIFY_REQUEST : CLASSIFY_NONE;
  }
  return CLASSIFY_NONE;
}

#endif
