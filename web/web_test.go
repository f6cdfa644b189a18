package web

import (
	"bytes"
	"compress/gzip"
	"io/fs"
	"strings"
	"testing"
)

// The app stays small and strict: under 150 KB of JS and CSS gzipped, and no inline script,
// inline style or third-party origin anywhere in it.
func TestBudgetAndStrictness(t *testing.T) {
	total := 0
	err := fs.WalkDir(static, "static", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := static.ReadFile(path)
		if err != nil {
			return err
		}
		var z bytes.Buffer
		w := gzip.NewWriter(&z)
		_, _ = w.Write(b)
		_ = w.Close()
		total += z.Len()
		text := strings.ReplaceAll(string(b), `"http://www.w3.org/2000/svg"`, "") // a name, not an origin
		for _, bad := range []string{"<script>", " style=\"", "javascript:", "https://", "http://", "innerHTML", "insertAdjacentHTML", "eval("} {
			if strings.Contains(text, bad) {
				t.Errorf("%s holds %q", path, bad)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if total > 150<<10 {
		t.Fatalf("the app is %d bytes gzipped, over 150 KB", total)
	}
	t.Logf("%d bytes gzipped", total)
}
