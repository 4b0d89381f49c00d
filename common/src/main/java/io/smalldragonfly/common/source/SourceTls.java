package io.smalldragonfly.common.source;

import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.smalldragonfly.common.tls.TrustStores;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import javax.net.ssl.SSLContext;

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
            ctx.init(null, InsecureTrustManagerFactory.INSTANCE.getTrustManagers(), null);
            return new SourceTls(ctx, false);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("TLS: cannot build an insecure context: " + e.getMessage(), e);
        }
    }
}
