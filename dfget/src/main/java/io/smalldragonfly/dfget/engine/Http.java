package io.smalldragonfly.dfget.engine;

import io.smalldragonfly.common.Version;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URL;

/**
 * Blocking HTTP/1.1 to supernodes and peers (not to sources: those go through the one source
 * client, {@code common.source.SourceHttpClient}) with the JDK's keep-alive connection pool: a
 * connection whose body was read to the end and closed goes back to the pool, one that failed is
 * {@link HttpURLConnection#disconnect() disconnected}. Thread-safe.
 */
final class Http {

    static final String USER_AGENT = "dfget/" + Version.CURRENT;

    static {
        // The JDK keeps 5 idle connections per destination by default. One download fetches up to 4
        // pieces at once, but dfdaemon runs several blob downloads through one engine, all from the
        // same CDN and peers: past 5, every piece would open a new connection. Only applies if
        // nobody chose a value before the pool's first use.
        if (System.getProperty("http.maxConnections") == null) {
            System.setProperty("http.maxConnections", "32");
        }
    }

    private static final Http PLAIN = new Http();

    private Http() {}

    static Http plain() {
        return PLAIN;
    }

    HttpURLConnection open(URL url, int connectMillis, int readMillis) throws IOException {
        HttpURLConnection c = (HttpURLConnection) url.openConnection();
        c.setConnectTimeout(connectMillis);
        c.setReadTimeout(readMillis);
        c.setUseCaches(false);
        c.setRequestProperty("User-Agent", USER_AGENT);
        return c;
    }

    /** Reads and discards what is left of a response so its connection can be reused. */
    static void drainQuietly(HttpURLConnection c) {
        try (InputStream in = c.getResponseCode() >= 400 ? c.getErrorStream() : c.getInputStream()) {
            if (in != null) {
                in.transferTo(java.io.OutputStream.nullOutputStream());
            }
        } catch (IOException e) {
            c.disconnect();
        }
    }
}
