/**
 * The dfget download engine, a library free of CLI types. Entry points:
 * {@link io.smalldragonfly.dfget.engine.DownloadEngine} (one per peer identity, see
 * {@link io.smalldragonfly.dfget.engine.EngineConfig}), which starts a
 * {@link io.smalldragonfly.dfget.engine.DownloadRequest} and returns a
 * {@link io.smalldragonfly.dfget.engine.Download}: a future of the
 * {@link io.smalldragonfly.dfget.engine.DownloadResult} and an in-order stream of the file's bytes
 * while it downloads. {@link io.smalldragonfly.dfget.engine.SupernodeClient} is the supernode API
 * as a client calls it. Everything else here is internal: the P2P session (register, poll, report),
 * the piece fetcher, back-to-source, the temp files and the progress tracker.
 */
package io.smalldragonfly.dfget.engine;
