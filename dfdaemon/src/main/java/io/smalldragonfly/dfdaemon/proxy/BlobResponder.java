package io.smalldragonfly.dfdaemon.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GenericFutureListener;
import io.smalldragonfly.common.http.ErrorMapper;
import io.smalldragonfly.common.http.HttpStatusException;
import io.smalldragonfly.common.http.ResponseWriter;
import io.smalldragonfly.common.util.Digests;
import io.smalldragonfly.common.util.RateLimiter;
import io.smalldragonfly.dfdaemon.blob.BlobRequest;
import io.smalldragonfly.dfdaemon.blob.BlobStream;
import io.smalldragonfly.dfdaemon.blob.P2pBlobFetcher.P2pUnavailableException;
import io.smalldragonfly.dfdaemon.blob.SourceStatusException;
import io.smalldragonfly.dfdaemon.upstream.HopByHop;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams one blob from the {@link BlobService} to a client, on a worker thread (a
 * {@link BlobStream} blocks in {@code read}; event loops never do).
 *
 * <p>Order and backpressure: chunks are written in order; when the client's channel is not
 * writable the worker waits for the last write to complete before reading more, so a slow client
 * slows the source and no blob is held in memory. Integrity: the sha256 is computed while
 * streaming and the last chunk (the one reaching {@code Content-Length}, or with an unknown
 * length the latest one) is held back until the end: on a digest or length mismatch it is never sent and the connection is closed, so the client sees a truncated body and retries, and
 * never receives a complete wrong blob.
 */
final class BlobResponder {

    private static final Logger log = LoggerFactory.getLogger(BlobResponder.class);

    static final int CHUNK = 64 * 1024;

    private final BlobService service;
    private final Executor workers;
    private final DfdaemonMetrics metrics;
    private final long rateLimit;

    BlobResponder(BlobService service, Executor workers, DfdaemonMetrics metrics, long rateLimit) {
        this.service = service;
        this.workers = workers;
        this.metrics = metrics;
        this.rateLimit = rateLimit;
    }

    /** Answers {@code request} on {@code ch}; runs {@code done} after a complete response, on the event loop. */
    void respond(Channel ch, BlobRequest request, boolean keepAlive, Runnable done) {
        service.fetch(request).whenComplete((fetched, error) -> {
            if (error != null) {
                HttpStatusException answer = failedBeforeStart(request, ErrorMapper.unwrap(error));
                ch.eventLoop().execute(() -> ResponseWriter.then(
                        ResponseWriter.writeTextError(ch, answer, null, keepAlive), done));
                return;
            }
            if (!ch.isActive()) {
                closeQuietly(fetched.stream());
                return;
            }
            // a client gone while the worker waits for bytes: closing the stream unblocks the read
            GenericFutureListener<Future<Void>> onClose = f -> closeQuietly(fetched.stream());
            ch.closeFuture().addListener(onClose);
            try {
                workers.execute(() -> {
                    try {
                        stream(ch, request, fetched, done);
                    } finally {
                        ch.closeFuture().removeListener(onClose);
                    }
                });
            } catch (RejectedExecutionException e) {
                closeQuietly(fetched.stream());
                ch.close();
            }
        });
    }

    /**
     * What the client is told when no byte of the blob came: the registry's own error status (and
     * its token challenge, so docker can log in), 503 when P2P is off and the registry forbidden,
     * else 502, as a gateway whose upstream failed.
     */
    private static HttpStatusException failedBeforeStart(BlobRequest request, Throwable cause) {
        String message = "blob " + BlobService.describe(request) + ": " + cause.getMessage();
        if (cause instanceof SourceStatusException s) {
            // only error statuses pass through: a blob GET answered 204 or 304 is the registry's fault
            int status = s.status() >= 400 && s.status() <= 599 ? s.status() : 502;
            HttpStatusException answer = HttpStatusException.of(status, message);
            return s.wwwAuthenticate().map(w -> answer.withHeader("WWW-Authenticate", w)).orElse(answer);
        }
        if (cause instanceof P2pUnavailableException) {
            return HttpStatusException.of(503, message);
        }
        log.warn("blob {}: cannot fetch: {}", BlobService.describe(request), cause.getMessage());
        return HttpStatusException.of(502, message);
    }

