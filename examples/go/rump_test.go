package rump

import (
	"errors"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The kernel is per process and stays booted, so what happens before Init
// is checked in a child process: this test binary, run again with
// RUMP_TEST_BEFORE_INIT=1.
func TestMain(m *testing.M) {
	if os.Getenv("RUMP_TEST_BEFORE_INIT") == "1" {
		os.Exit(beforeInit())
	}
	os.Exit(m.Run())
}

func beforeInit() int {
	_, err := ShmifCreate("/nonexistent/bus")
	if !errors.Is(err, ENXIO) {
		os.Stderr.WriteString("ShmifCreate before Init: " + errString(err) + "\n")
		return 1
	}
	_, err = ListenUDP(netip.MustParseAddrPort("127.0.0.1:0"))
	if !errors.Is(err, ENXIO) {
		os.Stderr.WriteString("ListenUDP before Init: " + errString(err) + "\n")
		return 1
	}
	return 0
}

func errString(err error) string {
	if err == nil {
		return "no error"
	}
	return err.Error()
}

func TestBeforeInitEverythingIsENXIO(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "RUMP_TEST_BEFORE_INIT=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v: %s", err, out)
	}
}

func TestInitIsIdempotent(t *testing.T) {
	if err := Init(); err != nil {
		t.Fatal(err)
	}
	if err := Init(); err != nil {
		t.Fatal(err)
	}
}

func TestShmifOnABusFile(t *testing.T) {
	if err := Init(); err != nil {
		t.Fatal(err)
	}
	bus := filepath.Join(t.TempDir(), "bus")
	unit, err := ShmifCreate(bus)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(bus); err != nil || fi.Size() != 1<<20 {
		t.Fatalf("bus file: %v, %v", fi, err)
	}
	if err := unit.ConfigureIPv4(netip.MustParseAddr("10.0.7.1"), 24); err != nil {
		t.Fatal(err)
	}
}

func TestErrorsCarryNetBSDErrnos(t *testing.T) {
	if err := Init(); err != nil {
		t.Fatal(err)
	}
	notbus := filepath.Join(t.TempDir(), "not-a-bus")
	if err := os.WriteFile(notbus, []byte("this is not a shmif bus, it has the wrong magic"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ShmifCreate(notbus)
	var e *Error
	if !errors.As(err, &e) || e.Errno != ENOEXEC || e.Op != "rump_pub_shmif_create" {
		t.Errorf("ShmifCreate(not a bus) = %v, want ENOEXEC", err)
	}
	var errno Errno
	if !errors.As(err, &errno) || errno != ENOEXEC {
		t.Errorf("errors.As(Errno) = %v", errno)
	}
	if _, err := ShmifCreate("bad\x00path"); !errors.Is(err, EINVAL) {
		t.Errorf("ShmifCreate(NUL) = %v, want EINVAL", err)
	}
	addr := netip.MustParseAddr("10.9.9.9")
	if err := ConfigureIPv4("nosuch0", addr, 24); !errors.Is(err, ENXIO) {
		t.Errorf("ConfigureIPv4(nosuch0) = %v, want ENXIO", err)
	}
	if err := ConfigureIPv4("shmif0", addr, 33); !errors.Is(err, EINVAL) {
		t.Errorf("ConfigureIPv4(/33) = %v, want EINVAL", err)
	}
	if got := Errno(35).Error(); got != "NetBSD errno 35 (EAGAIN)" {
		t.Errorf("Errno(35) = %q", got)
	}
}

func TestUDPSocketCloses(t *testing.T) {
	if err := Init(); err != nil {
		t.Fatal(err)
	}
	bus := filepath.Join(t.TempDir(), "bus")
	unit, err := ShmifCreate(bus)
	if err != nil {
		t.Fatal(err)
	}
	if err := unit.ConfigureIPv4(netip.MustParseAddr("10.0.8.1"), 24); err != nil {
		t.Fatal(err)
	}
	c, err := ListenUDP(netip.MustParseAddrPort("10.0.8.1:7000"))
	if err != nil {
		t.Fatal(err)
	}
	if la, err := c.LocalAddr(); err != nil || la.String() != "10.0.8.1:7000" {
		t.Errorf("LocalAddr = %v, %v", la, err)
	}
	// The port is taken while the socket is open, free after Close.
	if _, err := ListenUDP(netip.MustParseAddrPort("10.0.8.1:7000")); !errors.Is(err, EADDRINUSE) {
		t.Errorf("second bind = %v, want EADDRINUSE", err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); !errors.Is(err, EBADF) {
		t.Errorf("second Close = %v, want EBADF", err)
	}
	c2, err := ListenUDP(netip.MustParseAddrPort("10.0.8.1:7000"))
	if err != nil {
		t.Fatalf("bind after Close: %v", err)
	}
	c2.Close()
}
