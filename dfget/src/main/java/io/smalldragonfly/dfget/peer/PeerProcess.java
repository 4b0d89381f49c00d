package io.smalldragonfly.dfget.peer;

import io.smalldragonfly.dfget.upload.UploadServerClient;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A process's claim to be its home's peer process: the lock on {@code <home>/uploader.lock} that
 * makes it the only one, and the state file ({@link UploadServerClient#stateFile}) through which
 * thin dfget clients find it. {@code dfget server} and dfdaemon each claim their home this way, so
 * a host runs one engine per home whichever of them started first.
 */
public final class PeerProcess implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PeerProcess.class);

    private final Path home;
    private final FileChannel lockFile;
    private final FileLock lock;
    private boolean published;
    private boolean closed;

    private PeerProcess(Path home, FileChannel lockFile, FileLock lock) {
        this.home = home;
        this.lockFile = lockFile;
        this.lock = lock;
    }

    /** Claims {@code home}; empty when another live process holds it. */
    public static Optional<PeerProcess> claim(Path home) throws IOException {
        Files.createDirectories(home);
        FileChannel ch = FileChannel.open(home.resolve(UploadServerClient.LOCK_FILE), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        FileLock l;
        try {
            l = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            l = null; // this JVM holds it already (tests with two servers of one home)
        }
        if (l == null) {
            ch.close();
            return Optional.empty();
        }
        return Optional.of(new PeerProcess(home, ch, l));
    }

    /** Lets clients find this process: writes the state file (pid, port, token; owner-only). */
    public synchronized void publish(int port, String token) throws IOException {
        UploadServerClient.writeState(home, new UploadServerClient.State(ProcessHandle.current().pid(), port,
                home.toString(), token));
        published = true;
    }

    /** Whether the state file is still there (a deleted home means: stop). */
    public boolean stateFilePresent() {
        return Files.isRegularFile(UploadServerClient.stateFile(home));
    }

    /** Removes the state file and releases the claim; idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (published) {
            try {
                Files.deleteIfExists(UploadServerClient.stateFile(home));
            } catch (IOException e) {
                log.debug("delete state of {}: {}", home, e.toString());
            }
        }
        try {
            lock.release();
            lockFile.close();
        } catch (IOException e) {
            log.debug("release {}: {}", home.resolve(UploadServerClient.LOCK_FILE), e.toString());
        }
    }
}
