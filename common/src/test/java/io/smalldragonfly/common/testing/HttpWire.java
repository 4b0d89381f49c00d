package io.smalldragonfly.common.testing;

import io.netty.buffer.ByteBuf;
import io.netty.channel.FileRegion;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 responses as a client sees them on the wire: what a server pipeline wrote (bytes and
 * file regions, in order) or what a socket delivered, cut into status, headers and a
 * Content-Length body. A response without a status line where one must start is a parse error:
 * that is what pipelining bugs look like from outside.
 */
public final class HttpWire {

    private HttpWire() {}

    public record Answer(int status, Map<String, String> headers, byte[] body) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

        /**
     * Runs {@code ch}'s tasks until it closes (within {@code timeout}) and returns every byte it
     * wrote: a pipeline whose answers are paced by scheduled tasks (rate limits, in-order queues).
     */
    public static byte[] drainUntilClosed(EmbeddedChannel ch, java.time.Duration timeout) {
        java.io.ByteArrayOutputStream wire = new java.io.ByteArrayOutputStream();
        try {
            org.awaitility.Awaitility.await().atMost(timeout).pollDelay(java.time.Duration.ZERO)
                    .pollInterval(java.time.Duration.ofMillis(5)).until(() -> {
                        ch.runPendingTasks();
                        ch.runScheduledPendingTasks();
                        wire.writeBytes(outboundBytes(ch));
                        return !ch.isOpen();
                    });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            // the caller's assertion on isOpen() says what was expected
        }
        wire.writeBytes(outboundBytes(ch));
        return wire.toByteArray();
    }

/** Everything an {@link EmbeddedChannel} with an HTTP codec wrote so far, as bytes. */
    public static byte[] outboundBytes(EmbeddedChannel ch) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object m; (m = ch.readOutbound()) != null; ) {
            try {
                if (m instanceof ByteBuf b) {
                    b.getBytes(b.readerIndex(), out, b.readableBytes());
                } else if (m instanceof FileRegion r) {
                    long done = 0;
                    var sink = Channels.newChannel(out);
                    while (done < r.count()) {
                        done += r.transferTo(sink, done);
                    }
                } else {
                    throw new IllegalStateException("unexpected outbound message " + m.getClass().getName()
                            + " (expected bytes after an HTTP codec)");
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                ReferenceCountUtil.release(m);
            }
        }
        return out.toByteArray();
    }

    /** Cuts a byte stream into responses; the stream must hold only whole responses. */
    public static List<Answer> parse(byte[] wire) {
        List<Answer> answers = new ArrayList<>();
        int pos = 0;
        while (pos < wire.length) {
            int end = indexOf(wire, pos, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            if (end < 0) {
                throw new IllegalStateException("response " + answers.size() + " at byte " + pos
                        + ": no end of headers (expected a status line and headers)");
            }
            String head = new String(wire, pos, end - pos, StandardCharsets.ISO_8859_1);
            String[] lines = head.split("\r\n");
            if (!lines[0].startsWith("HTTP/1.1 ")) {
                throw new IllegalStateException("response " + answers.size() + " at byte " + pos + " starts with '"
                        + lines[0].substring(0, Math.min(40, lines[0].length())) + "' (expected a status line)");
            }
            Map<String, String> headers = new LinkedHashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
            }
            int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
            int bodyStart = end + 4;
            if (bodyStart + length > wire.length) {
                throw new IllegalStateException("response " + answers.size() + ": body of " + (wire.length - bodyStart)
                        + " bytes (expected " + length + ")");
            }
            byte[] body = java.util.Arrays.copyOfRange(wire, bodyStart, bodyStart + length);
            answers.add(new Answer(Integer.parseInt(lines[0].substring(9, 12)), headers, body));
            pos = bodyStart + length;
        }
        return answers;
    }

    /** Reads a socket's stream to its end, {@code chunk} bytes at a time with a pause between reads: a slow reader. */
    public static byte[] readSlowly(InputStream in, int chunk, long pauseMillis) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[chunk];
        for (int n; (n = in.read(buf)) >= 0; ) {
            out.write(buf, 0, n);
            if (pauseMillis > 0) {
                try {
                    Thread.sleep(pauseMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", e);
                }
            }
        }
        return out.toByteArray();
    }

    private static int indexOf(byte[] a, int from, byte[] what) {
        outer:
        for (int i = from; i <= a.length - what.length; i++) {
            for (int j = 0; j < what.length; j++) {
                if (a[i + j] != what[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
