/**
 * Where blob bytes come from. {@link io.smalldragonfly.dfdaemon.blob.BlobFetcher} is the seam for
 * the dfget engine ({@link io.smalldragonfly.dfdaemon.blob.BlobRequest} in,
 * {@link io.smalldragonfly.dfdaemon.blob.BlobStream} out);
 * {@link io.smalldragonfly.dfdaemon.blob.DirectBlobFetcher} fetches from the registry;
 * {@link io.smalldragonfly.dfdaemon.blob.EngineBlobFetcher} is the P2P path over the dfget engine and
 * its upload server, in-process; {@link io.smalldragonfly.dfdaemon.blob.P2pBlobFetcher} stands in
 * when no supernode is given.
 */
package io.smalldragonfly.dfdaemon.blob;
