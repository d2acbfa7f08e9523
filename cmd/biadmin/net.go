package main

import (
	"fmt"
	"net"
)

// requireLoopback rejects listen addresses outside the loopback range: the
// sandbox hands out tokens and secrets that must not be reachable from
// another machine.
func requireLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("invalid --addr %q: %v (expected host:port, e.g. 127.0.0.1:8787)", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("--addr %q is not a loopback address; use 127.0.0.1 or [::1]", addr)
	}
	return nil
}
