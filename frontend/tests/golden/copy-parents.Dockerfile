FROM scratch
COPY --parents a/b/c /out/
COPY --parents src/./pkg/** /out2/
COPY --parents ./x/y/ /out3/
COPY --parents */*.txt /out4/
