package io.smalldragonfly.common.protocol;

/**
 * {@code data} of a successful registration.
 *
 * @param fileLength the source's content length, or -1 when the source does not say
 * @param cdnSource  1.x extra: {@code "supernode"} or {@code "source"}; null from 0.3 supernodes
 */
public record RegisterResult(String taskId, long fileLength, int pieceSize, String cdnSource) {

    public RegisterResult(String taskId, long fileLength, int pieceSize) {
        this(taskId, fileLength, pieceSize, null);
    }
}
