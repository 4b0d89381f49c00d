package io.smalldragonfly.supernode.cdn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import io.smalldragonfly.common.protocol.ResultCode;
import io.smalldragonfly.common.testing.TestOrigin;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Source bodies over https (they are read on a socket of the CDN's own, not through the JDK client):
 * the certificate is checked against the JVM's CAs plus {@code --source-ca}, and against the host.
 */
class SourceClientTlsTest {

    static final byte[] CONTENT = TestOrigin.content(3_000_000, 11);

    @TempDir
    Path dir;

    HttpsServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    /** An https origin whose certificate a fresh CA issued for {@code sanIp} / {@code sanDns}; returns the CA's PEM. */
    Path start(String sanDns) throws Exception {
        X509Bundle ca = new CertificateBuilder().subject("CN=source test CA").setIsCertificateAuthority(true)
                .ecp256().buildSelfSigned();
        CertificateBuilder leaf = new CertificateBuilder().subject("CN=" + sanDns).addSanDnsName(sanDns).ecp256();
        if (sanDns.equals("localhost")) {
            leaf.addSanIpAddress("127.0.0.1");
        }
        X509Bundle cert = leaf.buildIssuedBy(ca);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(cert.toKeyManagerFactory().getKeyManagers(), null, null);
        server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        server.setHttpsConfigurator(new HttpsConfigurator(tls));
        server.createContext("/old", x -> {
            x.getResponseHeaders().add("Location", "/f");
            x.sendResponseHeaders(302, -1);
            x.close();
        });
        server.createContext("/f", x -> {
            String range = x.getRequestHeaders().getFirst("Range");
            int from = range == null ? 0 : Integer.parseInt(range.substring("bytes=".length(), range.length() - 1));
            if (range != null) {
                x.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (CONTENT.length - 1) + "/" + CONTENT.length);
            }
            x.getResponseHeaders().add("ETag", "\"t1\"");
            x.sendResponseHeaders(range == null ? 200 : 206, x.getRequestMethod().equals("HEAD") ? -1 : CONTENT.length - from);
            try (OutputStream out = x.getResponseBody()) {
                if (!x.getRequestMethod().equals("HEAD")) {
                    out.write(CONTENT, from, CONTENT.length - from);
                }
            }
        });
        server.start();
        Path pem = dir.resolve("ca.pem");
        Files.writeString(pem, ca.getCertificatePEM());
        return pem;
    }

    String url(String host, String path) {
        return "https://" + host + ":" + server.getAddress().getPort() + path;
    }

    static byte[] read(SourceClient.Fetch f) throws Exception {
        try (f; InputStream in = f.body()) {
            return in.readAllBytes();
        }
    }

    @Test
    void aSourceTrustedThroughSourceCaIsFetchedWithRangesAndRedirects() throws Exception {
        Path ca = start("localhost");
        SourceClient c = new SourceClient(new SourcePolicy(List.of(), List.of()), Duration.ofSeconds(5), List.of(ca));

        SourceClient.Fetch whole = c.open(URI.create(url("localhost", "/old")), List.of(), 0);
        assertThat(whole.status()).isEqualTo(200);
        assertThat(whole.etag()).isEqualTo("\"t1\"");
        assertThat(read(whole)).isEqualTo(CONTENT);

        SourceClient.Fetch tail = c.open(URI.create(url("127.0.0.1", "/f")), List.of(), 1_000_000);
        assertThat(tail.status()).isEqualTo(206);
        assertThat(read(tail)).isEqualTo(Arrays.copyOfRange(CONTENT, 1_000_000, CONTENT.length));
    }

    @Test
    void anUntrustedCertificateIsRefused() throws Exception {
        start("localhost");
        SourceClient c = new SourceClient(new SourcePolicy(List.of(), List.of()), Duration.ofSeconds(5));
        assertThatThrownBy(() -> c.open(URI.create(url("127.0.0.1", "/f")), List.of(), 0))
                .isInstanceOf(SourceException.class).hasMessageContaining("unreachable")
                .satisfies(e -> assertThat(((SourceException) e).code()).isEqualTo(ResultCode.URL_NOT_REACHABLE));
    }

    @Test
    void aCertificateForAnotherHostIsRefused() throws Exception {
        Path ca = start("other.test");
        SourceClient c = new SourceClient(new SourcePolicy(List.of(), List.of()), Duration.ofSeconds(5), List.of(ca));
        assertThatThrownBy(() -> c.open(URI.create(url("127.0.0.1", "/f")), List.of(), 0))
                .isInstanceOf(SourceException.class).hasMessageContaining("unreachable");
    }
}
