// Command empty-frontend is a BuildKit gateway frontend that does nothing: it connects to the
// gateway with BuildKit's own client and returns an empty result at once. Run as a gateway
// image, its build time is BuildKit's fixed cost of running any frontend image (resolving it,
// starting and stopping its container, the gateway connection): the floor under both ours
// and the reference in bench/run.sh's cached-rebuild measurement.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/frontend/gateway/grpcclient"
	"github.com/moby/buildkit/util/appcontext"
)

func main() {
	err := grpcclient.RunFromEnvironment(appcontext.Context(), func(context.Context, client.Client) (*client.Result, error) {
		return client.NewResult(), nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
