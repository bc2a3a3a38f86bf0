// The Go service of bench/overhead.sh --service go: answers "hello" on every path, over TLS
// (crypto/tls, the probes of bpf/tls_go.bpf.h) when given a certificate and key, HTTP/1.1 only
// (as nginx in the other modes; wrk speaks HTTP/1.1).
// Usage: go_hello PORT [CERT KEY]
package main

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"os"
)

func main() {
	server := &http.Server{
		Addr: "127.0.0.1:" + os.Args[1],
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, "hello")
		}),
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
	}
	var err error
	if len(os.Args) > 3 {
		err = server.ListenAndServeTLS(os.Args[2], os.Args[3])
	} else {
		err = server.ListenAndServe()
	}
	fmt.Println(err)
	os.Exit(1)
}
