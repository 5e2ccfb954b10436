//! The gateway's transport: BuildKit starts the frontend with the gRPC connection on its
//! stdin (responses) and stdout (requests); the frontend is the HTTP/2 client.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

type Reader = Pin<Box<dyn AsyncRead + Send>>;
type Writer = Pin<Box<dyn AsyncWrite + Send>>;

pub struct StdioStream {
    reader: Reader,
    writer: Writer,
}

impl StdioStream {
    /// Pipes are driven by the reactor; anything else (a file, a tty) falls back to tokio's blocking stdio.
    pub fn new() -> io::Result<Self> {
        use tokio::net::unix::pipe;
        let reader: Reader = match pipe::Receiver::from_file(std::fs::File::from(dup_fd(0)?)) {
            Ok(r) => Box::pin(r),
            Err(_) => Box::pin(tokio::io::stdin()),
        };
        let writer: Writer = match pipe::Sender::from_file(std::fs::File::from(dup_fd(1)?)) {
            Ok(w) => Box::pin(w),
            Err(_) => Box::pin(tokio::io::stdout()),
        };
        Ok(StdioStream { reader, writer })
    }
}

/// A new descriptor for stdin/stdout, so the stream owns (and closes) its own copy.
fn dup_fd(fd: i32) -> io::Result<std::os::fd::OwnedFd> {
    use std::os::fd::AsFd;
    match fd {
        0 => io::stdin().as_fd().try_clone_to_owned(),
        _ => io::stdout().as_fd().try_clone_to_owned(),
    }
}

impl AsyncRead for StdioStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.reader.as_mut().poll_read(cx, buf)
    }
}

impl AsyncWrite for StdioStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.writer.as_mut().poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.writer.as_mut().poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.writer.as_mut().poll_shutdown(cx)
    }
}
