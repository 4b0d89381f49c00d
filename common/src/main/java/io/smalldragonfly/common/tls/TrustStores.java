package io.smalldragonfly.common.tls;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * Whom the three binaries trust when they fetch from https sources and registries: the JVM's CAs
 * plus CA certificates the operator names in PEM files (dfget's {@code --cacerts}, dfdaemon's
 * {@code --registry-ca}, the supernode's {@code --source-ca}).
 */
public final class TrustStores {

    private TrustStores() {}

    /**
     * The JVM's default CAs plus every certificate in {@code pemFiles}.
     *
     * @param what the option the files came from, for the error message
     * @throws IllegalArgumentException when a file is unreadable or holds no certificate
     */
    public static TrustManagerFactory withExtraCas(List<Path> pemFiles, String what) {
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            TrustManagerFactory jvm = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            jvm.init((KeyStore) null);
            int i = 0;
            for (TrustManager tm : jvm.getTrustManagers()) {
                if (tm instanceof X509TrustManager x) {
                    for (X509Certificate c : x.getAcceptedIssuers()) {
                        store.setCertificateEntry("jvm-" + i++, c);
                    }
                }
            }
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            for (Path pem : pemFiles) {
                Collection<? extends Certificate> certs;
                try (InputStream in = Files.newInputStream(pem)) {
                    certs = cf.generateCertificates(in);
                } catch (IOException | CertificateException e) {
                    throw new IllegalArgumentException(what + ": cannot read '" + pem + "' (" + e.getMessage()
                            + "); expected a PEM file of CA certificates");
                }
                if (certs.isEmpty()) {
                    throw new IllegalArgumentException(what + ": '" + pem + "' holds no certificate (expected PEM)");
                }
                for (Certificate c : certs) {
                    store.setCertificateEntry("extra-" + i++, c);
                }
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            return tmf;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException(what + ": cannot build the trust store: " + e.getMessage(), e);
        }
    }

    /** A TLS client context trusting the JVM's CAs plus {@code pemFiles}. */
    public static SSLContext clientContext(List<Path> pemFiles, String what) {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, withExtraCas(pemFiles, what).getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(what + ": cannot build a TLS context: " + e.getMessage(), e);
        }
    }
}
