package io.smalldragonfly.dfget.upload;

import io.smalldragonfly.dfget.peer.PeerCli;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts a home's peer process, {@code dfget server --home H ...}, with this JVM's java, classpath
 * and the flags bin/dfget chose, in its own session, its output to {@code <home>/logs/uploader.out};
 * it outlives the process that started it. JDK classes only: the thin client starts peer
 * processes too ({@code ThinClient}), and loads no library.
 *
 * <p>Not a child of this JVM: a shell starts it in the background, prints its pid and exits. A JVM
 * whose child still runs keeps the JDK's reaper thread in {@code waitpid}, and HotSpot's exit waits
 * up to 300 ms for threads in native code to block: every dfget that had started its home's peer
 * process took a third of a second to exit after its download (docs/performance.md).
 */
public final class PeerSpawn {

    /**
     * The flags of this JVM a spawned server gets too: the JIT tier and thresholds and the
     * class-data-sharing archive bin/dfget chose fit it as well (same classpath; docs/
     * performance.md, "Hashing without C2"), and bin/launch's Netty JFR switch.
     */
    private static final List<String> INHERITED_JVM_FLAGS = List.of("-XX:SharedArchiveFile=", "-Xlog:cds",
            "-XX:TieredStopAtLevel=", "-XX:CompileThresholdScaling=", "-Dio.netty.jfr.enabled=");

    private PeerSpawn() {}

    /** The server option that has it read the command line of the dfget that started it from its stdin. */
    public static final String CLIENT_LINE_ON_STDIN = "--client-line-on-stdin";

    /**
     * Starts the peer process of {@code home} in the background, without waiting for it.
     *
     * @param clientLine the command line of the dfget that starts it (the process takes its server
     *                   options from it); on the new process's stdin, not its arguments, which
     *                   every user of the host can read for as long as it runs (a {@code --header}
     *                   may hold a credential)
     */
    public static Started start(Path home, List<String> clientLine) throws IOException {
        Files.createDirectories(home.resolve("logs"));
        List<String> cmd = new ArrayList<>();
        cmd.add("/bin/sh");
        cmd.add("-c");
        // fd 3 keeps our pipe: a background job's stdin is /dev/null before its own redirections
        cmd.add("exec 3<&0; \"$@\" <&3 3<&- >>\"$0\" 2>&1 & echo $!");
        cmd.add(home.resolve("logs").resolve("uploader.out").toString());
        if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
            cmd.add("/usr/bin/setsid"); // its own session: a Ctrl-C of this dfget must not stop it
        }
        cmd.add(javaCommand());
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-Xmx64m");
        for (String arg : jvmFlags()) {
            if (INHERITED_JVM_FLAGS.stream().anyMatch(arg::startsWith)) {
                cmd.add(arg);
            }
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("io.smalldragonfly.dfget.DfgetMain");
        cmd.add("server");
        cmd.add("--home");
        cmd.add(home.toAbsolutePath().toString());
        cmd.add(CLIENT_LINE_ON_STDIN);
        Process sh = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try (OutputStream in = sh.getOutputStream()) {
            in.write(PeerCli.encode(new PeerCli.Request(Path.of("").toAbsolutePath(), false, clientLine)));
        } catch (IOException e) {
            // it exited already; the caller sees it not answering
        }
        String pid;
        try (InputStream out = sh.getInputStream()) {
            pid = new String(out.readAllBytes(), StandardCharsets.US_ASCII).trim();
        }
        try {
            sh.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            return new Started(Long.parseLong(pid), home);
        } catch (NumberFormatException e) {
            throw new IOException("starting the peer process: /bin/sh printed '" + pid + "' (expected its pid)");
        }
    }

    /** A peer process started in the background ({@link #start}), by its pid. */
    public record Started(long pid, Path home) {

        /**
         * Whether it has exited and no other process holds the home in its place: a second one
         * started at the same time yields the home to the first and exits, and that is no failure.
         */
        public boolean failed() {
            if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                return false;
            }
            try (FileChannel ch = FileChannel.open(home.resolve(UploadServerClient.LOCK_FILE), StandardOpenOption.WRITE)) {
                FileLock free = ch.tryLock();
                if (free == null) {
                    return false;
                }
                free.release();
                return true;
            } catch (NoSuchFileException e) {
                return true; // it never got as far as claiming the home
            } catch (OverlappingFileLockException e) {
                return false; // this JVM holds it (tests with a server in the same JVM)
            } catch (IOException e) {
                return true;
            }
        }
    }

    /** The command line {@link #start} gave the process, read from this process's stdin. */
    public static List<String> readClientLine(InputStream stdin) throws IOException {
        return PeerCli.decode(stdin.readAllBytes()).args();
    }

    /**
     * This JVM's flags. From {@code /proc/self/cmdline} (the java arguments before the main
     * class) where there is one: the management bean that also tells costs a fresh JVM ~100
     * classes.
     */
    private static List<String> jvmFlags() {
        try {
            String[] argv = new String(Files.readAllBytes(Path.of("/proc/self/cmdline")),
                    java.nio.charset.StandardCharsets.UTF_8).split("\0");
            List<String> flags = new ArrayList<>();
            for (int i = 1; i < argv.length && argv[i].startsWith("-"); i++) {
                if (argv[i].equals("-cp") || argv[i].equals("-classpath")) {
                    i++;
                } else {
                    flags.add(argv[i]);
                }
            }
            return flags;
        } catch (IOException | RuntimeException e) {
            return java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments();
        }
    }

    private static String javaCommand() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }
}
