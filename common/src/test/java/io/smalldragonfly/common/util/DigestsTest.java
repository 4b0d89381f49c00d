package io.smalldragonfly.common.util;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DigestsTest {

    private static final int[] SIZES = {0, 1, 63, 64, 65, 4095, 65_536, 4 * 1024 * 1024 + 5};

    @Test
    void sha256ComesFromTheHostsNssWhereTheJreDependsOnIt() {
        // Debian's openjdk-17-jre-headless depends on libnss3: on the JRE this project ships on,
        // the fast path must be the one taken, or every C1-only peer hashes at ~145 MB/s.
        assertThat(Digests.sha256Provider()).startsWith("SunPKCS11");
        assertThat(Digests.sha256().getProvider().getName()).isEqualTo(Digests.sha256Provider());
        assertThat(Digests.md5().getProvider().getName()).isEqualTo("SUN");
    }

    @Test
    void nssAndTheJdkAgreeOnEveryLengthAndEveryWayOfFeedingBytes() throws Exception {
        Random random = new Random(42);
        for (int size : SIZES) {
            byte[] data = new byte[size];
            random.nextBytes(data);
            for (String alg : new String[] {"MD5", "SHA-256"}) {
                String expected = Digests.hex(MessageDigest.getInstance(alg, "SUN").digest(data));
                MessageDigest whole = alg.equals("MD5") ? Digests.md5() : Digests.sha256();
                assertThat(Digests.hex(whole.digest(data))).as(alg + " of " + size + " bytes").isEqualTo(expected);

                MessageDigest pieces = alg.equals("MD5") ? Digests.md5() : Digests.sha256();
                ByteBuffer direct = ByteBuffer.allocateDirect(size).put(data).flip();
                int half = size / 2;
                pieces.update(data, 0, half / 2);
                pieces.update(ByteBuffer.wrap(data, half / 2, half - half / 2));
                pieces.update(direct.position(half));
                assertThat(Digests.hex(pieces.digest())).as(alg + " fed in parts, " + size + " bytes")
                        .isEqualTo(expected);
            }
        }
    }

    @Test
    void aDigestIsReusableAfterDigest() {
        MessageDigest md = Digests.sha256();
        byte[] first = md.digest("a".getBytes());
        assertThat(md.digest("a".getBytes())).isEqualTo(first);
        assertThat(Digests.sha256Hex("abc".getBytes()))
                .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assertThat(Digests.md5Hex("abc".getBytes())).isEqualTo("900150983cd24fb0d6963f7d28e17f72");
    }

    @Test
    void fileRegionsHashLikeTheirBytes(@TempDir Path dir) throws Exception {
        byte[] data = new byte[600_000];
        new Random(7).nextBytes(data);
        Path f = Files.write(dir.resolve("f"), data);
        byte[] region = java.util.Arrays.copyOfRange(data, 1000, 1000 + 300_000);
        assertThat(Digests.digest(Digests.sha256(), f, 1000, 300_000))
                .isEqualTo(MessageDigest.getInstance("SHA-256", "SUN").digest(region));
        assertThat(Digests.md5Hex(f)).isEqualTo(Digests.hex(MessageDigest.getInstance("MD5", "SUN").digest(data)));
    }
}
