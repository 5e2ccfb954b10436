FROM scratch
ADD --checksum=0123456789abcdef0123456789abcdef01234567 https://github.com/moby/buildkit.git#v0.10.1 /sum
ADD https://github.com/moby/buildkit.git?tag=v0.10.1&submodules=false&keep-git-dir=true /q
ADD git://example.com/repo#main:sub/dir /gitproto
ADD ssh://git@example.com:2222/repo.git /sshurl
ADD https://user@example.com/repo.git?branch=dev&fetch-by-commit /branch
ADD --keep-git-dir=false https://example.com/r.git?commit=0123456789abcdef0123456789abcdef01234567 /commit
