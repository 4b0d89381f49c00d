package io.smalldragonfly.dfget.peer;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;
import io.smalldragonfly.common.http.HttpStatusException;
import io.smalldragonfly.common.http.ResponseWriter;
import io.smalldragonfly.dfget.engine.Download;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /client/run} on the peer process's port ({@link PeerCli}): a thin dfget's command
 * line, run here by the {@link PeerCli.Runner} on a thread of its own, its output streamed back as
 * frames. The client closing the connection (Ctrl-C, kill) cancels its download; the files stay for
 * a resume. Only local clients that know the home's token (from its state file, readable by the
 * home's owner alone) may run commands: the port is also the one other peers fetch pieces from.
 * Other requests go on down the pipeline.
 */
public final class RunHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    private static final Logger log = LoggerFactory.getLogger(RunHandler.class);

    static final String CONTENT_TYPE = "application/x-dfget-frames";
    static final long HEARTBEAT_MILLIS = 1000;

    private final PeerDownloads downloads;

    public RunHandler(PeerDownloads downloads) {
        super(false);
        this.downloads = downloads;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest msg) {
        String uri = msg.uri();
        if (!(uri.equals(PeerCli.PATH) || uri.startsWith(PeerCli.PATH + "?")) || msg.decoderResult().isFailure()) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            serve(ctx, msg);
        } finally {
            msg.release();
        }
    }

    private void serve(ChannelHandlerContext ctx, FullHttpRequest msg) {
        if (!msg.method().equals(HttpMethod.POST)) {
            refuse(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, "method: " + msg.method() + " (expected POST)");
            return;
        }
        if (!(ctx.channel().remoteAddress() instanceof InetSocketAddress a) || !a.getAddress().isLoopbackAddress()) {
            refuse(ctx, HttpResponseStatus.FORBIDDEN, "commands are taken from this host only");
            return;
        }
        String token = msg.headers().get(PeerCli.TOKEN_HEADER);
        if (token == null || !MessageDigest.isEqual(token.getBytes(StandardCharsets.UTF_8),
                downloads.token().getBytes(StandardCharsets.UTF_8))) {
            refuse(ctx, HttpResponseStatus.FORBIDDEN, PeerCli.TOKEN_HEADER + ": missing or wrong (expected the token in "
                    + "the home's state file)");
            return;
        }
        PeerCli.Runner runner = downloads.runner();
        if (runner == null) {
            refuse(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE, "the peer process is still starting");
            return;
        }
        PeerCli.Request request;
        try {
            request = PeerCli.decode(ByteBufUtil.getBytes(msg.content()));
        } catch (IllegalArgumentException e) {
            refuse(ctx, HttpResponseStatus.BAD_REQUEST, "body: " + e.getMessage());
            return;
        }
        Session session = new Session(ctx);
        try {
            downloads.commands().execute(() -> run(runner, request, session));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            refuse(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE, "the peer process is stopping");
        }
    }

    private static void run(PeerCli.Runner runner, PeerCli.Request request, Session session) {
        int code;
        try {
            code = runner.run(request, session);
        } catch (RuntimeException | Error e) {
            log.error("command {} failed unexpectedly", request.args(), e);
            session.err().println("dfget: " + e);
            code = 1;
        }
        session.end(code);
    }

    /** A refused request: its status and a line of text; the connection closes. */
    private static void refuse(ChannelHandlerContext ctx, HttpResponseStatus status, String message) {
        ResponseWriter.writeTextError(ctx, HttpStatusException.of(status.code(), message), null, false);
    }

    /**
     * One client's answer. The 200 head goes out with the first frame, so that a command line of
     * another home can still be answered 409.
     */
    private static final class Session implements PeerCli.Session {
        private final ChannelHandlerContext ctx;
        private final PrintWriter out = writer(PeerCli.STDOUT);
        private final PrintWriter err = writer(PeerCli.STDERR);
        private boolean headSent;
        private ScheduledFuture<?> heartbeat;

        Session(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }

        private PrintWriter writer(byte type) {
            OutputStream frames = new OutputStream() {
                private final java.io.ByteArrayOutputStream pending = new java.io.ByteArrayOutputStream();

                @Override
                public synchronized void write(int b) {
                    pending.write(b);
                }

                @Override
                public synchronized void write(byte[] b, int off, int len) {
                    pending.write(b, off, len);
                }

                @Override
                public synchronized void flush() {
                    if (pending.size() > 0) {
                        send(PeerCli.frame(type, pending.toByteArray()));
                        pending.reset();
                    }
                }
            };
            return new PrintWriter(new OutputStreamWriter(frames, StandardCharsets.UTF_8), false);
        }

        @Override
        public PrintWriter out() {
            return out;
        }

        @Override
        public PrintWriter err() {
            return err;
        }

        @Override
        public void running(Download d, String stdoutIfGone, String stderrIfGone) {
            send(PeerCli.frame(PeerCli.IF_GONE, PeerCli.ifGone(stdoutIfGone, stderrIfGone)));
            ctx.channel().closeFuture().addListener(f -> {
                if (!d.result().isDone()) {
                    log.info("the client of {} went away; cancelling the download (its files stay for a resume)",
                            d.request().output());
                    d.cancel();
                }
            });
            synchronized (this) {
                heartbeat = ctx.executor().scheduleAtFixedRate(() -> send(PeerCli.frame(PeerCli.HEARTBEAT, new byte[0])),
                        HEARTBEAT_MILLIS, HEARTBEAT_MILLIS, TimeUnit.MILLISECONDS);
            }
        }

        private synchronized void send(byte[] frame) {
            if (!ctx.channel().isActive()) {
                return;
            }
            if (!headSent) {
                HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                head.headers().set(HttpHeaderNames.CONTENT_TYPE, CONTENT_TYPE);
                // Neither a length nor chunks: the body is the frames until the connection closes,
                // which is all the thin client reads (ThinClient.forward).
                head.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                ctx.write(head);
                headSent = true;
            }
            ctx.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(frame)));
        }

        /** The command returned {@code code}: flush its output, send the exit frame, close. */
        void end(int code) {
            synchronized (this) {
                if (heartbeat != null) {
                    heartbeat.cancel(false);
                }
                if (code == PeerCli.NOT_THIS_HOME && !headSent) {
                    refuse(ctx, HttpResponseStatus.CONFLICT, "the command line names another home than this peer "
                            + "process's");
                    return;
                }
            }
            // not under this session's lock: a writer's flush takes its own lock, then this one
            out.flush();
            err.flush();
            synchronized (this) {
                send(PeerCli.exitFrame(code == PeerCli.NOT_THIS_HOME ? 1 : code));
                if (ctx.channel().isActive()) {
                    ResponseWriter.end(ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT), false);
                }
            }
        }
    }
}
