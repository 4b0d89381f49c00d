package io.smalldragonfly.common.protocol;

/**
 * {@code data} of a 600 answer.
 *
 * @param fileLength the framed length of the whole task (content plus 5 bytes a piece), as the original
 * @param md5        md5 of the file's content
 */
public record TaskFinish(long fileLength, String md5) {}
