// Command parsercompare runs BuildKit's Dockerfile parser (parser.Parse + instructions.Parse)
// on files, either timing it ("bench") or printing a canonical dump ("dump") that the Rust
// example frontend/examples/parse_bench.rs prints too, for differential testing.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

func parseAll(dt []byte) (*parser.Result, []instructions.Stage, []instructions.ArgCommand, error, error) {
	res, err := parser.Parse(bytes.NewReader(dt))
	if err != nil {
		return nil, nil, nil, err, nil
	}
	stages, meta, err := instructions.Parse(res.AST, linter.New(&linter.Config{}))
	return res, stages, meta, nil, err
}

func location(err error) string {
	var le *parser.LocationError
	if errors.As(err, &le) && len(le.Locations) > 0 && len(le.Locations[0]) > 0 {
		r := le.Locations[0]
		return fmt.Sprintf("%d-%d", r[0].Start.Line, r[len(r)-1].End.Line)
	}
	return "-"
}

func q(s string) string { return fmt.Sprintf("%q", s) }

func qs(v []string) string {
	if v == nil {
		v = []string{}
	}
	return fmt.Sprintf("%q", v)
}

func dumpCommand(w *strings.Builder, c instructions.Command) {
	switch c := c.(type) {
	case *instructions.RunCommand:
		fmt.Fprintf(w, "  run args=%s json=%v", qs(c.CmdLine), !c.PrependShell)
		for _, f := range c.Files {
			fmt.Fprintf(w, " file=%s,%v,%s", q(f.Name), f.Chomp, q(f.Data))
		}
		mounts := []string{}
		for _, m := range instructions.GetMounts(c) {
			mounts = append(mounts, m.From)
		}
		fmt.Fprintf(w, " network=%s security=%s", instructions.GetNetwork(c), instructions.GetSecurity(c))
		for _, d := range instructions.GetDevices(c) {
			fmt.Fprintf(w, " device=%s,%v", q(d.Name), d.Required)
		}
		fmt.Fprintf(w, " nmounts=%d\n", len(mounts))
	case *instructions.CmdCommand:
		fmt.Fprintf(w, "  cmd args=%s json=%v\n", qs(c.CmdLine), !c.PrependShell)
	case *instructions.EntrypointCommand:
		fmt.Fprintf(w, "  entrypoint args=%s json=%v\n", qs(c.CmdLine), !c.PrependShell)
	case *instructions.CopyCommand:
		fmt.Fprintf(w, "  copy dest=%s srcs=%s", q(c.DestPath), qs(c.SourcePaths))
		for _, sc := range c.SourceContents {
			fmt.Fprintf(w, " content=%s,%v,%s", q(sc.Path), sc.Expand, q(sc.Data))
		}
		fmt.Fprintf(w, " from=%s chown=%s chmod=%s link=%v parents=%v exclude=%s\n", q(c.From), q(c.Chown), q(c.Chmod), c.Link, c.Parents, qs(c.ExcludePatterns))
	case *instructions.AddCommand:
		fmt.Fprintf(w, "  add dest=%s srcs=%s", q(c.DestPath), qs(c.SourcePaths))
		for _, sc := range c.SourceContents {
			fmt.Fprintf(w, " content=%s,%v,%s", q(sc.Path), sc.Expand, q(sc.Data))
		}
		kg, up := "nil", "nil"
		if c.KeepGitDir != nil {
			kg = fmt.Sprint(*c.KeepGitDir)
		}
		if c.Unpack != nil {
			up = fmt.Sprint(*c.Unpack)
		}
		fmt.Fprintf(w, " chown=%s chmod=%s link=%v checksum=%s keepgit=%s unpack=%s exclude=%s\n", q(c.Chown), q(c.Chmod), c.Link, q(c.Checksum), kg, up, qs(c.ExcludePatterns))
	case *instructions.EnvCommand:
		fmt.Fprintf(w, "  env")
		for _, kv := range c.Env {
			fmt.Fprintf(w, " %s=%s,%v", q(kv.Key), q(kv.Value), kv.NoDelim)
		}
		fmt.Fprintln(w)
	case *instructions.LabelCommand:
		fmt.Fprintf(w, "  label")
		for _, kv := range c.Labels {
			fmt.Fprintf(w, " %s=%s,%v", q(kv.Key), q(kv.Value), kv.NoDelim)
		}
		fmt.Fprintln(w)
	case *instructions.ArgCommand:
		dumpArg(w, c)
	case *instructions.WorkdirCommand:
		fmt.Fprintf(w, "  workdir %s\n", q(c.Path))
	case *instructions.UserCommand:
		fmt.Fprintf(w, "  user %s\n", q(c.User))
	case *instructions.ExposeCommand:
		fmt.Fprintf(w, "  expose %s\n", qs(c.Ports))
	case *instructions.VolumeCommand:
		fmt.Fprintf(w, "  volume %s\n", qs(c.Volumes))
	case *instructions.StopSignalCommand:
		fmt.Fprintf(w, "  stopsignal %s\n", q(c.Signal))
	case *instructions.ShellCommand:
		fmt.Fprintf(w, "  shell %s\n", qs(c.Shell))
	case *instructions.MaintainerCommand:
		fmt.Fprintf(w, "  maintainer %s\n", q(c.Maintainer))
	case *instructions.OnbuildCommand:
		fmt.Fprintf(w, "  onbuild %s\n", q(c.Expression))
	case *instructions.HealthCheckCommand:
		h := c.Health
		fmt.Fprintf(w, "  healthcheck %s %d %d %d %d %d\n", qs(h.Test), h.Interval, h.Timeout, h.StartPeriod, h.StartInterval, h.Retries)
	default:
		fmt.Fprintf(w, "  unknown %T\n", c)
	}
}

