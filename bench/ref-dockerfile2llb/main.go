// Command ref-dockerfile2llb converts a Dockerfile to an LLB definition with BuildKit's own
// converter (dockerfile2llb.Dockerfile2LLB, the reference), offline: base images resolve to a
// fixed config through a stub resolver, like `dockerfile-frontend llb FILE` does on our side,
// so the benchmark compares conversion and nothing else. BuildKit's examples/dockerfile2llb
// uses a registry resolver instead, which would time the network.
//
// Usage: ref-dockerfile2llb [-target STAGE] [-platform P] [-build-arg K=V]... [-n N] [-cpuprofile OUT]
//
//	[-config OUT] [-error-json] [-image-digest] [-multi-platform] FILE > definition.pb
//
// -n repeats the conversion N times in one process (the last definition is written), for
// profiling and for warm per-conversion timings. The options are passed as the reference
// frontend passes them (dockerfile/builder.Build with dockerui.Config): -platform is the
// ConvertOpt's TargetPlatform (normalized), the build platform is this machine's.
//
// For the differential test (tests/differential): -config writes the image config as the
// frontend exports it (json.Marshal of the result's image); -error-json prints a failure as
// one JSON line on stderr, {"message": err.Error(), "sources": [[{"start":[line,char],
// "end":[line,char]}...]...]}, the sources being the errdefs.Source ranges the frontend
// attaches (dockerfile/builder.Build's wrapSource of each parser.LocationError location);
// -image-digest makes the stub resolver return a digest (the reference's own, or else the
// sha256 of the config bytes), as a registry would, so image sources are pinned;
// -multi-platform sets dockerui's MultiPlatformRequested (the `multi-platform` option, ours
// `--opt multi-platform=true`): progress names start with the platform.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
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
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// offlineResolver answers every image with one layer and an empty config, the image our
// CLI assumes offline (frontend/src/cli.rs offline_image): the same bytes, and with
// withDigest the same digest (sha256 of those bytes).
type offlineResolver struct{ withDigest bool }

func (r offlineResolver) ResolveImageConfig(_ context.Context, ref string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	p := ocispecs.Platform{OS: runtime.GOOS, Architecture: runtime.GOARCH}
	if opt.ImageOpt != nil && opt.ImageOpt.Platform != nil {
		p = *opt.ImageOpt.Platform
	}
	cfg := stubConfig(p)
	var dgst digest.Digest
	if r.withDigest {
		// A reference by digest resolves to that digest, as in a registry; else the
		// config's sha256 stands in for the manifest's.
		if _, d, ok := strings.Cut(ref, "@"); ok {
			dgst = digest.Digest(d)
		} else {
			sum := sha256.Sum256(cfg)
			dgst = digest.Digest("sha256:" + hex.EncodeToString(sum[:]))
		}
	}
	return ref, dgst, cfg, nil
}

// stubConfig is the stub image's config, byte for byte as frontend/src/cli.rs writes it
// (keys sorted; a variant only when the platform has one).
func stubConfig(p ocispecs.Platform) []byte {
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	variant := ""
	if p.Variant != "" {
		variant = `,"variant":` + q(p.Variant)
	}
	return []byte(`{"architecture":` + q(p.Architecture) + `,"config":{},"os":` + q(p.OS) +
		`,"rootfs":{"diff_ids":["sha256:0000000000000000000000000000000000000000000000000000000000000000"],"type":"layers"}` +
		variant + `}`)
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
	configOut := flag.String("config", "", "write the image config (JSON) to this file")
	errorJSON := flag.Bool("error-json", false, "print a conversion error as one JSON line (message, source ranges)")
	imageDigest := flag.Bool("image-digest", false, "the stub resolver returns a digest")
	multiPlatform := flag.Bool("multi-platform", false, "as the multi-platform option: progress names carry the platform")
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
	// As dockerui.Client.init sets them: the build platform is the worker's (offline: this
	// machine's, normalized), the target platforms are the parsed, normalized `platform` option.
	cfg := dockerui.Config{
		Target:          *target,
		BuildArgs:       args,
		BuildPlatforms:  []ocispecs.Platform{platforms.Normalize(platforms.DefaultSpec())},
		TargetPlatforms: []ocispecs.Platform{},
		// dockerui.Client.init: more than one target platform, or the option.
		MultiPlatformRequested: *multiPlatform,
	}
	var targetPlatform *ocispecs.Platform
	if *platform != "" {
		p, err := platforms.Parse(*platform)
		if err != nil {
			fmt.Fprintln(os.Stderr, "error:", err)
			os.Exit(2)
		}
		p = platforms.Normalize(p)
		cfg.TargetPlatforms = []ocispecs.Platform{p}
		// dockerfile/builder.Build: one conversion per target platform, with it as
		// ConvertOpt.TargetPlatform (nil when none was asked for).
		targetPlatform = &cfg.TargetPlatforms[0]
	}
	if err := run(flag.Arg(0), cfg, targetPlatform, *n, *configOut, *imageDigest); err != nil {
		pprof.StopCPUProfile()
		if *errorJSON {
			printErrorJSON(err)
		} else {
			fmt.Fprintln(os.Stderr, "error:", err)
		}
		os.Exit(1)
	}
}

type jsonRange struct {
	Start [2]int `json:"start"`
	End   [2]int `json:"end"`
}

// printErrorJSON prints the error as the client gets it from the reference frontend: its
// message and the ranges of each errdefs.Source (dockerfile/builder.Build wraps every
// location of the first parser.LocationError in the chain).
func printErrorJSON(err error) {
	out := struct {
		Message string        `json:"message"`
		Sources [][]jsonRange `json:"sources"`
	}{Message: err.Error(), Sources: [][]jsonRange{}}
	var el *parser.LocationError
	if errors.As(err, &el) {
		for _, loc := range el.Locations {
			rs := []jsonRange{}
			for _, r := range loc {
				rs = append(rs, jsonRange{Start: [2]int{r.Start.Line, r.Start.Character}, End: [2]int{r.End.Line, r.End.Character}})
			}
			out.Sources = append(out.Sources, rs)
		}
	}
	b, _ := json.Marshal(out)
	fmt.Fprintln(os.Stderr, string(b))
}

func run(file string, cfg dockerui.Config, targetPlatform *ocispecs.Platform, n int, configOut string, imageDigest bool) error {
	dt, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	ctx := context.Background()
	caps := pb.Caps.CapSet(pb.Caps.All())
	var out *llb.Definition
	for range n {
		res, err := dockerfile2llb.Dockerfile2LLB(ctx, dt, dockerfile2llb.ConvertOpt{
			MetaResolver: offlineResolver{withDigest: imageDigest},
			LLBCaps:      &caps,
			// Ops carry their Dockerfile lines, as in a real build (and as ours do).
			SourceMap:      llb.NewSourceMap(nil, file, "Dockerfile", dt),
			Config:         cfg,
			TargetPlatform: targetPlatform,
		})
		if err != nil {
			return err
		}
		// No session offline: the context's local.unique is empty, as ours writes it.
		if out, err = res.State.Marshal(ctx, llb.LocalUniqueID("")); err != nil {
			return err
		}
		if configOut != "" {
			b, err := json.Marshal(res.Image)
			if err != nil {
				return err
			}
			if err := os.WriteFile(configOut, b, 0o644); err != nil {
				return err
			}
		}
	}
	return llb.WriteTo(out, os.Stdout)
}
