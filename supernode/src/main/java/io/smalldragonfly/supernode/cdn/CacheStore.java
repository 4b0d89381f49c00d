package io.smalldragonfly.supernode.cdn;

import io.smalldragonfly.common.protocol.Json;
import io.smalldragonfly.common.task.TaskId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cache directory: {@code <dir>/<first 3 of taskId>/<taskId>} holds the framed pieces (piece n at
 * offset n * pieceSize, as the original's nginx served them) and {@code <taskId>.meta.json} beside
 * it. Paths derive from a {@link TaskId} only, so no request can name a file outside the cache.
 */
public final class CacheStore {

    private static final Logger log = LoggerFactory.getLogger(CacheStore.class);
    private static final String META_SUFFIX = ".meta.json";

    private final Path dir;

    public CacheStore(Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cache: cannot create " + dir, e);
        }
    }

    public Path dir() {
        return dir;
    }

    public Path dataFile(TaskId id) {
        return dir.resolve(id.value().substring(0, 3)).resolve(id.value());
    }

    public Path metaFile(TaskId id) {
        return dir.resolve(id.value().substring(0, 3)).resolve(id.value() + META_SUFFIX);
    }

    public Optional<CacheMeta> load(TaskId id) {
        Path f = metaFile(id);
        if (!Files.exists(f)) {
            return Optional.empty();
        }
        try {
            CacheMeta m = Json.read(Files.readAllBytes(f), CacheMeta.class);
            if (!id.value().equals(m.taskId())) {
                log.warn("cache: {} names task {}; ignoring it", f, m.taskId());
                return Optional.empty();
            }
            return Optional.of(m);
        } catch (IOException | RuntimeException e) {
            log.warn("cache: unreadable metadata {} ({}); the task will be fetched again", f, e.getMessage());
            return Optional.empty();
        }
    }

    /** Writes the metadata atomically (temp file + rename), so a crash leaves the old or the new. */
    public void save(CacheMeta meta) {
        TaskId id = TaskId.of(meta.taskId());
        Path f = metaFile(id);
        try {
            Files.createDirectories(f.getParent());
            Path tmp = f.resolveSibling(f.getFileName() + ".tmp");
            Files.write(tmp, Json.write(meta));
            try {
                Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cache: cannot write " + f, e);
        }
    }

    public void delete(TaskId id) {
        try {
            Files.deleteIfExists(metaFile(id));
            Files.deleteIfExists(dataFile(id));
        } catch (IOException e) {
            log.warn("cache: cannot delete task {}: {}", id, e.getMessage());
        }
    }

    public long size(TaskId id) {
        try {
            return Files.size(dataFile(id));
        } catch (IOException e) {
            return 0;
        }
    }

    /** Every task with a metadata file (what survives a restart). */
    public List<TaskId> scan() {
        List<TaskId> out = new ArrayList<>();
        try (DirectoryStream<Path> prefixes = Files.newDirectoryStream(dir, Files::isDirectory)) {
            for (Path p : prefixes) {
                try (DirectoryStream<Path> metas = Files.newDirectoryStream(p, "*" + META_SUFFIX)) {
                    for (Path m : metas) {
                        String name = m.getFileName().toString();
                        String id = name.substring(0, name.length() - META_SUFFIX.length());
                        if (TaskId.isValid(id) && id.startsWith(p.getFileName().toString())) {
                            out.add(TaskId.of(id));
                        }
                    }
                }
            }
        } catch (IOException e) {
            log.warn("cache: cannot scan {}: {}", dir, e.getMessage());
        }
        return out;
    }

    public long freeSpace() {
        try {
            return Files.getFileStore(dir).getUsableSpace();
        } catch (IOException e) {
            return Long.MAX_VALUE;
        }
    }
}
