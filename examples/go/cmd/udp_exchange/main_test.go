package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The serving side runs in a child process (this test binary again, with
// UDP_EXCHANGE_CHILD set to its arguments): one rump kernel per process.
func TestMain(m *testing.M) {
	if args := os.Getenv("UDP_EXCHANGE_CHILD"); args != "" {
		os.Exit(run(append([]string{"udp_exchange"}, strings.Split(args, " ")...), os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func TestExchangeBetweenTwoProcesses(t *testing.T) {
	bus := filepath.Join(t.TempDir(), "bus")
	server := exec.Command(os.Args[0], "-test.run=^$")
	server.Env = append(os.Environ(), "UDP_EXCHANGE_CHILD="+bus+" 10.0.2.1/24 serve")
	var served, serverErr bytes.Buffer
	server.Stdout = &served
	server.Stderr = &serverErr
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}

	var sent, sendErr bytes.Buffer
	rc := run([]string{"udp_exchange", bus, "10.0.2.2/24", "send", "10.0.2.1", "hello"}, &sent, &sendErr)
	serverExit := server.Wait()
	t.Logf("sender:\n%s%s", sent.String(), sendErr.String())
	t.Logf("server:\n%s%s", served.String(), serverErr.String())
	if rc != 0 {
		t.Errorf("sender exited %d", rc)
	}
	if serverExit != nil {
		t.Errorf("server: %v", serverExit)
	}
	if !strings.Contains(sent.String(), "\nreply from 10.0.2.1:7777: hello\n") {
		t.Errorf("no reply line")
	}
	if !regexp.MustCompile(`(?m)^got 'hello' from 10\.0\.2\.2:\d+$`).MatchString(served.String()) {
		t.Errorf("the server did not see the datagram")
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{
		{"bus"},
		{"bus", "10.0.2.1/33", "serve"},
		{"bus", "10.0.2.1/24", "send", "x", "y"},
	} {
		var out, errOut bytes.Buffer
		if rc := run(append([]string{"udp_exchange"}, args...), &out, &errOut); rc != 2 ||
			!strings.HasPrefix(errOut.String(), "usage:") {
			t.Errorf("%v: exit %d, %q", args, rc, errOut.String())
		}
	}
}
