package io.smalldragonfly.dfget.engine;

import java.nio.file.Path;

/**
 * A finished download: where its bytes came from and what it weighs.
 *
 * @param taskId        the supernode task id (computed locally when no supernode was used)
 * @param length        content bytes of the file
 * @param fromPeers     bytes fetched from other peers
 * @param fromSupernode bytes fetched from the supernode's CDN
 * @param fromSource    bytes fetched from the source directly (back to source)
 * @param fromLocal     bytes found already on disk from an interrupted run
 * @param supernode     the supernode that served the task, or null
 * @param verified      how {@code md5} was established: {@code "file"} computed over the finished
 *                      file, {@code "pieces"} implied by every piece's digest check against the
 *                      supernode's (then {@code md5} is the one the supernode reported)
 */
public record DownloadResult(String url, Path output, String taskId, long length, double seconds,
                             long fromPeers, long fromSupernode, long fromSource, long fromLocal,
                             String md5, String supernode, String verified) {

    public static final String VERIFIED_FILE = "file";
    public static final String VERIFIED_PIECES = "pieces";

    /** One line saying where the bytes came from. */
    public String summary() {
        return String.format(java.util.Locale.ROOT,
                "%s: %s in %.2fs (%s) from peers %s, supernode %s, source %s%s",
                output.getFileName(), io.smalldragonfly.common.util.Sizes.format(length), seconds,
                rate(), pct(fromPeers), pct(fromSupernode), pct(fromSource),
                fromLocal > 0 ? ", resumed " + pct(fromLocal) : "");
    }

    private String rate() {
        return io.smalldragonfly.common.util.Sizes.format(seconds <= 0 ? length : (long) (length / seconds)) + "/s";
    }

    private String pct(long bytes) {
        return length == 0 ? "0%" : String.format(java.util.Locale.ROOT, "%.0f%%", 100.0 * bytes / length);
    }
}
