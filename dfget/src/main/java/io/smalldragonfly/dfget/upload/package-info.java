/**
 * The peer upload server: serves the pieces this host has, of finished and in-progress downloads,
 * at {@code /peer/file/<taskFileName>} with the original framing, zero copy from disk.
 * Entry points: {@link io.smalldragonfly.dfget.upload.UploadServer} (in-process, or run by
 * {@code dfget server} as a background process) and {@link io.smalldragonfly.dfget.upload.UploadServerClient}
 * (find or start the background one for a home).
 */
package io.smalldragonfly.dfget.upload;
