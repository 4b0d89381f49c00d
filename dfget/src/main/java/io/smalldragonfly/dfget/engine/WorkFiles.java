package io.smalldragonfly.dfget.engine;

import io.smalldragonfly.dfget.store.DataDir;
import io.smalldragonfly.dfget.store.PieceMap;
import io.smalldragonfly.dfget.store.TaskMeta;
import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The files of one download: the temp content file beside the output
 * ({@code .<name>.<taskId:12>.dfget}), its {@link PieceMap} ({@code ...dfget.pieces}), and hard
 * links to both in the upload server's data directory so other peers can fetch pieces while this
 * download runs. The temp file's name depends only on the output and the task, so a re-run with the
 * same arguments finds it and resumes. {@link #commit} is the only way content reaches the output.
 */
final class WorkFiles implements Closeable {

    private static final Logger log = LoggerFactory.getLogger(WorkFiles.class);

    private final Path output;
    private final Path temp;
    private final Path piecesFile;
    private FileChannel channel;
    private PieceMap map;
    private DataDir dataDir;
    private String servedName;
    private boolean linked;

    private WorkFiles(Path output, Path temp, Path piecesFile) {
        this.output = output;
        this.temp = temp;
        this.piecesFile = piecesFile;
    }

    /** Checks the output location and names the temp files; nothing is created yet. */
    static WorkFiles prepare(Path output, String taskId) {
        Path out = output.toAbsolutePath().normalize();
        Path dir = out.getParent();
        if (Files.isDirectory(out)) {
            throw new IllegalArgumentException("output: '" + output + "' is a directory (expected a file path)");
        }
        if (dir == null || !Files.isDirectory(dir)) {
            throw new IllegalArgumentException("output: directory '" + dir + "' does not exist (expected an existing directory)");
        }
        if (!Files.isWritable(dir)) {
            throw new IllegalArgumentException("output: directory '" + dir + "' is not writable (expected write permission)");
        }
        String base = "." + out.getFileName() + "." + taskId.substring(0, 12) + ".dfget";
        return new WorkFiles(out, dir.resolve(base), dir.resolve(base + DataDir.PIECES));
    }

    Path temp() {
        return temp;
    }

    Path output() {
        return output;
    }

    /**
     * Opens the content file and its piece map for pieces of {@code pieceSize}; pieces recorded by an
     * earlier run with the same layout are kept (see {@link #map()}).
     *
     * @return true when the content starts empty (nothing kept from before)
     */
    synchronized boolean open(int pieceSize, long contentLength) throws IOException {
        if (map != null && map.pieceSize() == pieceSize && map.contentLength() == contentLength) {
            return false;
        }
        closeQuietly();
        map = PieceMap.openForWrite(piecesFile, pieceSize, contentLength);
        channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        if (map.extent() == 0) {
            channel.truncate(0);
            return true;
        }
        return false;
    }

    FileChannel channel() {
        return channel;
    }

    PieceMap map() {
        return map;
    }

    /**
     * Makes this download's pieces servable by the upload server as {@code name}: hard links to the
     * temp file and its map. Returns false (and logs) when the data directory is on another file
     * system; the finished file is then copied there by {@link #commit}.
     */
    synchronized boolean link(DataDir dir, String name, TaskMeta meta) {
        this.dataDir = dir;
        this.servedName = name;
        try {
            Files.createDirectories(dir.dir());
            meta.write(dir.meta(name));
            Files.deleteIfExists(dir.content(name));
            Files.deleteIfExists(dir.pieces(name));
            Files.createLink(dir.content(name), temp);
            Files.createLink(dir.pieces(name), piecesFile);
            linked = true;
        } catch (IOException | UnsupportedOperationException e) {
            log.warn("cannot link {} into {} ({}); pieces will be served once the download finishes", temp,
                    dir.dir(), e.toString());
            linked = false;
        }
        return linked;
    }

    /** Syncs the content, renames it onto the output atomically, and drops the resume state. */
    synchronized void commit() throws IOException {
        channel.force(true);
        channel.close();
        try {
            Files.move(temp, output, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("output: cannot rename " + temp + " onto " + output + " atomically", e);
        }
        syncDirectory(output.getParent());
        map.close();
        if (dataDir != null && !linked) {
            copyIntoDataDir();
        }
        Files.deleteIfExists(piecesFile);
    }

    private void copyIntoDataDir() {
        try {
            Path tmp = dataDir.content(servedName + ".tmp");
            Files.copy(output, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, dataDir.content(servedName), StandardCopyOption.REPLACE_EXISTING);
            Files.copy(piecesFile, dataDir.pieces(servedName), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            log.warn("cannot copy {} into {} for serving: {}", output, dataDir.dir(), e.toString());
        }
    }

    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            log.debug("cannot fsync directory {}: {}", dir, e.toString());
        }
    }

    /** Deletes the temp file, its map and the served links (their content failed verification). */
    synchronized void discard() {
        closeQuietly();
        try {
            Files.deleteIfExists(temp);
            Files.deleteIfExists(piecesFile);
            if (dataDir != null) {
                Files.deleteIfExists(dataDir.content(servedName));
                Files.deleteIfExists(dataDir.pieces(servedName));
                Files.deleteIfExists(dataDir.meta(servedName));
            }
        } catch (IOException e) {
            log.warn("cannot delete {}: {}", temp, e.toString());
        }
    }

    private void closeQuietly() {
        try {
            if (channel != null) {
                channel.close();
            }
        } catch (IOException e) {
            log.debug("close {}: {}", temp, e.toString());
        }
        try {
            if (map != null) {
                map.close();
            }
        } catch (IOException e) {
            log.debug("close {}: {}", piecesFile, e.toString());
        }
    }

    /** Releases the files and the lock, keeping them on disk for a later resume. */
    @Override
    public synchronized void close() {
        closeQuietly();
    }
}
