/* Event ABI between http_capture.bpf.c and user space (src/capture/). Plain C, fixed-width
 * types only, so both compilers lay the structs out identically. Change both sides together. */
#ifndef OTELBPF_HTTP_CAPTURE_H
#define OTELBPF_HTTP_CAPTURE_H

#ifndef __VMLINUX_H__
#include <linux/types.h> /* user space; the BPF side gets these types from vmlinux.h */
#endif

/* Hard ceiling of bytes copied per syscall (power of two: the BPF side masks with it).
 * The run-time limit (--capture-bytes) is at most this. */
#define OTELBPF_MAX_CAPTURE 8192
#define OTELBPF_DEFAULT_CAPTURE 1024
/* iovecs looked at per readv/writev/recvmsg/sendmsg call. */
#define OTELBPF_MAX_IOVECS 32
/* messages looked at per recvmmsg/sendmmsg call. */
#define OTELBPF_MAX_MMSGS 4

enum otelbpf_event_type {
  OTELBPF_EV_CONN_OPEN = 1,      /* a connection became interesting: addresses and role */
  OTELBPF_EV_DATA = 2,           /* bytes moved on an interesting connection */
  OTELBPF_EV_CONN_CLOSE = 3,     /* an interesting connection was closed */
  OTELBPF_EV_PROCESS_EXIT = 4,   /* a process exited: forget its connections */
  OTELBPF_EV_PROCESS_EXEC = 5,   /* a described process exec'd (with --exe: every process) */
  OTELBPF_EV_TCP_RETRANSMIT = 6, /* the kernel retransmitted a segment of a TCP socket */
  OTELBPF_EV_TCP_CONN_UP = 7,     /* a TCP connection was established (client) or accepted */
  OTELBPF_EV_TCP_CONN_FAILED = 8, /* a connect() ended without a connection */
  OTELBPF_EV_TCP_CONN_DOWN = 9,   /* an established TCP connection reached CLOSE */
  OTELBPF_EV_DNS_LOOKUP = 10,     /* a getaddrinfo() call returned */
  OTELBPF_EV_PROCESS_SNAPSHOT = 11, /* a process's argv and environment, read in the kernel */
  OTELBPF_EV_TRACE_CONTEXT = 12,    /* ids the kernel put on the wire (--propagate=headers) */
  OTELBPF_EV_TLS_SEEN = 13,         /* a connection's bytes turned out to be TLS records */
  OTELBPF_EV_GO_SPAWN = 14, /* a goroutine about to move bytes was started by another one */
};
/* Event types are below this; the `event_stats` map counts sent and lost ones per type, at
 * index type * 2 + (lost ? 1 : 0). */
#define OTELBPF_EVENT_TYPE_LIMIT 16

enum otelbpf_direction { OTELBPF_DIR_RECV = 0, OTELBPF_DIR_SEND = 1 };
enum otelbpf_role { OTELBPF_ROLE_UNKNOWN = 0, OTELBPF_ROLE_SERVER = 1, OTELBPF_ROLE_CLIENT = 2 };

/* Counters kept per CPU in the `stats` map; user space sums them for self-metrics. */
enum otelbpf_stat {
  OTELBPF_STAT_EVENTS_SENT = 0,
  OTELBPF_STAT_RINGBUF_FULL,      /* event lost: ring buffer had no room */
  OTELBPF_STAT_ARGS_MAP_FULL,     /* syscall lost: no room to remember its arguments */
  OTELBPF_STAT_CONN_MAP_FULL,     /* connection not tracked: map full */
  OTELBPF_STAT_CAPTURE_TRUNCATED, /* payload longer than the capture limit (not a loss) */
  OTELBPF_STAT_IOV_TRUNCATED,     /* more iovecs/messages than we walk: bytes are a gap */
  OTELBPF_STAT_FD_UNREADABLE,     /* could not resolve an fd to a socket */
  OTELBPF_STAT_RETRANSMITS,       /* TCP retransmissions seen (attributed or not) */
  OTELBPF_STAT_TLS_NO_FD,         /* TLS plaintext dropped: no socket known for its SSL object */
  OTELBPF_STAT_GO_TLS_OTHER_CONN, /* Go TLS call left alone: its Conn wraps no *net.TCPConn */
  /* Receives already blocked when we attached (or when their process became selected): their
   * entry was never seen; described at their exit from the registers the syscall saved. */
  OTELBPF_STAT_CALLS_BEFORE_ATTACH,
  OTELBPF_STAT_COUNT,
};

