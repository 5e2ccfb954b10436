FROM scratch
ADD https://example.com/file.tar.gz /dl/
ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.com/a/b.txt /b.txt
ADD --chmod=755 http://example.com/ /unnamed
ADD --unpack=true https://example.com/x.tar /x/
ADD https://example.com/q?x=1 /q