    private void stream(Channel ch, BlobRequest request, BlobService.Fetched fetched, Runnable done) {
        BlobStream blob = fetched.stream();
        String source = fetched.source();
        String what = BlobService.describe(request);
        MessageDigest sha256 = Digests.sha256();
        RateLimiter limiter = rateLimit > 0 ? new RateLimiter(rateLimit) : null;
        long expected = blob.contentLength().orElse(-1);

        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_OCTET_STREAM);
        request.digest().ifPresent(d -> head.headers().set("Docker-Content-Digest", d));
        if (expected >= 0) {
            HttpUtil.setContentLength(head, expected);
        } else {
            HttpUtil.setTransferEncodingChunked(head, true);
        }
        HopByHop.addVia(head.headers());
        ch.writeAndFlush(head);

        ByteBuf pending = null;
        long total = 0;
        byte[] buf = new byte[CHUNK];
        try (blob) {
            InputStream in = blob.body();
            while (true) {
                int n = in.read(buf, 0, CHUNK);
                if (n < 0) {
                    break;
                }
                while (n < CHUNK && in.available() > 0) {
                    int more = in.read(buf, n, CHUNK - n);
                    if (more < 0) {
                        break;
                    }
                    n += more;
                }
                if (n == 0) {
                    continue;
                }
                sha256.update(buf, 0, n);
                total += n;
                if (expected >= 0 && total > expected) {
                    abort(ch, "length_mismatch", what, source, "longer than its Content-Length " + expected);
                    return;
                }
                if (limiter != null) {
                    limiter.acquire(n);
                }
                if (pending != null) {
                    ChannelFuture w = send(ch, pending, source);
                    pending = null;
                    if (!awaitWritable(ch, w)) {
                        metrics.streamError("client_gone");
                        log.debug("blob {}: client went away", what);
                        return;
                    }
                }
                ByteBuf chunk = ch.alloc().buffer(n).writeBytes(buf, 0, n);
                if (expected >= 0 && total < expected) {
                    // not the end yet: send now, so a slow P2P piece never holds back bytes already here
                    if (!awaitWritable(ch, send(ch, chunk, source))) {
                        metrics.streamError("client_gone");
                        log.debug("blob {}: client went away", what);
                        return;
                    }
                } else {
                    // possibly the last chunk: held back until the digest is known
                    pending = chunk;
                }
            }
            if (expected >= 0 && total != expected) {
                abort(ch, "length_mismatch", what, source, "ended at " + total + " of " + expected + " bytes");
                return;
            }
            String actual = "sha256:" + Digests.hex(sha256.digest());
            if (request.digest().isPresent() && !request.digest().get().equals(actual)) {
                abort(ch, "digest_mismatch", what, source, "content is " + actual);
                return;
            }
            long sent = total;
            if (pending != null) {
                metrics.blobBytes(source, pending.readableBytes());
                ch.write(new DefaultHttpContent(pending));
                pending = null;
            }
            // counted before the client can see the end, so a client that saw it also sees the count
            metrics.blobDone(source);
            ch.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(f -> {
                if (f.isSuccess()) {
                    log.info("blob {}: {} bytes from {}", what, sent, source);
                    done.run();
                } else {
                    metrics.streamError("client_gone");
                }
            });
        } catch (IOException e) {
            // a client that left closed the stream under the reader: not the source's fault
            abort(ch, ch.isActive() ? "source_error" : "client_gone", what, source, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            abort(ch, "source_error", what, source, "interrupted");
        } finally {
            if (pending != null) {
                pending.release();
            }
        }
    }

    /** Closes the client's connection mid-body; the held-back last chunk is released by the caller. */
    private void abort(Channel ch, String kind, String what, String source, String why) {
        metrics.streamError(kind);
        if (ch.isActive()) {
            log.warn("blob {} from {}: {}; response aborted before its last byte", what, source, why);
        } else {
            log.debug("blob {} from {}: {} (client already gone)", what, source, why);
        }
        ch.close();
    }

    private ChannelFuture send(Channel ch, ByteBuf chunk, String source) {
        metrics.blobBytes(source, chunk.readableBytes());
        return ch.writeAndFlush(new DefaultHttpContent(chunk));
    }

    /** Waits for the client to take what was written; false when the client is gone. */
    private static boolean awaitWritable(Channel ch, ChannelFuture last) {
        if (!ch.isWritable()) {
            last.awaitUninterruptibly();
        }
        return ch.isActive() && (!last.isDone() || last.isSuccess());
    }

    private static void closeQuietly(BlobStream s) {
        try {
            s.close();
        } catch (IOException | RuntimeException e) {
            log.debug("closing a blob stream: {}", e.getMessage());
        }
    }
}
