/**
 * Where blob bytes come from. {@link io.smalldragonfly.dfdaemon.blob.BlobFetcher} is the seam for
 * the dfget engine ({@link io.smalldragonfly.dfdaemon.blob.BlobRequest} in,
 * {@link io.smalldragonfly.dfdaemon.blob.BlobStream} out);
 * {@link io.smalldragonfly.dfdaemon.blob.DirectBlobFetcher} fetches from the registry;
 * {@link io.smalldragonfly.dfdaemon.blob.P2pBlobFetcher} holds the P2P slot until the engine lands.
 */
package io.smalldragonfly.dfdaemon.blob;
