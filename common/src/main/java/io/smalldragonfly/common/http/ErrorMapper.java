package io.smalldragonfly.common.http;

import io.smalldragonfly.common.BadInputException;
import io.smalldragonfly.common.protocol.ApiResponse;
import io.smalldragonfly.common.protocol.ProtocolException;
import io.smalldragonfly.common.protocol.ResultCode;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where exceptions become HTTP responses, for every server of the project (the
 * supernode's API and CDN port, dfget's upload server and peer process, dfdaemon). By type, never
 * by message:
 * <ul>
 *   <li>{@link InBandResult}: HTTP 200 with its result code in the envelope (the protocol's
 *       in-band answers, such as 607 for a source that cannot be fetched);</li>
 *   <li>{@link HttpStatusException} (and {@link RangeNotSatisfiableException}): its status and
 *       headers;</li>
 *   <li>{@link BadInputException}, {@link ProtocolException}: 400 with the message, which says what
 *       was expected;</li>
 *   <li>anything else is a bug: a bare 500 that leaks nothing, logged with its stack trace.</li>
 * </ul>
 * The body is the JSON {@link ApiResponse} envelope ({@link #toResponse}) for the JSON servers, or
 * the message as one line of text ({@link #toText}) for dfdaemon and the peer process's control
 * port; status and headers are the same either way.
 * Clients' mistakes are logged as one INFO line at most every {@link #LOG_EVERY_NANOS} (with how
 * many were not logged), bugs with a stack trace at the same pace: a flood of bad requests must
 * not become a flood of log.
 */
public final class ErrorMapper {

    private static final Logger log = LoggerFactory.getLogger(ErrorMapper.class);
    static final long LOG_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final LogPace CLIENT_ERRORS = new LogPace();
    private static final LogPace BUGS = new LogPace();

    private ErrorMapper() {}

    /** {@code error} as the JSON envelope; {@code request} may be null (not decoded yet), it is only logged. */
    public static Response toResponse(Throwable error, Request request) {
        Mapped m = map(error, request);
        return withHeaders(Response.json(m.status(), ApiResponse.of(m.code(), m.message())), m.headers());
    }

    /** {@code error} as a line of plain text, for servers that do not speak the JSON envelope. */
    public static Response toText(Throwable error, Request request) {
        Mapped m = map(error, request);
        return withHeaders(Response.text(m.status(), m.message() + "\n"), m.headers());
    }

    private record Mapped(int status, ResultCode code, String message, Map<String, String> headers) {}

    private static Mapped map(Throwable error, Request request) {
        Throwable t = unwrap(error);
        if (t instanceof InBandResult in) {
            // the protocol carries these with HTTP 200, as the original supernode does
            return new Mapped(200, in.code(), in.getMessage(), Map.of());
        }
        if (t instanceof HttpStatusException hse) {
            // a deliberate answer (404, 503 busy, ...), not a bug: the thrower logs what matters
            return new Mapped(hse.status(), hse.resultCode(), hse.getMessage(), hse.headers());
        }
        if (t instanceof BadInputException || t instanceof ProtocolException) {
            long skipped = CLIENT_ERRORS.due();
            if (skipped >= 0) {
                log.info("bad request {} {}: {}{}", method(request), path(request), t.getMessage(),
                        skipped == 0 ? "" : " (" + skipped + " more bad requests not logged)");
            }
            return new Mapped(400, ResultCode.PARAM_ERROR, t.getMessage(), Map.of());
        }
        logBug(t, request);
        return new Mapped(500, ResultCode.SYSTEM_ERROR, "internal error", Map.of());
    }

    private static Response withHeaders(Response r, Map<String, String> headers) {
        for (Map.Entry<String, String> h : headers.entrySet()) {
            r = r.withHeader(h.getKey(), h.getValue());
        }
        return r;
    }

    private static void logBug(Throwable t, Request request) {
        long skipped = BUGS.due();
        if (skipped >= 0) {
            log.error("unexpected error serving {} {}{}", method(request), path(request),
                    skipped == 0 ? "" : " (" + skipped + " more not logged)", t);
        }
    }

    private static String method(Request r) {
        return r == null ? "?" : r.method();
    }

    private static String path(Request r) {
        // the decoded path only: query strings may carry credentials (signed URLs)
        return r == null ? "?" : r.path();
    }

    public static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** At most one log line per period; counts the lines it held back. */
    private static final class LogPace {
        private final AtomicLong next = new AtomicLong(Long.MIN_VALUE);
        private final AtomicLong held = new AtomicLong();

        /** @return -1 when not due, else the number of lines held back since the last one */
        long due() {
            long now = System.nanoTime();
            long n = next.get();
            if ((n == Long.MIN_VALUE || now - n >= 0) && next.compareAndSet(n, now + LOG_EVERY_NANOS)) {
                return held.getAndSet(0);
            }
            held.incrementAndGet();
            return -1;
        }
    }
}
