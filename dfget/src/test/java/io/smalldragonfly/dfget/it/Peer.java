package io.smalldragonfly.dfget.it;

import io.smalldragonfly.dfget.engine.DownloadEngine;
import io.smalldragonfly.dfget.engine.EngineConfig;
import io.smalldragonfly.dfget.upload.UploadServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** One in-process peer: a home, its upload server and an engine registered with that server's port. */
final class Peer implements AutoCloseable {

    final Path home;
    final UploadServer upload;
    final DownloadEngine engine;
    private boolean closed;

    private Peer(Path home, UploadServer upload, DownloadEngine engine) {
        this.home = home;
        this.upload = upload;
        this.engine = engine;
    }

    static Peer start(Path home) throws IOException {
        Files.createDirectories(home);
        UploadServer up = UploadServer.start(UploadServer.Config.of(home));
        return new Peer(home, up, new DownloadEngine(EngineConfig.of(home, up.port())));
    }

    /** Stops serving (as a killed peer would: connections refused from now on). */
    void kill() {
        if (!closed) {
            closed = true;
            upload.close();
            engine.close();
        }
    }

    @Override
    public void close() {
        kill();
    }
}
