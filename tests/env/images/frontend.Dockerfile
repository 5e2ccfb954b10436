# Our frontend as a BuildKit gateway image: one static binary, nothing else.
FROM scratch
COPY dockerfile-frontend /bin/dockerfile-frontend
LABEL moby.buildkit.frontend.network.none="true"
# The capabilities clients may ask for (`frontend.caps`), as gateway/bridge.rs lists them
# (FRONTEND_CAPS). BuildKit's own image also declares inputs, contexts, ...: add them here once
# our frontend supports them.
LABEL moby.buildkit.frontend.caps="moby.buildkit.frontend.subrequests,moby.buildkit.frontend.gitquerystring"
ENTRYPOINT ["/bin/dockerfile-frontend"]
