package io.smalldragonfly.common.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A dockerd of a test's own, beside the machine's: its own data root, exec root (and so its own
 * managed containerd), pid file, socket and config file, no bridge and no iptables, and
 * {@code --registry-mirror} set when given. {@link #close} stops it and unmounts whatever it left
 * mounted under its directory, so the test's temp dir can be deleted.
 */
public final class PrivateDockerd implements AutoCloseable {

    public static final String DOCKERD = "/usr/sbin/dockerd";
    public static final String DOCKER = "/usr/bin/docker";

    private final Path dir;
    private final Process process;

    private PrivateDockerd(Path dir, Process process) {
        this.dir = dir;
        this.process = process;
    }

    public static boolean available() {
        return Files.isExecutable(Path.of(DOCKERD)) && Files.isExecutable(Path.of(DOCKER))
                && "root".equals(System.getProperty("user.name"));
    }

    /**
     * Starts a dockerd in {@code dir} (keep it short: the socket path must fit in 108 bytes) with
     * {@code extraArgs} ({@code --registry-mirror http://...}, {@code --insecure-registry ...}).
     */
    public static PrivateDockerd start(Path dir, String... extraArgs) throws IOException, InterruptedException {
        return startWithConfig(dir, "{}", extraArgs);
    }

    /**
     * Like {@link #start} with {@code daemonJson} as its config file, as a user writes
     * {@code /etc/docker/daemon.json} (e.g. {@code {"registry-mirrors": ["http://127.0.0.1:65001"]}}).
     */
    public static PrivateDockerd startWithConfig(Path dir, String daemonJson, String... extraArgs)
            throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Path config = Files.writeString(dir.resolve("daemon.json"), daemonJson);
        List<String> cmd = new ArrayList<>(List.of(DOCKERD,
                "--config-file", config.toString(),
                "--data-root", dir.resolve("root").toString(),
                "--exec-root", dir.resolve("exec").toString(),
                "--pidfile", dir.resolve("dockerd.pid").toString(),
                "-H", "unix://" + dir.resolve("docker.sock"),
                "--storage-driver", Files.isDirectory(Path.of("/sys/module/overlay")) ? "overlay2" : "vfs",
                "--bridge=none", "--iptables=false", "--ip6tables=false", "--ip-forward=false", "--ip-masq=false"));
        cmd.addAll(List.of(extraArgs));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve("dockerd.log").toFile()).start();
        PrivateDockerd d = new PrivateDockerd(dir, p);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                d.close();
                throw new IOException("dockerd exited: " + d.logTail());
            }
            if (Files.exists(dir.resolve("docker.sock")) && d.exec(10, "info").exit == 0) {
                return d;
            }
            Thread.sleep(200);
        }
        d.close();
        throw new IOException("dockerd did not answer within 60 s: " + d.logTail());
    }

    public String host() {
        return "unix://" + dir.resolve("docker.sock");
    }

    public record Result(int exit, String output) {}

    /** {@code docker -H <this> args...}, waiting up to {@code seconds}. */
    public Result exec(int seconds, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(DOCKER, "-H", host()));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(dir, "docker", ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile());
        pb.environment().put("DOCKER_BUILDKIT", "0");
        pb.environment().put("DOCKER_CONFIG", dir.resolve("client").toString());
        Process p = pb.start();
        boolean exited = p.waitFor(seconds, TimeUnit.SECONDS);
        if (!exited) {
            p.destroyForcibly();
        }
        String text = Files.readString(out, StandardCharsets.UTF_8);
        Files.deleteIfExists(out);
        return new Result(exited ? p.exitValue() : -1, text);
    }

    /** Like {@link #exec} but fails with the output unless the command succeeds. */
    public String docker(String... args) throws IOException, InterruptedException {
        Result r = exec(180, args);
        if (r.exit != 0) {
            throw new AssertionError("docker " + String.join(" ", args) + " failed (" + r.exit + "):\n" + r.output
                    + "\n--- dockerd log ---\n" + logTail());
        }
        return r.output;
    }

    public String logTail() {
        try {
            List<String> lines = Files.readAllLines(dir.resolve("dockerd.log"));
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        if (process.isAlive()) {
            process.destroy(); // SIGTERM: dockerd stops its containers and its containerd
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        // a daemon that had to be killed leaves its managed containerd behind
        Path containerdPid = dir.resolve("exec/containerd/containerd.pid");
        if (Files.exists(containerdPid)) {
            try {
                long pid = Long.parseLong(Files.readString(containerdPid).trim());
                ProcessHandle.of(pid).filter(h -> h.info().command().orElse("").endsWith("containerd"))
                        .ifPresent(h -> {
                            h.destroy();
                            h.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(t -> {
                                h.destroyForcibly();
                                return h;
                            }).join();
                        });
            } catch (NumberFormatException e) {
                // no pid in it: nothing to stop
            }
        }
        // anything still mounted under our dir (a killed daemon's overlays, its netns) would keep
        // the temp dir from being deleted
        List<String> mounts = new ArrayList<>();
        String prefix = dir.toAbsolutePath().toString();
        for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
            String[] f = line.split(" ");
            if (f.length > 1 && f[1].startsWith(prefix)) {
                mounts.add(f[1]);
            }
        }
        mounts.sort(Comparator.reverseOrder());
        for (String m : mounts) {
            new ProcessBuilder("umount", "-l", m).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
