package io.smalldragonfly.common.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrustStoresTest {

    @TempDir
    Path dir;

    @Test
    void keepsTheJvmCasAndAddsTheFilesOnes() throws Exception {
        X509Certificate[] jvm = issuers(jvmTrust());
        X509Certificate one = jvm[0];
        Path pem = Files.writeString(dir.resolve("ca.pem"), "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(one.getEncoded())
                + "\n-----END CERTIFICATE-----\n");
        X509Certificate[] extended = issuers(TrustStores.withExtraCas(List.of(pem), "--source-ca"));
        assertThat(extended.length).isGreaterThanOrEqualTo(jvm.length);
        assertThat(Arrays.asList(extended)).contains(one);
        assertThat(TrustStores.clientContext(List.of(pem), "--source-ca").getProtocol()).isEqualTo("TLS");
    }

    @Test
    void unreadableOrEmptyFilesSayWhatWasExpected() throws Exception {
        assertThatThrownBy(() -> TrustStores.withExtraCas(List.of(dir.resolve("missing.pem")), "--source-ca"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("--source-ca: cannot read")
                .hasMessageContaining("expected a PEM file");
        Path empty = Files.writeString(dir.resolve("empty.pem"), "no certificate here\n");
        assertThatThrownBy(() -> TrustStores.withExtraCas(List.of(empty), "--registry-ca"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("--registry-ca:")
                .hasMessageContaining("expected");
    }

    private static TrustManagerFactory jvmTrust() throws Exception {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init((KeyStore) null);
        return tmf;
    }

    private static X509Certificate[] issuers(TrustManagerFactory tmf) {
        return Arrays.stream(tmf.getTrustManagers()).filter(X509TrustManager.class::isInstance)
                .map(X509TrustManager.class::cast).findFirst().orElseThrow().getAcceptedIssuers();
    }
}
