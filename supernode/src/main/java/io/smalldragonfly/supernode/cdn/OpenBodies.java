package io.smalldragonfly.supernode.cdn;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The source bodies the CDN is reading, so that a shutdown can end their fetches: blocked source
 * reads ignore interrupts, so closing their streams is what stops the fetch threads. A stall is the
 * source client's to catch: {@code SourceHttpClient} times out every read at {@code
 * --source-timeout} and says so ({@code SourceStalledException}); a second watchdog here would only
 * race it.
 */
final class OpenBodies implements AutoCloseable {

    private final Set<Body> active = ConcurrentHashMap.newKeySet();

    /** Tracks {@code body} from now on, until the returned stream is {@link #release}d. */
    Body track(InputStream body) {
        Body w = new Body(body);
        active.add(w);
        return w;
    }

    void release(Body w) {
        active.remove(w);
    }

    /** Aborts every tracked body; the readers fail saying the supernode is stopping. */
    @Override
    public void close() {
        for (Body w : active) {
            w.aborted = "the supernode is stopping";
            active.remove(w);
            try {
                w.close();
            } catch (IOException ignored) {
                // closing wakes the blocked reader, which fails saying why; nothing else to do
            }
        }
    }

    /** A source body that, once aborted, fails its reads saying why. */
    static final class Body extends FilterInputStream {
        /** Why a shutdown closed the stream; null while it runs. */
        private volatile String aborted;

        private Body(InputStream in) {
            super(in);
        }

        /** Why the stream was aborted; null unless it was. */
        String aborted() {
            return aborted;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n;
            try {
                n = super.read(b, off, len);
            } catch (IOException e) {
                // the shutdown's close shows up as "closed"; say why it closed
                throw aborted != null ? new IOException(aborted, e) : e;
            }
            if (aborted != null) {
                throw new IOException(aborted);
            }
            return n;
        }
    }
}
