# Our frontend as a BuildKit gateway image: one static binary, nothing else.
FROM scratch
COPY dockerfile-frontend /bin/dockerfile-frontend
LABEL moby.buildkit.frontend.network.none="true"
ENTRYPOINT ["/bin/dockerfile-frontend"]
# BuildKit's own image also declares moby.buildkit.frontend.caps (inputs, subrequests, contexts,
# ...): add that label here once our frontend supports those features.
