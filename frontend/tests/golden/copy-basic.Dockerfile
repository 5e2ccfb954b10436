FROM scratch
WORKDIR /app
COPY a b/ ./
COPY file /abs/file
COPY dir rel/
COPY x* sub/dir/
COPY ["with space", "json/"]
COPY "." /ctx
COPY a ""
COPY a sub/./