struct otelbpf_conn_key {
  __u32 tgid;
  __s32 fd;
};

/* Where a connection stands in the kernel: still being looked at, its bytes shipped to user
 * space, or ignored for good (one map lookup per later syscall). User space sets IGNORED itself
 * when its parser gives up on a connection (BpfCapture::AbandonConnection). */
enum otelbpf_conn_verdict {
  OTELBPF_VERDICT_LOOKING = 0,
  OTELBPF_VERDICT_SHIPPING = 1,
  OTELBPF_VERDICT_IGNORED = 2,
};

/* The kernel's state per (tgid, fd): the `conns` map's value. Shared because user space writes
 * verdicts back into it. */
struct otelbpf_conn_state {
  __u64 generation;
  __u64 sk;             /* struct sock *: TCP, for the smoothed RTT once announced; UDP, always */
  __u8 kind;            /* enum conn_kind (private to the BPF side: other, TCP, UDP) */
  __u8 role;            /* enum otelbpf_role */
  __u8 proto;           /* enum otelbpf_protocol: UNKNOWN until classified */
  __u8 verdict;         /* enum otelbpf_conn_verdict */
  __u8 tries;           /* data syscalls that did not look like any protocol */
  __u8 reset;           /* ECONNRESET / EPIPE seen */
  __u8 seen_from_start; /* born in accept/connect while we watched */
  /* Its bytes are TLS records: the syscalls' ciphertext is never classified or shipped; what is
   * classified and shipped is the plaintext the TLS library's uprobes read (tls_openssl.bpf.h). */
  __u8 tls;
};

struct otelbpf_event_header {
  __u8 type;      /* enum otelbpf_event_type */
  __u8 direction; /* DATA: enum otelbpf_direction */
  __u8 role;      /* enum otelbpf_role */
  __u8 flags;     /* CLOSE: _RESET; OPEN: _LEARNED_MIDSTREAM, _TLS; DATA: _TCP_SEQ */
  __u32 tgid;
  __s32 fd;
  __u32 captured; /* DATA: payload bytes following this header */
  __u64 generation;
  __u64 start_ns; /* CLOCK_MONOTONIC: syscall entry (DATA sends), syscall exit (DATA
                   * receives: when the bytes were there) or event time */
  __u64 end_ns;   /* CLOCK_MONOTONIC: syscall exit */
  __u64 length;   /* DATA: bytes the syscall moved (captured may be fewer) */
  __u32 srtt_us;  /* DATA: the socket's smoothed round-trip time at syscall exit (0: unknown) */
  __u32 tid;      /* DATA / OPEN: the thread (kernel pid) that made the syscall */
  /* DATA over TCP (OTELBPF_FLAG_TCP_SEQ): the TCP sequence number of the message's first byte,
   * read from the socket at syscall exit (sends: write_seq - length; receives: copied_seq -
   * length). The sender's write and the receiver's read of the same bytes carry the same
   * number, whatever either side's capture missed: same-host stitching keys on it. */
  __u32 tcp_seq;
  __u32 reserved;
  /* DATA in a Go program (OTELBPF_DESCRIBED_GOROUTINES): the runtime.g address of the goroutine
   * the bytes belong to (bpf/go_goroutines.bpf.h); 0 elsewhere. */
  __u64 goroutine;
};

#define OTELBPF_FLAG_RESET 1
#define OTELBPF_FLAG_LEARNED_MIDSTREAM 2 /* OPEN: connection existed before we saw its start */
#define OTELBPF_FLAG_TCP_SEQ 4           /* DATA: hdr.tcp_seq is set */
/* OPEN: the connection's bytes are TLS plaintext read inside the process's TLS library (their
 * TCP sequence numbers are the ciphertext's, so DATA carries none). */
#define OTELBPF_FLAG_TLS 8

/* Values of the described_tgids map: user space read the process's metadata, and what it
 * learnt. GOROUTINES: a Go program, whose threads run whichever goroutine is ready, so the
 * request a thread last read says nothing about the call it makes next. */
