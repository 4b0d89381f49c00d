package io.smalldragonfly.dfdaemon.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import io.smalldragonfly.dfdaemon.config.DfdaemonConfig;
import io.smalldragonfly.dfdaemon.testing.FakeRegistry;
import io.smalldragonfly.dfdaemon.testing.RawHttp;
import io.smalldragonfly.dfdaemon.testing.SwitchableFetcher;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An HTTPS registry whose certificate is issued by a CA generated here: trusted via --registry-ca only. */
class HttpsRegistryTest {

    @TempDir
    static Path home;

    static FakeRegistry registry;
    static Path caPem;

    @BeforeAll
    static void start() throws Exception {
        X509Bundle ca = new CertificateBuilder().subject("CN=small-dragonfly test CA").setIsCertificateAuthority(true)
                .ecp256().buildSelfSigned();
        X509Bundle server = new CertificateBuilder().subject("CN=registry.test").addSanIpAddress("127.0.0.1")
                .addSanDnsName("localhost").ecp256().buildIssuedBy(ca);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(server.toKeyManagerFactory().getKeyManagers(), null, null);
        registry = FakeRegistry.https(tls);
        caPem = home.resolve("registry-ca.pem");
        Files.writeString(caPem, ca.getCertificatePEM());
    }

    @AfterAll
    static void stop() {
        registry.close();
    }

    @Test
    void trustedThroughRegistryCa() throws Exception {
        DfdaemonConfig config = DfdaemonConfig.forRegistry(registry.uri(), home).withTls(List.of(caPem), false);
        try (DfdaemonServer dfdaemon = DfdaemonServer.start(config, direct -> new SwitchableFetcher())) {
            assertThat(RawHttp.exchange(dfdaemon.port(), "GET", "/v2/").status()).isEqualTo(200);
            RawHttp.Response manifest = RawHttp.exchange(dfdaemon.port(), "GET", "/v2/" + FakeRegistry.NAME + "/manifests/v1");
            assertThat(manifest.body()).isEqualTo(registry.manifest);
            RawHttp.Response blob = RawHttp.exchange(dfdaemon.port(), "GET",
                    "/v2/" + FakeRegistry.NAME + "/blobs/" + FakeRegistry.digest(registry.layer2));
            assertThat(blob.complete()).isTrue();
            assertThat(blob.body()).isEqualTo(registry.layer2);
        }
    }

    @Test
    void untrustedWithoutTheCa() throws Exception {
        DfdaemonConfig config = DfdaemonConfig.forRegistry(registry.uri(), home);
        try (DfdaemonServer dfdaemon = DfdaemonServer.start(config, direct -> new SwitchableFetcher())) {
            RawHttp.Response r = RawHttp.exchange(dfdaemon.port(), "GET", "/v2/");
            assertThat(r.status()).isEqualTo(502);
            RawHttp.Response blob = RawHttp.exchange(dfdaemon.port(), "GET",
                    "/v2/" + FakeRegistry.NAME + "/blobs/" + FakeRegistry.digest(registry.layer1));
            assertThat(blob.status()).isEqualTo(502);
        }
    }

    @Test
    void acceptedWithInsecure() throws Exception {
        DfdaemonConfig config = DfdaemonConfig.forRegistry(registry.uri(), home).withTls(List.of(), true);
        try (DfdaemonServer dfdaemon = DfdaemonServer.start(config, direct -> new SwitchableFetcher())) {
            assertThat(RawHttp.exchange(dfdaemon.port(), "GET", "/v2/").status()).isEqualTo(200);
        }
    }
}
