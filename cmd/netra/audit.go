package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/netra-ai/netra/audit"
	"github.com/netra-ai/netra/store/storesqlite"
)

// auditCmd runs `netra audit verify`: it reads the embedded store and checks every user's
// chain. It exits 1 and names the first broken entry of each chain when any is broken.
func auditCmd(args []string, out io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprintln(os.Stderr, "usage: netra audit verify [--data-dir DIR] [--json]")
		return exitCode(2)
	}
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	dataDir := fs.String("data-dir", envOr("NETRA_DATA_DIR", "./netra-data"), "the server's data directory (NETRA_DATA_DIR)")
	asJSON := fs.Bool("json", false, "print the report as JSON, with each chain's head hash")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	path := filepath.Join(*dataDir, "netra.db")
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("no database at %s: %w", path, err)
	}
	ctx := context.Background()
	s, err := storesqlite.OpenReadOnly(ctx, path) // safe beside a running server
	if err != nil {
		return err
	}
	defer s.Close()
	rep, err := audit.Verify(ctx, s)
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
		fmt.Fprintf(out, "%d entries in %d chains checked, %d broken\n", rep.Entries, rep.Users, len(rep.Breaks))
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
