// Package natstest starts a NATS server of a test's own, embedded (nats-server/v2), on a
// loopback port; it stops with the test. No NATS installation is needed.
package natstest

import (
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// URL returns the client URL of a fresh server.
func URL(t testing.TB) string {
	t.Helper()
	return Start(t, &server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true}).ClientURL()
}

// Start starts a server with opts and waits until it takes connections.
func Start(t testing.TB, opts *server.Options) *server.Server {
	t.Helper()
	s, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("the NATS server did not start")
	}
	t.Cleanup(s.Shutdown)
	return s
}
