package io.smalldragonfly.dfget.it;

import io.smalldragonfly.dfget.upload.UploadServerClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The built {@code bin/dfget} as separate processes, and the homes (peer processes) they used:
 * {@link #close()} stops every peer process of those homes, also one still starting.
 */
final class Launcher implements AutoCloseable {

    static final Path ROOT = Path.of("").toAbsolutePath().getParent();
    static final Path DFGET = ROOT.resolve("bin/dfget");

    private final Path tmp;
    private final List<Path> homes = new ArrayList<>();

    Launcher(Path tmp) {
        this.tmp = tmp;
    }

    static boolean built() {
        return Files.isRegularFile(ROOT.resolve("dfget/target/dfget.jar"));
    }

    Process dfget(String... args) throws IOException {
        return dfget(null, java.util.Map.of(), args);
    }

    /** As {@link #dfget(String...)}, in {@code dir} (null: this one) with {@code env} added. */
    Process dfget(Path dir, java.util.Map<String, String> env, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(DFGET.toString());
        cmd.addAll(List.of(args));
        ProcessBuilder b = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        if (dir != null) {
            b.directory(dir.toFile());
        }
        b.environment().putAll(env);
        return b.start();
    }

    Path home(String name) {
        Path h = tmp.resolve(name);
        homes.add(h);
        return h;
    }

    List<Path> homes() {
        return homes;
    }

    static String read(Process p, boolean err) throws IOException {
        return new String((err ? p.getErrorStream() : p.getInputStream()).readAllBytes(), StandardCharsets.UTF_8);
    }

    /** The live peer process of {@code home}, if any. */
    static java.util.Optional<ProcessHandle> peerOf(Path home) {
        return UploadServerClient.findState(home).flatMap(s -> ProcessHandle.of(s.pid()));
    }

    @Override
    public void close() throws Exception {
        List<Process> stops = new ArrayList<>();
        for (Path h : homes) {
            if (Files.exists(UploadServerClient.stateFile(h))) {
                stops.add(dfget("server", "--stop", "--home", h.toString()));
            }
        }
        for (Process p : stops) {
            p.waitFor(20, TimeUnit.SECONDS);
        }
        // A peer process still starting when its dfget gave up has no state file yet, so --stop
        // cannot find it: end whatever still runs for one of these homes.
        for (Path h : homes) {
            ProcessHandle.allProcesses()
                    .filter(ph -> ph.info().commandLine().map(c -> c.contains(h.toString())).orElse(false))
                    .forEach(ph -> {
                        ph.destroy();
                        ph.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> ph).join();
                    });
        }
    }
}
