FROM scratch
ADD https://github.com/moby/buildkit.git#v0.10.1 /bk
ADD --keep-git-dir=true https://github.com/moby/buildkit.git#v0.10.1:docs /docs
ADD git@github.com:moby/buildkit.git /ssh
ADD https://github.com/moby/buildkit.git?ref=main&subdir=docs /q
