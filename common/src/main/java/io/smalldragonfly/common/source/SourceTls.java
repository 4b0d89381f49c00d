package io.smalldragonfly.common.source;

import io.smalldragonfly.common.tls.TrustStores;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Whom an https source must prove itself to: a TLS context (its trust managers) and whether the
 * certificate must name the host. The caller decides; the client only applies it.
 */
public record SourceTls(SSLContext context, boolean verifyHostname) {

    /** The JVM's CAs, host name checked. */
    public static SourceTls jvmDefault() {
        try {
            return new SourceTls(SSLContext.getDefault(), true);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("TLS: the JVM has no default context: " + e.getMessage(), e);
        }
    }

    /**
     * The JVM's CAs plus the PEM files {@code cas}, host name checked.
     *
     * @param what the option that named the files, for error messages
     * @throws IllegalArgumentException when a file is missing or holds no certificate
     */
    public static SourceTls withExtraCas(List<Path> cas, String what) {
        return cas.isEmpty() ? jvmDefault() : new SourceTls(TrustStores.clientContext(cas, what), true);
    }

    /** Any certificate, any host ({@code --insecure}): encryption without authentication. */
    public static SourceTls insecure() {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[] {new TrustAll()}, null);
            return new SourceTls(ctx, false);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("TLS: cannot build an insecure context: " + e.getMessage(), e);
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
