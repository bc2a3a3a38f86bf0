// SPDX-License-Identifier: GPL-2.0
/* The overhead floor: empty programs on exactly the hooks http_capture.bpf.c uses. The
 * overhead benchmark runs this beside the real agent to separate the fixed price of a
 * tracepoint hit from the cost of what our programs do. Attached by `otelbpf floor`. */
#include "vmlinux.h"

#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

#define EMPTY(category, name) \
  SEC("tracepoint/" #category "/" #name) int floor_##name(void *ctx) { return 0; }

#define EMPTY_PAIR(name) EMPTY(syscalls, sys_enter_##name) EMPTY(syscalls, sys_exit_##name)

EMPTY_PAIR(read)
EMPTY_PAIR(write)
EMPTY_PAIR(recvfrom)
EMPTY_PAIR(sendto)
EMPTY_PAIR(recvmsg)
EMPTY_PAIR(sendmsg)
EMPTY_PAIR(readv)
EMPTY_PAIR(writev)
EMPTY_PAIR(recvmmsg)
EMPTY_PAIR(sendmmsg)
EMPTY_PAIR(sendfile64)
EMPTY_PAIR(connect)
EMPTY(syscalls, sys_exit_accept)
EMPTY(syscalls, sys_exit_accept4)
EMPTY(syscalls, sys_enter_close)
EMPTY(sched, sched_process_exit)
EMPTY(sched, sched_process_exec)
EMPTY(sched, sched_process_fork)
EMPTY(tcp, tcp_retransmit_skb)
EMPTY(sock, inet_sock_set_state)

/* The TLS uprobes (tls_openssl.bpf.h): one entry program for each function and one return
 * program for all, as `run` has. Attached by `otelbpf floor` to every libssl it finds. */
SEC("uprobe") int floor_ssl_enter(void *ctx) { return 0; }
SEC("uretprobe") int floor_ssl_return(void *ctx) { return 0; }

/* The Go crypto/tls uprobes (tls_go.bpf.h): plain uprobes on Read's and Write's first
 * instruction and on each RET of Read, as `run` places them. Attached by `otelbpf floor` to
 * every Go executable running when it starts. */
SEC("uprobe") int floor_go_tls(void *ctx) { return 0; }
