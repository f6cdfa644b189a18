package main

import (
	"bytes"
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netra-ai/netra/client"
)

// TestAuditVerify: after real traffic `netra audit verify` passes; after any stored entry is
// changed it fails (exit 1) and names that entry.
func TestAuditVerify(t *testing.T) {
	n, c, dir := startWithToken(t)
	ctx := context.Background()
	var out, progress bytes.Buffer
	for range 3 {
		if err := runChat(ctx, c, client.StartRun{Input: "hi", Agent: "echo"}, &out, &progress); err != nil {
			t.Fatal(err)
		}
	}
	if err := stop(n); err != nil {
		t.Fatal(err)
	}

	var rep bytes.Buffer
	if err := auditCmd([]string{"verify", "--data-dir", dir}, &rep); err != nil {
		t.Fatalf("verify on an untouched trail: %v\n%s", err, rep.String())
	}
	if !strings.Contains(rep.String(), "0 broken") || strings.Contains(rep.String(), " 0 entries") {
		t.Fatalf("report: %s", rep.String())
	}

	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "netra.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE audit SET outcome = 'ok', detail = 'agent supervisor' WHERE user_id = 'alice' AND seq = 5`); err != nil {
		t.Fatal(err)
	}
	rep.Reset()
	err = auditCmd([]string{"verify", "--data-dir", dir}, &rep)
	if ec, ok := err.(exitCode); !ok || ec != 1 {
		t.Fatalf("verify after tampering = %v, want exit 1\n%s", err, rep.String())
	}
	if !strings.Contains(rep.String(), "BROKEN  user alice, entry seq 5: hash does not match") {
		t.Fatalf("report does not name the entry:\n%s", rep.String())
	}
}