func dumpArg(w *strings.Builder, c *instructions.ArgCommand) {
	fmt.Fprintf(w, "  arg")
	for _, a := range c.Args {
		v := "nil"
		if a.Value != nil {
			v = q(*a.Value)
		}
		fmt.Fprintf(w, " %s=%s,%s", q(a.Key), v, q(a.DocComment))
	}
	fmt.Fprintln(w)
}

func dump(name string, dt []byte) string {
	var w strings.Builder
	fmt.Fprintf(&w, "== %s\n", name)
	res, stages, meta, perr, ierr := parseAll(dt)
	if perr != nil {
		fmt.Fprintf(&w, "parse error: %s @%s\n", perr.Error(), location(perr))
		return w.String()
	}
	fmt.Fprintf(&w, "%s\n", res.AST.Dump())
	fmt.Fprintf(&w, "escape=%q\n", string(res.EscapeToken))
	for _, wn := range res.Warnings {
		fmt.Fprintf(&w, "warning line %d\n", wn.Location.Start.Line)
	}
	for i, n := range res.AST.Children {
		fmt.Fprintf(&w, "node %d %d-%d comments=%s\n", i, n.StartLine, n.EndLine, qs(n.PrevComment))
		for _, h := range n.Heredocs {
			fmt.Fprintf(&w, "  heredoc %s expand=%v chomp=%v %s\n", q(h.Name), h.Expand, h.Chomp, q(h.Content))
		}
	}
	if ierr != nil {
		fmt.Fprintf(&w, "instructions error: %s @%s\n", ierr.Error(), location(ierr))
		return w.String()
	}
	for _, m := range meta {
		dumpArg(&w, &m)
	}
	for _, s := range stages {
		fmt.Fprintf(&w, "stage name=%s base=%s platform=%s doc=%s\n", q(s.Name), q(s.BaseName), q(s.Platform), q(s.DocComment))
		for _, c := range s.Commands {
			dumpCommand(&w, c)
		}
	}
	return w.String()
}

func main() {
	n := flag.Int("n", 20, "iterations per file in bench mode")
	flag.Parse()
	if flag.NArg() < 1 {
		fmt.Fprintln(os.Stderr, "usage: parsercompare [-n N] bench|dump FILE...")
		os.Exit(2)
	}
	mode, files := flag.Arg(0), flag.Args()[1:]
	for _, f := range files {
		dt, err := os.ReadFile(f)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		switch mode {
		case "dump":
			fmt.Print(dump(f, dt))
		case "bench":
			// One warm-up run, then the timed ones.
			_, _, _, perr, ierr := parseAll(dt)
			if perr != nil || ierr != nil {
				fmt.Fprintf(os.Stderr, "%s: %v %v\n", f, perr, ierr)
			}
			start := time.Now()
			for i := 0; i < *n; i++ {
				parseAll(dt)
			}
			el := time.Since(start)
			fmt.Printf("%s\t%d\n", f, el.Nanoseconds()/int64(*n))
		default:
			fmt.Fprintln(os.Stderr, "unknown mode", mode)
			os.Exit(2)
		}
	}
}
