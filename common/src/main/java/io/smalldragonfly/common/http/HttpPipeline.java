package io.smalldragonfly.common.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.timeout.IdleStateHandler;

/**
 * The HTTP chain every server of the project starts its pipeline with, so the servers differ in
 * their parameters and their own handlers only:
 * {@value #IDLE} ({@link IdleStateHandler}) → {@value #IDLE_CLOSE} ({@link IdleCloseHandler}) →
 * {@value #CODEC} ({@link HttpServerCodec}) → {@value #KEEP_ALIVE} ({@link HttpServerKeepAliveHandler},
 * optional) → {@value #AGGREGATOR} ({@link HttpObjectAggregator}, optional; it answers 413 past its
 * limit) → {@value #IN_ORDER} ({@link InOrderResponses}, optional). A server's initializer calls
 * {@link #addTo} and then adds its handlers after these. Handler names are constants, since some
 * handlers rework the pipeline (the proxy's CONNECT tunnel removes the HTTP handlers).
 *
 * <p>An immutable value: {@code HttpPipeline.idleSeconds(120).aggregate(1 << 20).inOrderResponses()}.
 *
 * @param idleSeconds      a connection with no read or write for this long is closed
 * @param maxInitialLine   longest request line, bytes (longer: the request fails to decode, 400)
 * @param maxHeaderBytes   largest header block, bytes
 * @param maxChunkBytes    largest piece of content the codec hands on at once
 * @param maxBodyBytes     aggregate requests into full ones up to this body size; negative: no aggregator
 * @param keepAliveHandler whether Netty's keep-alive handler tracks persistence (a handler whose
 *                         answers end in file regions may close by {@link ResponseWriter#end} alone)
 * @param inOrder          whether pipelined requests wait for the previous answer ({@link InOrderResponses})
 * @param onDemandReads    {@code AUTO_READ} off: the server's last handler asks for each request itself
 */
public record HttpPipeline(int idleSeconds, int maxInitialLine, int maxHeaderBytes, int maxChunkBytes,
                           int maxBodyBytes, boolean keepAliveHandler, boolean inOrder, boolean onDemandReads) {

    public static final String IDLE = "idle";
    public static final String IDLE_CLOSE = "idleClose";
    public static final String CODEC = "codec";
    public static final String KEEP_ALIVE = "keepAlive";
    public static final String AGGREGATOR = "aggregator";
    public static final String IN_ORDER = "inOrder";

    /** Netty's codec defaults: 4 KiB request line, 8 KiB headers, 8 KiB chunks. */
    private static final int DEFAULT_INITIAL_LINE = 4096;
    private static final int DEFAULT_HEADER_BYTES = 8192;
    private static final int DEFAULT_CHUNK_BYTES = 8192;

    public HttpPipeline {
        if (idleSeconds <= 0) {
            throw new IllegalArgumentException("idleSeconds: " + idleSeconds + " (expected > 0)");
        }
    }

    /** Codec defaults, keep-alive handler, no aggregator, no in-order queue, auto-read. */
    public static HttpPipeline idleSeconds(int idleSeconds) {
        return new HttpPipeline(idleSeconds, DEFAULT_INITIAL_LINE, DEFAULT_HEADER_BYTES, DEFAULT_CHUNK_BYTES,
                -1, true, false, false);
    }

    public HttpPipeline limits(int maxInitialLine, int maxHeaderBytes, int maxChunkBytes) {
        return new HttpPipeline(idleSeconds, maxInitialLine, maxHeaderBytes, maxChunkBytes, maxBodyBytes,
                keepAliveHandler, inOrder, onDemandReads);
    }

    public HttpPipeline aggregate(int maxBodyBytes) {
        return new HttpPipeline(idleSeconds, maxInitialLine, maxHeaderBytes, maxChunkBytes, maxBodyBytes,
                keepAliveHandler, inOrder, onDemandReads);
    }

    public HttpPipeline withoutKeepAliveHandler() {
        return new HttpPipeline(idleSeconds, maxInitialLine, maxHeaderBytes, maxChunkBytes, maxBodyBytes,
                false, inOrder, onDemandReads);
    }

    public HttpPipeline inOrderResponses() {
        return new HttpPipeline(idleSeconds, maxInitialLine, maxHeaderBytes, maxChunkBytes, maxBodyBytes,
                keepAliveHandler, true, onDemandReads);
    }

    public HttpPipeline readOnDemand() {
        return new HttpPipeline(idleSeconds, maxInitialLine, maxHeaderBytes, maxChunkBytes, maxBodyBytes,
                keepAliveHandler, inOrder, true);
    }

    /** Adds the chain to {@code ch}'s pipeline; the caller adds its own handlers after it. */
    public ChannelPipeline addTo(Channel ch) {
        if (onDemandReads) {
            ch.config().setOption(ChannelOption.AUTO_READ, false);
        }
        ChannelPipeline p = ch.pipeline();
        p.addLast(IDLE, new IdleStateHandler(0, 0, idleSeconds));
        p.addLast(IDLE_CLOSE, IdleCloseHandler.INSTANCE);
        p.addLast(CODEC, new HttpServerCodec(maxInitialLine, maxHeaderBytes, maxChunkBytes));
        if (keepAliveHandler) {
            p.addLast(KEEP_ALIVE, new HttpServerKeepAliveHandler());
        }
        if (maxBodyBytes >= 0) {
            p.addLast(AGGREGATOR, new HttpObjectAggregator(maxBodyBytes));
        }
        if (inOrder) {
            p.addLast(IN_ORDER, new InOrderResponses());
        }
        return p;
    }
}
