package io.smalldragonfly.dfget.upload;

import com.fasterxml.jackson.databind.JsonNode;
import io.smalldragonfly.common.protocol.Json;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Finds the background upload server of a home, or starts one: {@code <home>/uploader.json} names
 * its pid and port, and a {@code /server/ping} answering with the same home proves it is alive
 * (a stale file or a stranger on a reused port does not). A new server is this same program run
 * as {@code dfget server --home H ...} with the current JVM and classpath; it outlives this process.
 */
public final class UploadServerClient {

    public static final String STATE_FILE = "uploader.json";
    /** The lock its peer process holds on its home (PeerProcess); a compile-time constant, as STATE_FILE. */
    public static final String LOCK_FILE = "uploader.lock";

    private UploadServerClient() {}

    /**
     * The state a running server writes: its pid and port, and the token a local dfget shows to
     * order a download from it (null from a server that takes no downloads). The file is readable
     * by the home's owner only.
     */
    public record State(long pid, int port, String home, String token) {}

    /** Writes {@code state} as {@code home}'s state file, atomically, readable by its owner only. */
    public static void writeState(Path home, State state) throws IOException {
        Path tmp = home.resolve(STATE_FILE + ".tmp");
        Files.deleteIfExists(tmp);
        try {
            Files.createFile(tmp, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(tmp); // not a POSIX file system
        }
        Files.write(tmp, Json.write(state));
        Files.move(tmp, stateFile(home), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    public static Path stateFile(Path home) {
        return home.resolve(STATE_FILE);
    }

    public static Optional<State> readState(Path home) {
        try {
            return Optional.of(Json.read(Files.readAllBytes(stateFile(home)), State.class));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The port of this home's live server, if one answers. */
    public static Optional<Integer> find(Path home) {
        return findState(home).map(State::port);
    }

    /** The state of this home's live server, if one answers (a stale file from a dead one does not). */
    public static Optional<State> findState(Path home) {
        Optional<State> s = readState(home);
        if (s.isPresent() && ping(s.get().port(), home)) {
            return s;
        }
        return Optional.empty();
    }

    /** Whether the server at {@code port} answers {@code /server/ping} as the server of {@code home}. */
    public static boolean ping(int port, Path home) {
        try {
            HttpURLConnection c = (HttpURLConnection) new URL("http", "127.0.0.1", port, "/server/ping").openConnection();
            c.setConnectTimeout(1000);
            c.setReadTimeout(2000);
            try (InputStream in = c.getInputStream()) {
                JsonNode n = Json.mapper().readTree(in);
                return c.getResponseCode() == 200 && n.path("home").asText("")
                        .equals(home.toAbsolutePath().toString());
            }
        } catch (IOException e) {
            return false;
        }
    }

    /** This download's share of the host-wide rate limit, from the home's server; empty when it does not answer. */
    public static Optional<Long> rateShare(int port, String taskFileName, long totalLimit, long localLimit) {
        try {
            HttpURLConnection c = (HttpURLConnection) new URL("http", "127.0.0.1", port, "/rate/" + taskFileName
                    + "?totallimit=" + totalLimit + "&locallimit=" + localLimit).openConnection();
            c.setConnectTimeout(1000);
            c.setReadTimeout(2000);
            try (InputStream in = c.getInputStream()) {
                return Optional.of(Long.parseLong(new String(in.readAllBytes(),
                        java.nio.charset.StandardCharsets.UTF_8).trim()));
            }
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /**
     * The state of this home's server, starting one when none answers and waiting until it does.
     *
     * @param clientLine the dfget command line the new server takes its options from ({@link PeerSpawn#start})
     */
    public static State ensureState(Path home, List<String> clientLine, long timeoutMillis) throws IOException {
        Optional<State> running = findState(home);
        if (running.isPresent()) {
            return running.get();
        }
        return awaitReady(home, PeerSpawn.start(home, clientLine), timeoutMillis);
    }

    /**
     * Waits until the server of {@code home} answers and returns its state; fails early when
     * {@code p} exits and leaves no server for the home.
     */
    public static State awaitReady(Path home, PeerSpawn.Started p, long timeoutMillis) throws IOException {
        Path out = home.resolve("logs").resolve("uploader.out");
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (System.nanoTime() < deadline) {
            Optional<State> state = findState(home);
            if (state.isPresent()) {
                return state.get();
            }
            if (p.failed()) {
                throw new IOException("upload server (pid " + p.pid() + ") exited; see " + out);
            }
            try {
                Thread.sleep(50); // waiting on another process: there is nothing to block on
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while starting the upload server");
            }
        }
        throw new IOException("upload server did not start within " + timeoutMillis + " ms; see " + out);
    }

    /**
     * Stops this home's server (SIGTERM; it tells the supernodes service/down and removes its state)
     * and waits for it to exit. Returns false when none was running.
     */
    public static boolean stop(Path home, long timeoutMillis) {
        Optional<State> s = readState(home);
        if (s.isEmpty()) {
            return false;
        }
        Optional<ProcessHandle> ph = ProcessHandle.of(s.get().pid());
        if (ph.isEmpty() || !ping(s.get().port(), home)) {
            try {
                Files.deleteIfExists(stateFile(home));
            } catch (IOException e) {
                // a stale file only; the next start rewrites it
            }
            return false;
        }
        ph.get().destroy();
        try {
            ph.get().onExit().get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            ph.get().destroyForcibly();
        }
        return true;
    }
}
