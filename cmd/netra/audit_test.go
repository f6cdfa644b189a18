package main

import (
	"bytes"
	"context"
	"database/sql"
	"os"
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

// TestAuditCheckpointWitness: `netra audit checkpoint` exports the newest signed checkpoint; a
// cut end of a chain, sound on its own, fails `verify`; a log of checkpoints rolled back fails
// `verify --checkpoint` with the exported witness; `--json` uses lower-case keys and an empty
// list for no breaks.
func TestAuditCheckpointWitness(t *testing.T) {
	n, c, dir := startWithToken(t)
	ctx := context.Background()
	var out, progress bytes.Buffer
	for range 3 {
		if err := runChat(ctx, c, client.StartRun{Input: "hi", Agent: "echo"}, &out, &progress); err != nil {
			t.Fatal(err)
		}
	}
	if err := stop(n); err != nil { // the final checkpoint
		t.Fatal(err)
	}
	var cp bytes.Buffer
	if err := auditCmd([]string{"checkpoint", "--data-dir", dir}, &cp); err != nil {
		t.Fatal(err)
	}
	witness := filepath.Join(t.TempDir(), "witness.json")
	if err := os.WriteFile(witness, cp.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	var rep bytes.Buffer
	if err := auditCmd([]string{"verify", "--data-dir", dir, "--checkpoint", witness, "--json"}, &rep); err != nil {
		t.Fatalf("verify with the witness: %v\n%s", err, rep.String())
	}
	if !strings.Contains(rep.String(), `"breaks": []`) || strings.Contains(rep.String(), `"UserID"`) || !strings.Contains(rep.String(), `"checkpoint": {`) {
		t.Fatalf("--json report:\n%s", rep.String())
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "netra.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Cut alice's chain by its last two entries, and the checkpoint log back to before them.
	var last int64
	if err := db.QueryRow(`SELECT max(seq) FROM audit WHERE user_id = 'alice'`).Scan(&last); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DELETE FROM audit WHERE user_id = 'alice' AND seq > ?`, last-2); err != nil {
		t.Fatal(err)
	}
	rep.Reset()
	err = auditCmd([]string{"verify", "--data-dir", dir}, &rep)
	if ec, ok := err.(exitCode); !ok || ec != 1 || !strings.Contains(rep.String(), "the chain was cut short") {
		t.Fatalf("verify after a cut = %v\n%s", err, rep.String())
	}
	if _, err := db.Exec(`DELETE FROM audit_checkpoints`); err != nil {
		t.Fatal(err)
	}
	rep.Reset()
	if err := auditCmd([]string{"verify", "--data-dir", dir}, &rep); err != nil {
		t.Fatalf("with no checkpoint left, the cut chain is sound on its own: %v\n%s", err, rep.String())
	}
	rep.Reset()
	err = auditCmd([]string{"verify", "--data-dir", dir, "--checkpoint", witness}, &rep)
	if ec, ok := err.(exitCode); !ok || ec != 1 || !strings.Contains(rep.String(), "checkpoints were removed, the log was rolled back") {
		t.Fatalf("verify with the witness after a rollback = %v\n%s", err, rep.String())
	}
}
