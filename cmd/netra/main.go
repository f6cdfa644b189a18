// Command netra is the Netra agent execution server and its command-line tools.
//
//	netra serve              run the server (embedded SQLite, no configuration needed)
//	netra token --user ID    print a signed token for a user
//	netra login-link --user ID    print a single-use sign-in link to the web app
//	netra chat "question"    ask the server and watch the agents work
//	netra upload FILE...     send usage records, with progress
//	netra audit verify       check the audit trail's hash chains
//	netra eval               run the agents' evaluation set
//	netra version            print the version
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `netra — multi-user AI agent execution server

Usage:
  netra serve [flags]              run the server
  netra token --user ID [flags]    print a signed JWT for a user
  netra login-link --user ID [flags]    print a single-use sign-in link to the web app
  netra chat [flags] "question"    start a run and show its progress
  netra upload [flags] FILE...     send usage records (JSONL, CSV, OTLP/JSON) with progress
  netra bench SCENARIO [flags]     load-test a server (isolation, throughput, latency, ...)
  netra audit verify [flags]       check the audit trail's chains and signed checkpoints
  netra audit checkpoint [flags]   print the newest signed checkpoint, to keep elsewhere
  netra eval [--url URL]           run the agents' evaluation set, a score per kind of answer
  netra version                    print the version

Run "netra <command> -h" for a command's flags.
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	args := os.Args[2:]
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(args)
	case "token":
		err = token(args, os.Stdout)
	case "login-link":
		err = loginLink(args, os.Stdout)
	case "chat":
		err = chat(args)
	case "upload":
		err = uploadCmd(args, os.Stdout, os.Stderr)
	case "bench":
		err = benchCmd(args)
	case "audit":
		err = auditCmd(args, os.Stdout)
	case "eval":
		err = evalCmd(args, os.Stdout)
	case "version", "--version", "-v":
		fmt.Println(versionLine())
	case "help", "-h", "--help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "netra: unknown command %q\n\n%s", os.Args[1], usage)
		os.Exit(2)
	}
	if err != nil {
		if ec, ok := err.(exitCode); ok {
			os.Exit(int(ec)) // 0 after -h
		}
		fmt.Fprintln(os.Stderr, "netra:", err)
		os.Exit(1)
	}
}

// versionLine says which build this is: the module version and the VCS revision the Go
// toolchain stamped into the binary (-ldflags "-X main.version=..." overrides the version).
func versionLine() string {
	v, rev := version, ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "dev" && bi.Main.Version != "" {
			v = bi.Main.Version
		}
		var at, modified string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					modified = ", modified"
				}
			}
		}
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if rev != "" {
			rev = fmt.Sprintf(" revision %s (%s%s)", rev, at, modified)
		}
	}
	return fmt.Sprintf("netra %s%s, %s %s/%s", v, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// exitCode ends the process with a status and no further message.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit %d", int(e)) }

// envOr returns the environment variable or def.
func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}
