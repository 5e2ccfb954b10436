FROM busybox AS base
CMD ["base-cmd"]
FROM base AS child
ENTRYPOINT ["/e"]
FROM base AS both
CMD ["c"]
ENTRYPOINT /shell-form arg
FROM both
HEALTHCHECK NONE
STOPSIGNAL 9
