// Command ref-dockerfile2llb converts a Dockerfile to an LLB definition with BuildKit's own
// converter (dockerfile2llb.Dockerfile2LLB, the reference), offline: base images resolve to a
// fixed config through a stub resolver, like `dockerfile-frontend llb FILE` does on our side,
// so the benchmark compares conversion and nothing else. BuildKit's examples/dockerfile2llb
// uses a registry resolver instead, which would time the network.
//
// Usage: ref-dockerfile2llb [-target STAGE] [-platform P] [-build-arg K=V]... [-n N] [-cpuprofile OUT] FILE > definition.pb
// -n repeats the conversion N times in one process (the last definition is written), for
// profiling and for warm per-conversion timings.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"

	"github.com/containerd/platforms"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// offlineResolver answers every image with one layer and an empty config, the image our
// CLI assumes offline (frontend/src/cli.rs offline_image).
type offlineResolver struct{}

func (offlineResolver) ResolveImageConfig(_ context.Context, ref string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	os, arch := runtime.GOOS, runtime.GOARCH
	if opt.ImageOpt != nil && opt.ImageOpt.Platform != nil {
		os, arch = opt.ImageOpt.Platform.OS, opt.ImageOpt.Platform.Architecture
	}
	cfg, err := json.Marshal(map[string]any{
		"architecture": arch,
		"os":           os,
		"config":       map[string]any{},
		"rootfs": map[string]any{
			"type":     "layers",
			"diff_ids": []string{"sha256:0000000000000000000000000000000000000000000000000000000000000000"},
		},
	})
	return ref, "", cfg, err
}

type buildArgs map[string]string

func (a buildArgs) String() string { return fmt.Sprint(map[string]string(a)) }
func (a buildArgs) Set(v string) error {
	k, val, _ := strings.Cut(v, "=")
	a[k] = val
	return nil
}

func main() {
	args := buildArgs{}
	target := flag.String("target", "", "target stage")
	platform := flag.String("platform", "", "target platform")
	flag.Var(args, "build-arg", "K=V, repeatable")
	n := flag.Int("n", 1, "convert N times")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile (go tool pprof) to this file")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: ref-dockerfile2llb [-target STAGE] [-platform P] [-build-arg K=V]... [-n N] [-cpuprofile OUT] FILE")
		os.Exit(2)
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "error:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	cfg := dockerui.Config{Target: *target, BuildArgs: args}
	if *platform != "" {
		p, err := platforms.Parse(*platform)
		if err != nil {
			fmt.Fprintln(os.Stderr, "error:", err)
			os.Exit(2)
		}
		cfg.TargetPlatforms = []ocispecs.Platform{p}
	}
	if err := run(flag.Arg(0), cfg, *n); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run(file string, cfg dockerui.Config, n int) error {
	dt, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	ctx := context.Background()
	caps := pb.Caps.CapSet(pb.Caps.All())
	var out *llb.Definition
	for range n {
		res, err := dockerfile2llb.Dockerfile2LLB(ctx, dt, dockerfile2llb.ConvertOpt{
			MetaResolver: offlineResolver{},
			LLBCaps:      &caps,
			// Ops carry their Dockerfile lines, as in a real build (and as ours do).
			SourceMap: llb.NewSourceMap(nil, file, "Dockerfile", dt),
			Config:    cfg,
		})
		if err != nil {
			return err
		}
		if out, err = res.State.Marshal(ctx); err != nil {
			return err
		}
	}
	return llb.WriteTo(out, os.Stdout)
}
