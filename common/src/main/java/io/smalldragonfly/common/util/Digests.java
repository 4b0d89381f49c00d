package io.smalldragonfly.common.util;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** md5 and sha256 as lowercase hex, of byte arrays, streams and file regions. */
public final class Digests {

    private static final HexFormat HEX = HexFormat.of();

    private Digests() {}

    public static MessageDigest md5() {
        return get("MD5");
    }

    public static MessageDigest sha256() {
        return get("SHA-256");
    }

    private static MessageDigest get(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " is required by the Java platform", e);
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
