package io.smalldragonfly.dfget.store;

import io.smalldragonfly.common.protocol.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * What the upload server needs to know about a task it serves ({@code <taskFileName>.meta}):
 * the supernode task and this peer's id in it, so it can tell the supernode {@code service/down}
 * when the file expires or the server exits.
 *
 * @param supernode {@code host:port} of the supernode's API
 */
public record TaskMeta(String taskId, String cid, String supernode, String url) {

    public void write(Path file) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(tmp, Json.write(this));
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    public static TaskMeta read(Path file) throws IOException {
        return Json.read(Files.readAllBytes(file), TaskMeta.class);
    }
}
