// udp_exchange: the C example's UDP exchange in Go, through package rump.
// Two processes on one bus file:
//
//	udp_exchange BUS ADDR/PREFIXLEN serve            answer datagrams on
//	    port 7777 until 3 s pass without one after the first (30 s for the
//	    first)
//	udp_exchange BUS ADDR/PREFIXLEN send PEER TEXT   send TEXT to PEER:7777
//	    (again every 0.5 s, 20 times at most) until the answer comes
//
// Output lines as the C program's: "shmifN ADDR/LEN on BUS",
// "listening on ADDR:7777", "got 'TEXT' from A:P", "reply from A:P: TEXT".
package main

import (
	"fmt"
	"io"
	"net/netip"
	"os"
	"time"

	"example.com/rump"
)

const port = 7777

func main() {
	os.Exit(run(os.Args, os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	usage := func() int {
		fmt.Fprintf(stderr, "usage: %s BUS ADDR/PREFIXLEN serve\n       %s BUS ADDR/PREFIXLEN send PEER TEXT\n", args[0], args[0])
		return 2
	}
	if len(args) < 4 {
		return usage()
	}
	prefix, err := netip.ParsePrefix(args[2])
	if err != nil || !prefix.Addr().Is4() {
		return usage()
	}
	var peer netip.Addr
	switch {
	case args[3] == "serve" && len(args) == 4:
	case args[3] == "send" && len(args) == 6:
		if peer, err = netip.ParseAddr(args[4]); err != nil || !peer.Is4() {
			return usage()
		}
	default:
		return usage()
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "udp_exchange: %v\n", err)
		return 1
	}

	if err := rump.Init(); err != nil {
		return fail(err)
	}
	unit, err := rump.ShmifCreate(args[1])
	if err != nil {
		return fail(err)
	}
	if err := unit.ConfigureIPv4(prefix.Addr(), prefix.Bits()); err != nil {
		return fail(err)
	}
	fmt.Fprintf(stdout, "%s %s on %s\n", unit, args[2], args[1])
	if !peer.IsValid() {
		return serve(prefix.Addr(), stdout, fail)
	}
	return send(prefix.Addr(), peer, args[5], stdout, fail)
}

func serve(addr netip.Addr, stdout io.Writer, fail func(error) int) int {
	conn, err := rump.ListenUDP(netip.AddrPortFrom(addr, port))
	if err != nil {
		return fail(err)
	}
	defer conn.Close()
	fmt.Fprintf(stdout, "listening on %s:%d\n", addr, port)
	answered := 0
	buf := make([]byte, 1024)
	for {
		wait := 30 * time.Second
		if answered > 0 {
			wait = 3 * time.Second
		}
		ready, err := conn.WaitReadable(wait)
		if err != nil {
			return fail(err)
		}
		if !ready {
			break
		}
		n, from, err := conn.ReadFrom(buf)
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "got '%s' from %s\n", buf[:n], from)
		if _, err := conn.WriteTo(buf[:n], from); err != nil {
			return fail(err)
		}
		answered++
	}
	if answered == 0 {
		return fail(fmt.Errorf("no datagram in 30 s"))
	}
	return 0
}

func send(addr, peer netip.Addr, text string, stdout io.Writer, fail func(error) int) int {
	conn, err := rump.ListenUDP(netip.AddrPortFrom(addr, 0))
	if err != nil {
		return fail(err)
	}
	defer conn.Close()
	to := netip.AddrPortFrom(peer, port)
	buf := make([]byte, 1024)
	// The first datagram may wait for ARP, or the peer may not be up yet.
	for i := 0; i < 20; i++ {
		if _, err := conn.WriteTo([]byte(text), to); err != nil {
			return fail(err)
		}
		ready, err := conn.WaitReadable(500 * time.Millisecond)
		if err != nil {
			return fail(err)
		}
		if ready {
			n, from, err := conn.ReadFrom(buf)
			if err != nil {
				return fail(err)
			}
			fmt.Fprintf(stdout, "reply from %s: %s\n", from, buf[:n])
			if string(buf[:n]) != text {
				return 1
			}
			return 0
		}
	}
	return fail(fmt.Errorf("no reply from %s in 10 s", peer))
}
