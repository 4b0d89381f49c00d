package io.smalldragonfly.dfdaemon.blob;

import java.util.concurrent.CompletableFuture;

/**
 * Where dfdaemon gets a blob's bytes from: <b>the seam between the proxy and the dfget engine</b>.
 *
 * <p>The proxy calls {@link #fetch} once per blob GET it sends through P2P (registry blobs
 * {@code GET /v2/<name>/blobs/sha256:<hex>}, and forward-proxy GETs matching a {@code --rule}).
 * The returned future completes as soon as the bytes can start flowing (headers known, first piece
 * on its way), <em>not</em> when the blob is complete: the proxy streams {@link BlobStream#body()}
 * to the client in order while the rest is still arriving. It completes exceptionally when the
 * blob cannot be fetched at all (no supernode, task failed, source answered 4xx/5xx); the proxy
 * then falls back to the registry unless {@code --notbs}.
 *
 * <p>Contract for implementations:
 * <ul>
 *   <li>{@code fetch} must not block: slow work completes the future later, on any thread.</li>
 *   <li>The bytes are the blob exactly as at the source, in order; the proxy checks the sha256
 *       against {@link BlobRequest#digest()} while streaming, so implementations need not.</li>
 *   <li>{@link BlobStream#body()} is read by one proxy worker thread, which blocks in
 *       {@code read} until bytes arrive: that is the backpressure, so buffer a bounded amount
 *       (pieces already on disk) and never the whole blob in memory.</li>
 *   <li>Closing the stream means the client is gone: stop the download or let it finish in the
 *       background for other peers, as the engine prefers, but release the stream's resources.</li>
 *   <li>{@link BlobRequest#headers()} carry the client's {@code Authorization}: use them for the
 *       request at the source only; never log them and never put them in a task id.</li>
 * </ul>
 *
 * <p>Implementations: {@link DirectBlobFetcher} (straight from the registry, the fallback) and
 * {@link EngineBlobFetcher} (P2P, over the dfget engine; {@link P2pBlobFetcher} without supernodes).
 */
@FunctionalInterface
public interface BlobFetcher {

    CompletableFuture<BlobStream> fetch(BlobRequest request);
}
