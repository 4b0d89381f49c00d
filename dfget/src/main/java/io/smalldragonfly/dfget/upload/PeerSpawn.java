package io.smalldragonfly.dfget.upload;

import io.smalldragonfly.dfget.peer.PeerCli;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts a home's peer process, {@code dfget server --home H ...}, with this JVM's java, classpath
 * and the flags bin/dfget chose, in its own session, its output to {@code <home>/logs/uploader.out};
 * it outlives the process that started it. JDK classes only: the thin client starts peer
 * processes too ({@code ThinClient}), and loads no library.
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
    public static Process start(Path home, List<String> clientLine) throws IOException {
        Files.createDirectories(home.resolve("logs"));
        List<String> cmd = new ArrayList<>();
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
        Path out = home.resolve("logs").resolve("uploader.out");
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile()))
                .start();
        try (OutputStream in = p.getOutputStream()) {
            in.write(PeerCli.encode(new PeerCli.Request(Path.of("").toAbsolutePath(), false, clientLine)));
        } catch (IOException e) {
            // it exited already; the caller sees it not answering
        }
        return p;
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
