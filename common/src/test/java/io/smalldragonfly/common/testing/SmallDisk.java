package io.smalldragonfly.common.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A small tmpfs mounted by a test, to fill a disk for real ({@code ENOSPC} from the kernel, not a
 * mock). Needs root; without it the test is skipped on a developer's machine and fails in CI
 * ({@link Prerequisites}). {@link #close()} unmounts.
 */
public final class SmallDisk implements AutoCloseable {

    private final Path dir;

    private SmallDisk(Path dir) {
        this.dir = dir;
    }

    public static SmallDisk mount(Path dir, int mebibytes) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        String error = run(List.of("mount", "-t", "tmpfs", "-o", "size=" + mebibytes + "m", "tmpfs", dir.toString()));
        Prerequisites.require(error == null, "a " + mebibytes + " MiB tmpfs at " + dir + " (needs root): " + error);
        return new SmallDisk(dir);
    }

    public Path dir() {
        return dir;
    }

    /** Fills the disk but {@code leaveBytes}, so that a test controls how much still fits. */
    public void fill(long leaveBytes) throws IOException {
        long free = Files.getFileStore(dir).getUsableSpace();
        long size = Math.max(0, free - leaveBytes);
        try (var ch = java.nio.channels.FileChannel.open(dir.resolve("filler"), java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.WRITE)) {
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(1 << 20);
            long written = 0;
            while (written < size) {
                buf.clear().limit((int) Math.min(buf.capacity(), size - written));
                written += ch.write(buf);
            }
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        String error = run(List.of("umount", dir.toString()));
        if (error != null) {
            run(List.of("umount", "-l", dir.toString()));
        }
    }

    /** @return null on success, else what went wrong */
    private static String run(List<String> command) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            return e.getMessage();
        }
        String out = new String(p.getInputStream().readAllBytes()).trim();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return String.join(" ", command) + ": timed out";
        }
        return p.exitValue() == 0 ? null : String.join(" ", command) + ": exit " + p.exitValue() + " " + out;
    }
}
