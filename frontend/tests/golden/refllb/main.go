// refllb: BuildKit's dockerfile2llb run the way our offline CLI runs (`dockerfile-frontend llb`),
// for byte-level comparisons: base images resolve to an empty config with one layer and no
// digest, the build context is the local "context" without a session and with an empty
// local.unique, so the output is deterministic. Built inside the pinned BuildKit source tree by
// compare-reference.sh. Usage: refllb [-target T] [-platform P] [-build-arg K=V]... [-config F] < Dockerfile > def.pb
package main

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"os"
	"strings"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/buildkit/util/appcontext"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sirupsen/logrus"
)

type args []string

func (a *args) String() string     { return strings.Join(*a, ",") }
func (a *args) Set(v string) error { *a = append(*a, v); return nil }

type offlineResolver struct{}

func (offlineResolver) ResolveImageConfig(ctx context.Context, ref string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	p := platforms.DefaultSpec()
	if opt.ImageOpt != nil && opt.ImageOpt.Platform != nil {
		p = *opt.ImageOpt.Platform
	}
	cfg, err := json.Marshal(map[string]any{
		"architecture": p.Architecture, "os": p.OS, "config": map[string]any{},
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{"sha256:0000000000000000000000000000000000000000000000000000000000000000"}},
	})
	return ref, "", cfg, err
}

func main() {
	var target, platform, configFile string
	var buildArgs args
	flag.StringVar(&target, "target", "", "target stage")
	flag.StringVar(&platform, "platform", "", "target platform")
	flag.StringVar(&configFile, "config", "", "write the image config here")
	flag.Var(&buildArgs, "build-arg", "K=V")
	flag.Parse()
	if err := run(target, platform, configFile, buildArgs); err != nil {
		logrus.Fatal(err)
	}
}

func run(target, platform, configFile string, buildArgs args) error {
	df, err := io.ReadAll(os.Stdin)
	if err != nil {
		return err
	}
	caps := pb.Caps.CapSet(pb.Caps.All())
	// Like our CLI: the build platform is this machine's.
	cfg := dockerui.Config{Target: target, BuildArgs: map[string]string{}, BuildPlatforms: []ocispecs.Platform{platforms.DefaultSpec()}}
	for _, a := range buildArgs {
		k, v, _ := strings.Cut(a, "=")
		cfg.BuildArgs[k] = v
	}
	var targetPlatform *ocispecs.Platform
	if platform != "" {
		p, err := platforms.Parse(platform)
		if err != nil {
			return err
		}
		targetPlatform = &p
	}
	res, err := dockerfile2llb.Dockerfile2LLB(appcontext.Context(), df, dockerfile2llb.ConvertOpt{
		MetaResolver:   offlineResolver{},
		LLBCaps:        &caps,
		Config:         cfg,
		TargetPlatform: targetPlatform,
	})
	if err != nil {
		return err
	}
	dt, err := res.State.Marshal(context.TODO(), llb.LocalUniqueID(""))
	if err != nil {
		return err
	}
	if err := llb.WriteTo(dt, os.Stdout); err != nil {
		return err
	}
	if configFile != "" {
		b, err := json.Marshal(res.Image)
		if err != nil {
			return err
		}
		return os.WriteFile(configFile, b, 0o644)
	}
	return nil
}
