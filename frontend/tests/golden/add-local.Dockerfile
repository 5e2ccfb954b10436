FROM scratch
ADD archive.tar /extracted/
ADD --unpack=false archive.tar /kept/
COPY archive.tar /copied/
ADD a b /two/
