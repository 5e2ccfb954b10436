// dfrs-subrequest runs a frontend subrequest (`requestid=frontend.outline`, …) through
// buildkitd the way buildx does (a gateway client that solves the frontend and reads the
// result's metadata), once per frontend given, all in one session so that every frontend
// reads the same locals with the same session. For each run LABEL it writes the result
// metadata to OUT/LABEL/<key>, or the error message to OUT/LABEL/error.
//
// Usage: dfrs-subrequest --addr ADDR --local NAME=DIR... --opt KEY=VALUE... \
//
//	--run LABEL=FRONTEND[@SOURCE]... --out DIR
package main

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/buildkit/client"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/tonistiigi/fsutil"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	addr := flag.String("addr", os.Getenv("BUILDKIT_HOST"), "buildkitd address")
	out := flag.String("out", "", "output directory")
	var locals, opts, runs list
	flag.Var(&locals, "local", "NAME=DIR")
	flag.Var(&opts, "opt", "KEY=VALUE frontend option")
	flag.Var(&runs, "run", "LABEL=FRONTEND[@SOURCE]")
	flag.Parse()
	if *out == "" || len(runs) == 0 {
		fmt.Fprintln(os.Stderr, "usage: dfrs-subrequest --addr ADDR --local NAME=DIR --opt K=V --run LABEL=FRONTEND[@SOURCE] --out DIR")
		os.Exit(2)
	}
	if err := run(*addr, *out, locals, opts, runs); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(addr, out string, locals, opts, runs list) error {
	ctx := context.Background()
	c, err := client.New(ctx, addr)
	if err != nil {
		return err
	}
	defer c.Close()
	mounts := map[string]fsutil.FS{}
	for _, l := range locals {
		name, dir, _ := strings.Cut(l, "=")
		fs, err := fsutil.NewFS(dir)
		if err != nil {
			return err
		}
		mounts[name] = fs
	}
	base := map[string]string{"frontend.caps": "moby.buildkit.frontend.subrequests"}
	for _, o := range opts {
		k, v, _ := strings.Cut(o, "=")
		base[k] = v
	}
	_, err = c.Build(ctx, client.SolveOpt{LocalMounts: mounts}, "dfrs-subrequest", func(ctx context.Context, gc gateway.Client) (*gateway.Result, error) {
		for _, r := range runs {
			label, spec, _ := strings.Cut(r, "=")
			frontend, source, hasSource := strings.Cut(spec, "@")
			fopts := maps.Clone(base)
			if hasSource {
				fopts["source"] = source
			}
			dir := filepath.Join(out, label)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, err
			}
			res, err := gc.Solve(ctx, gateway.SolveRequest{Frontend: frontend, FrontendOpt: fopts})
			if err != nil {
				if err := os.WriteFile(filepath.Join(dir, "error"), []byte(err.Error()), 0o644); err != nil {
					return nil, err
				}
				continue
			}
			for k, v := range res.Metadata {
				if err := os.WriteFile(filepath.Join(dir, k), v, 0o644); err != nil {
					return nil, err
				}
			}
		}
		return nil, nil
	}, nil)
	return err
}
