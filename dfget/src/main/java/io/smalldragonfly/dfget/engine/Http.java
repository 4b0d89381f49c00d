package io.smalldragonfly.dfget.engine;

import io.smalldragonfly.common.Version;
import io.smalldragonfly.common.tls.TrustStores;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.HostnameVerifier;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Blocking HTTP/1.1 with the JDK's keep-alive connection pool: a connection whose body was read to
 * the end and closed goes back to the pool, one that failed is {@link HttpURLConnection#disconnect()
 * disconnected}. Thread-safe; one instance per TLS configuration.
 */
final class Http {

    static final String USER_AGENT = "dfget/" + Version.CURRENT;

    static {
        // The JDK keeps 5 idle connections per destination by default; parallel piece fetches from
        // one CDN need a few more. Only applies if nobody chose a value before the pool's first use.
        if (System.getProperty("http.maxConnections") == null) {
            System.setProperty("http.maxConnections", "32");
        }
    }

    private final SSLSocketFactory sslFactory;
    private final HostnameVerifier hostnameVerifier;

    private Http(SSLSocketFactory sslFactory, HostnameVerifier hostnameVerifier) {
        this.sslFactory = sslFactory;
        this.hostnameVerifier = hostnameVerifier;
    }

    static Http plain() {
        return new Http(null, null);
    }

    /** {@code insecure} trusts every certificate; {@code cacerts} (PEM files) are trusted besides the JDK's. */
    static Http forSource(boolean insecure, List<Path> cacerts) throws IOException {
        if (!insecure && cacerts.isEmpty()) {
            return plain();
        }
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            if (insecure) {
                ctx.init(null, new TrustManager[] {new TrustAll()}, null);
                return new Http(ctx.getSocketFactory(), (h, s) -> true);
            }
            ctx.init(null, TrustStores.withExtraCas(cacerts, "--cacerts").getTrustManagers(), null);
            return new Http(ctx.getSocketFactory(), null);
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IOException("--cacerts: cannot build a TLS context (" + e.getMessage() + ")", e);
        }
    }

    HttpURLConnection open(URL url, int connectMillis, int readMillis) throws IOException {
        HttpURLConnection c = (HttpURLConnection) url.openConnection();
        if (c instanceof HttpsURLConnection https) {
            if (sslFactory != null) {
                https.setSSLSocketFactory(sslFactory);
            }
            if (hostnameVerifier != null) {
                https.setHostnameVerifier(hostnameVerifier);
            }
        }
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

    private static final class TrustAll implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
