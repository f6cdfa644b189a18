package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/netra-ai/netra/audit"
	"github.com/netra-ai/netra/store"
	"github.com/netra-ai/netra/store/storepg"
	"github.com/netra-ai/netra/store/storesqlite"
)

// auditCmd runs `netra audit verify` and `netra audit checkpoint`. verify reads the embedded
// store and checks every user's chain, the log of signed checkpoints and the chains against
// the newest checkpoint (and a witness, --checkpoint); it exits 1 and names the first broken
// entry of each chain when any is broken. checkpoint prints the newest checkpoint, to keep
// elsewhere as a witness.
func auditCmd(args []string, out io.Writer) error {
	if len(args) == 0 || (args[0] != "verify" && args[0] != "checkpoint") {
		fmt.Fprintln(os.Stderr, "usage: netra audit verify [--data-dir DIR | --database-url URL] [--checkpoint FILE] [--key PUBKEY] [--json]\n       netra audit checkpoint [--data-dir DIR | --database-url URL]")
		return exitCode(2)
	}
	fs := flag.NewFlagSet("audit "+args[0], flag.ContinueOnError)
	dataDir := fs.String("data-dir", envOr("NETRA_DATA_DIR", "./netra-data"), "the server's data directory (NETRA_DATA_DIR)")
	dbURL := fs.String("database-url", envOr("NETRA_DATABASE_URL", ""), "the server's PostgreSQL database, when it has one (NETRA_DATABASE_URL)")
	asJSON, witness, pub := new(bool), new(string), new(string)
	if args[0] == "verify" {
		asJSON = fs.Bool("json", false, "print the report as JSON, with each chain's head hash")
		witness = fs.String("checkpoint", "", "a checkpoint kept elsewhere (`netra audit checkpoint`): the database must hold it")
		pub = fs.String("key", "", "the audit key's public half, base64 (GET /v1/audit/checkpoint-key); default: from the data directory's audit-key or NETRA_AUDIT_KEY")
	}
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	ctx := context.Background()
	s, err := openAuditStore(ctx, *dataDir, *dbURL)
	if err != nil {
		return err
	}
	defer s.Close()
	if args[0] == "checkpoint" {
		c, ok, err := audit.Latest(ctx, s)
		if err != nil {
			return err
		}
		if !ok {
			return errors.New("no checkpoint yet: the server makes one every --audit-checkpoint-every and when it stops")
		}
		return writeIndented(out, c)
	}
	var opts audit.VerifyOptions
	switch {
	case *pub != "":
		if opts.Key, err = audit.ParsePublicKey(*pub); err != nil {
			return fmt.Errorf("--key: %w", err)
		}
	default:
		key, err := audit.LoadKey(*dataDir, false)
		if err != nil {
			fmt.Fprintf(os.Stderr, "netra: %v; the checkpoints are not checked (give --key)\n", err)
		} else {
			opts.Key = key.Public().(ed25519.PublicKey)
		}
	}
	if *witness != "" {
		b, err := os.ReadFile(*witness)
		if err != nil {
			return err
		}
		c, err := audit.ParseCheckpoint(b, "")
		if err != nil {
			return fmt.Errorf("--checkpoint: %w", err)
		}
		opts.Witness = &c
	}
	rep, err := audit.Verify(ctx, s, opts)
	if err != nil {
		return err
	}
	if *asJSON {
		if err := writeIndented(out, rep); err != nil {
			return err
		}
	} else {
		for _, b := range rep.Breaks {
			fmt.Fprintf(out, "BROKEN  user %s, entry seq %d: %s\n", b.UserID, b.Seq, b.Reason)
		}
		against := "no signed checkpoint"
		if c := rep.Checkpoint; c != nil {
			against = fmt.Sprintf("checkpoint #%d of %s", c.Seq, c.At.Format(time.RFC3339))
		}
		fmt.Fprintf(out, "%d entries in %d chains checked against %s, %d broken\n", rep.Entries, rep.Users, against, len(rep.Breaks))
	}
	if len(rep.Breaks) > 0 {
		return exitCode(1)
	}
	return nil
}

// writeIndented prints v as indented JSON.
func writeIndented(out io.Writer, v any) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// openAuditStore opens the server's store for reading its audit trail: PostgreSQL when a
// database URL is given, else the data directory's SQLite file, read-only (safe beside a
// running server).
func openAuditStore(ctx context.Context, dataDir, dbURL string) (interface {
	store.AuditAdmin
	Close() error
}, error) {
	if dbURL != "" {
		return storepg.Open(ctx, dbURL)
	}
	path := filepath.Join(dataDir, "netra.db")
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("no database at %s: %w", path, err)
	}
	s, err := storesqlite.OpenReadOnly(ctx, path)
	if err != nil {
		return nil, err
	}
	if s.Immutable {
		fmt.Fprintln(os.Stderr, "netra: the database is on read-only media: read as the file holds it (immutable mode), without a WAL a running server may not have merged")
	}
	return s, nil
}
