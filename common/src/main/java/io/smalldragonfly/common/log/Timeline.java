package io.smalldragonfly.common.log;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.FileAppender;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Timeline events for bench/timeline.sh: one line per step of a download (registered, polled,
 * piece fetched, verified, reported, published by the CDN...) in {@code <logs>/timeline.log},
 * only when {@code SMALL_DRAGONFLY_TIMELINE=1} (or {@code -Dsmalldragonfly.timeline=true}). Off,
 * an event is one volatile read: the file is not even created.
 *
 * <p>A line is {@code <epoch µs> <process> <thread> <event> key=value...}; the keys are
 * {@code task cid piece src bytes} (absent ones omitted) and an optional free {@code key=value}
 * detail. Times come from {@link System#nanoTime()} anchored once to the wall clock, so they are
 * monotonic within a process and comparable across processes of one host to about a millisecond.
 */
public final class Timeline {

    public static final String ENV = "SMALL_DRAGONFLY_TIMELINE";
    public static final String PROPERTY = "smalldragonfly.timeline";
    /** The logger's name; {@link #configure} routes it to its own file. */
    public static final String LOGGER = "timeline";

    private static final Logger log = LoggerFactory.getLogger(LOGGER);
    private static final long EPOCH_NANOS_MINUS_NANOTIME;

    static {
        // The pair of readings least likely to straddle a preemption (a loaded host deschedules
        // threads for tens of milliseconds): the one with the shortest nanoTime bracket.
        long best = Long.MAX_VALUE;
        long offset = 0;
        for (int i = 0; i < 5; i++) {
            long before = System.nanoTime();
            Instant now = Instant.now();
            long after = System.nanoTime();
            if (after - before < best) {
                best = after - before;
                offset = now.getEpochSecond() * 1_000_000_000L + now.getNano() - (before + (after - before) / 2);
            }
        }
        EPOCH_NANOS_MINUS_NANOTIME = offset;
    }

    private static volatile boolean enabled = fromEnvironment();

    private Timeline() {}

    private static boolean fromEnvironment() {
        String p = System.getProperty(PROPERTY);
        String v = p != null ? p : System.getenv(ENV);
        return v != null && (v.equals("1") || v.equalsIgnoreCase("true") || v.equalsIgnoreCase("on"));
    }

    public static boolean enabled() {
        return enabled;
    }

    /** Switches events on or off (tests, embedders); the file appender comes with {@link Logging#configure}. */
    public static void enable(boolean on) {
        enabled = on;
    }

    /** Wall-clock microseconds since the epoch, on this process's monotonic clock. */
    public static long nowMicros() {
        return (System.nanoTime() + EPOCH_NANOS_MINUS_NANOTIME) / 1000;
    }

    /**
     * Adds the timeline's file appender ({@code <dir>/timeline.log}, logger {@value #LOGGER} only) to a
     * context configured by {@link Logging}, when enabled; a disabled run creates no file. Several
     * processes of one home may append to the same file: each event is one write to a file opened
     * for append.
     */
    static void configure(LoggerContext ctx, String dir, String processName) {
        if (!enabled) {
            return;
        }
        FileAppender<ILoggingEvent> file = new FileAppender<>();
        file.setContext(ctx);
        file.setName("TIMELINE");
        file.setFile(dir + "/timeline.log");
        file.setAppend(true);
        file.setEncoder(Logging.encoder(ctx, "%msg proc=" + processName + " pid=" + ProcessHandle.current().pid()
                + " thread=%replace(%thread){'\\s','_'}%n"));
        file.start();
        ch.qos.logback.classic.Logger logger = ctx.getLogger(LOGGER);
        logger.setLevel(Level.INFO);
        logger.setAdditive(false);
        logger.addAppender(file);
    }

    /** An event of a task as a whole ({@code cid} the peer it concerns, or null). */
    public static void event(String event, String task, String cid) {
        if (enabled) {
            write(event, task, cid, -1, null, -1, null);
        }
    }

    /** An event with a free {@code key=value ...} detail (no spaces inside a value). */
    public static void event(String event, String task, String cid, String detail) {
        if (enabled) {
            write(event, task, cid, -1, null, -1, detail);
        }
    }

    /** An event with one numeric detail {@code key=value}: nothing is built unless enabled. */
    public static void event(String event, String task, String cid, String key, long value) {
        if (enabled) {
            write(event, task, cid, -1, null, -1, key + "=" + value);
        }
    }

    /**
     * An event of one piece.
     *
     * @param src   the other side: the holder a piece comes from, or null
     * @param bytes the piece's bytes when known, else -1
     */
    public static void piece(String event, String task, String cid, int piece, String src, long bytes) {
        if (enabled) {
            write(event, task, cid, piece, src, bytes, null);
        }
    }

    public static void piece(String event, String task, String cid, int piece, String src, long bytes,
                             String detail) {
        if (enabled) {
            write(event, task, cid, piece, src, bytes, detail);
        }
    }

    static String format(long micros, String event, String task, String cid, int piece, String src, long bytes,
                         String detail) {
        StringBuilder b = new StringBuilder(160).append(micros).append(' ').append(event);
        if (task != null) {
            b.append(" task=").append(task);
        }
        if (cid != null) {
            b.append(" cid=").append(cid);
        }
        if (piece >= 0) {
            b.append(" piece=").append(piece);
        }
        if (src != null) {
            b.append(" src=").append(src);
        }
        if (bytes >= 0) {
            b.append(" bytes=").append(bytes);
        }
        if (detail != null && !detail.isEmpty()) {
            b.append(' ').append(detail);
        }
        return b.toString();
    }

    private static void write(String event, String task, String cid, int piece, String src, long bytes,
                              String detail) {
        log.info(format(nowMicros(), event, task, cid, piece, src, bytes, detail));
    }
}