#define OTELBPF_DESCRIBED 1
#define OTELBPF_DESCRIBED_GOROUTINES 2

/* OTELBPF_EV_GO_SPAWN, sent right before the first DATA record of a goroutine that another one
 * started (runtime.newproc1, bpf/go_goroutines.bpf.h): its ancestry, nearest first, so user space
 * can give its calls to the request an ancestor was serving when it was started. Ancestors
 * beyond the depth, or started before the probes were attached, are 0. */
#define OTELBPF_GO_SPAWN_DEPTH 4
struct otelbpf_go_spawn_event {
  struct otelbpf_event_header hdr; /* tgid; start_ns = end_ns = when it was sent */
  __u64 goroutine;                 /* runtime.g of the goroutine */
  /* parents[0] started `goroutine` at started_ns[0]; parents[1] started parents[0] at
   * started_ns[1]; and so on (CLOCK_MONOTONIC). */
  __u64 parents[OTELBPF_GO_SPAWN_DEPTH];
  __u64 started_ns[OTELBPF_GO_SPAWN_DEPTH];
};

/* What an announced connection carries, and over what. UNKNOWN is zero, so a zeroed field never
 * means a protocol. One value per protocol folder in src/protocols/ (the registry there has a
 * static_assert on OTELBPF_PROTO_COUNT) and one classifier in bpf/protocols/. */
enum otelbpf_protocol {
  OTELBPF_PROTO_UNKNOWN = 0,
  OTELBPF_PROTO_HTTP1 = 1,
  OTELBPF_PROTO_DNS = 2,
  OTELBPF_PROTO_REDIS = 3,
  OTELBPF_PROTO_MEMCACHED = 4,
  OTELBPF_PROTO_POSTGRESQL = 5,
  OTELBPF_PROTO_MYSQL = 6,
  OTELBPF_PROTO_HTTP2 = 7, /* and gRPC, which it carries */
  OTELBPF_PROTO_COUNT,
};
enum otelbpf_transport { OTELBPF_TRANSPORT_TCP = 0, OTELBPF_TRANSPORT_UDP = 1 };
/* DNS is recognised by the port of the server the observed process talks to. */
#define OTELBPF_DNS_PORT 53

struct otelbpf_conn_open_event {
  struct otelbpf_event_header hdr;
  __u16 family; /* AF_INET / AF_INET6 */
  __u16 local_port;
  __u16 peer_port; /* UDP without connect(): the first DNS datagram's server */
  __u8 protocol;   /* enum otelbpf_protocol */
  __u8 transport;  /* enum otelbpf_transport */
  __u8 local_addr[16]; /* IPv4 in the first 4 bytes */
  __u8 peer_addr[16];
  char comm[16];
  /* The process's start (task->group_leader->start_boottime, ns): user space checks that
   * /proc/PID is still this process before reading it, since pids get reused. */
  __u64 process_start_ns;
  /* The socket's network namespace (its inode number, as in /proc/PID/ns/net): two sockets
   * with one 4-tuple in two namespaces are two connections. */
  __u32 netns;
  __u32 reserved;
};

/* Retransmissions happen in softirq context: no process is current. hdr.tgid/fd/generation
 * name the socket's owner as last seen by a syscall on it (all zero when unknown). */
struct otelbpf_tcp_retransmit_event {
  struct otelbpf_event_header hdr;
  __u16 family;
  __u16 local_port;
  __u16 peer_port;
  __u16 state; /* TCP state (TCP_ESTABLISHED = 1, ...) */
  __u8 local_addr[16];
  __u8 peer_addr[16];
  __u32 netns; /* the socket's network namespace, as in otelbpf_conn_open_event */
  __u32 reserved;
};

/* TCP connection lifecycle, from sock:inet_sock_set_state. The owner (hdr.tgid) is the process
 * that connect()ed or accept()ed; hdr.role says which. hdr.start_ns is when the connection
 * attempt began (client: SYN_SENT, server: handshake done), hdr.end_ns when this event happened.
 * For DOWN, start_ns is when it was established, so end_ns - start_ns is its lifetime. */
