package io.smalldragonfly.common.util;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.Security;
import java.util.HexFormat;
import org.slf4j.LoggerFactory;

/**
 * md5 and sha256 as lowercase hex, of byte arrays, streams and file regions.
 *
 * <p>sha256 comes from the host's NSS (libnss3, which Debian's JRE depends on) through the JDK's own
 * SunPKCS11 provider when it loads, else from the JDK. NSS's uses the CPU's SHA instructions from the
 * first byte: 1.6-1.7 GB/s in any JVM, where the JDK's runs at ~145 MB/s until C2 compiles it (C1 has
 * no sha256 intrinsic). That lets the C1-only dfget JVMs verify pieces at line rate (docs/
 * performance.md, "Hashing without C2"). md5 stays the JDK's: with C2 its intrinsic beats NSS's
 * (736 against 620 MB/s; the CDN hashes every byte twice with it). {@code
 * -Dsmalldragonfly.digests=jdk} takes sha256 from the JDK too.
 */
public final class Digests {

    private static final HexFormat HEX = HexFormat.of();

    private Digests() {}

    /** Loaded on first use, so a JVM that never hashes (the thin dfget) never pays NSS's start. */
    private static final class Sha256 {
        static final Provider PROVIDER = load();

        private static Provider load() {
            Provider jdk = Security.getProvider("SUN");
            if ("jdk".equals(System.getProperty("smalldragonfly.digests"))) {
                return jdk;
            }
            try {
                Provider pkcs11 = Security.getProvider("SunPKCS11");
                if (pkcs11 == null) {
                    return jdk;
                }
                // Only options every JDK knows: Debian's JDK also takes handleStartupErrors, which
                // upstream builds (Temurin) refuse as a configuration error.
                Provider nss = pkcs11.configure("--name=Digests\nnssDbMode=noDb\nattributes=compatibility\n");
                MessageDigest.getInstance("SHA-256", nss).digest(new byte[1]);
                return nss;
            } catch (RuntimeException | NoSuchAlgorithmException | LinkageError e) {
                LoggerFactory.getLogger(Digests.class).debug("NSS digests unavailable, using the JDK's: {}",
                        e.toString());
                return jdk;
            }
        }
    }

    /** The provider sha256 comes from: NSS's, or the JDK's ("SUN"). */
    public static String sha256Provider() {
        return Sha256.PROVIDER.getName();
    }

    public static MessageDigest md5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 is required by the Java platform", e);
        }
    }

    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256", Sha256.PROVIDER);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by the Java platform", e);
        }
    }

    public static String hex(byte[] digest) {
        return HEX.formatHex(digest);
    }

    public static String md5Hex(byte[] data) {
        return hex(md5().digest(data));
    }

    public static String sha256Hex(byte[] data) {
        return hex(sha256().digest(data));
    }

    public static String md5Hex(InputStream in) throws IOException {
        return hex(digest(md5(), in));
    }

    public static String sha256Hex(InputStream in) throws IOException {
        return hex(digest(sha256(), in));
    }

    public static String md5Hex(Path file) throws IOException {
        return hex(digest(md5(), file, 0, Long.MAX_VALUE));
    }

    public static String sha256Hex(Path file) throws IOException {
        return hex(digest(sha256(), file, 0, Long.MAX_VALUE));
    }

    private static byte[] digest(MessageDigest md, InputStream in) throws IOException {
        byte[] buf = new byte[64 * 1024];
        for (int n; (n = in.read(buf)) > 0; ) {
            md.update(buf, 0, n);
        }
        return md.digest();
    }

    /** Digest of {@code length} bytes of {@code file} from {@code offset} (to EOF if shorter). */
    public static byte[] digest(MessageDigest md, Path file, long offset, long length) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(256 * 1024);
            long pos = offset;
            long remaining = length;
            while (remaining > 0) {
                buf.clear();
                if (remaining < buf.capacity()) {
                    buf.limit((int) remaining);
                }
                int n = ch.read(buf, pos);
                if (n < 0) {
                    break;
                }
                buf.flip();
                md.update(buf);
                pos += n;
                remaining -= n;
            }
            return md.digest();
        }
    }
}