struct otelbpf_tcp_conn_event {
  struct otelbpf_event_header hdr;
  __u16 family;
  __u16 local_port;
  __u16 peer_port;
  __u16 error; /* FAILED: the socket's errno (ECONNREFUSED, ETIMEDOUT, ...); 0: the
                * application closed it before it connected */
  __u8 local_addr[16];
  __u8 peer_addr[16];
  char comm[16];
  __u64 process_start_ns;
  __u64 bytes_sent;     /* DOWN: payload bytes sent, retransmissions not counted again */
  __u64 bytes_received; /* DOWN: tcp_sock.bytes_received */
  __u32 srtt_us;        /* DOWN: smoothed RTT at close */
  __u32 retransmits;    /* DOWN: tcp_sock.total_retrans */
};

/* getaddrinfo(3) as seen by uprobes on libc: hdr.start_ns/end_ns are its entry and return. */
#define OTELBPF_MAX_DNS_NAME 256
struct otelbpf_dns_lookup_event {
  struct otelbpf_event_header hdr;
  __s32 result; /* getaddrinfo's return value: 0, or an EAI_* code (negative in glibc) */
  __u32 pad;
  __u64 process_start_ns;
  char comm[16];
  char name[OTELBPF_MAX_DNS_NAME]; /* the node argument, NUL-terminated ("" when NULL) */
};

/* A new process's command line and environment, copied from its own memory the first time it
 * is announced and before user space has described it. A client such as curl can exit within a
 * millisecond of its first send, before user space reads /proc/PID: this copy is what names it
 * then (OTEL_SERVICE_NAME lives in the environment). Sent once per process (tgid + start). */
#define OTELBPF_SNAPSHOT_ARGS 2048 /* powers of two: the BPF side masks with them */
#define OTELBPF_SNAPSHOT_ENV 8192
struct otelbpf_process_snapshot_event {
  struct otelbpf_event_header hdr;
  __u64 process_start_ns;
  __u32 args_len;   /* bytes of args[] copied: argv strings, each NUL-terminated */
  __u32 args_total; /* bytes argv takes in the process (more than args_len: truncated) */
  __u32 env_len;    /* bytes of env[] copied: NAME=value strings, each NUL-terminated */
  __u32 env_total;
  char comm[16];
  char args[OTELBPF_SNAPSHOT_ARGS];
  char env[OTELBPF_SNAPSHOT_ENV];
};

/* --propagate=headers: the ids of one exchange's span, chosen in the kernel because they went
 * on the wire before user space saw the exchange. hdr.tgid/fd/generation/role name the
 * connection and hdr.start_ns the time user space dates the request's first byte by: for a
 * CLIENT, the start of the send that carried the inserted traceparent; for a SERVER, the exit
 * of the receive that read the request whose context an outgoing call of the same thread
 * carried on. */
struct otelbpf_trace_context_event {
  struct otelbpf_event_header hdr;
  __u8 trace_id[16];
  __u8 span_id[8];        /* the span's own id */
  __u8 parent_span_id[8]; /* all zero: the trace starts with this span */
  __u8 sampled;           /* trace-flags bit 0 as sent */
  __u8 pad[7];
};

/* What the traceparent injector did with each request start it looked at (the
 * `propagation_stats` per-CPU array counts them; otelbpf.propagation.requests{outcome}). */
enum otelbpf_propagation_outcome {
  OTELBPF_PROP_INJECTED = 0,
  OTELBPF_PROP_ALREADY_PRESENT, /* it carried a traceparent: left as it was */
  OTELBPF_PROP_NOT_HTTP,        /* the connection does not start with an HTTP/1 request: left alone */
  OTELBPF_PROP_HEADERS_SPLIT,   /* its header block did not arrive in one send: left alone */
  OTELBPF_PROP_BODY_UNKNOWN,    /* chunked or unreadable body framing: the connection is left alone
                                 * after this request (its next request cannot be found safely) */
  OTELBPF_PROP_PIPELINED,       /* a send held more than one request: only the first was looked at */
  OTELBPF_PROP_NO_ROOM,         /* the kernel could not grow the message */
  OTELBPF_PROP_COUNT,
};

struct otelbpf_data_event {
  struct otelbpf_event_header hdr;
  __u8 payload[]; /* hdr.captured bytes */
};

#endif /* OTELBPF_HTTP_CAPTURE_H */
