package io.smalldragonfly.dfget;

import io.smalldragonfly.dfget.peer.PeerCli;
import io.smalldragonfly.dfget.upload.PeerSpawn;
import io.smalldragonfly.dfget.upload.UploadServerClient;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;

/**
 * dfget as a terminal of the home's peer process: sends the command line as typed to the running
 * peer process ({@link PeerCli}), prints what the command prints there and exits with its code.
 * Only the JDK and {@link PeerCli} load here: no picocli, logging or JSON, which are what a dfget
 * JVM spent most of its start on. When no peer process runs for the home, it starts one with this
 * command line and hands it the line once it listens. Help, version and {@code --in-process} are
 * left to the full command ({@link DfgetCli}), in this JVM.
 */
public final class ThinClient {

    /** Options the client answers itself, or that mean: run here. */
    private static final List<String> LOCAL = List.of("-h", "--help", "-V", "--version", "--in-process");
    /** How long a new peer process may take to listen (a loaded 2-core host starting 16 JVMs: seconds). */
    static final long START_TIMEOUT_MILLIS = 30_000;
    private static final java.util.regex.Pattern PORT = java.util.regex.Pattern.compile("\"port\"\\s*:\\s*(\\d+)");
    private static final java.util.regex.Pattern TOKEN = java.util.regex.Pattern.compile("\"token\"\\s*:\\s*\"([0-9a-zA-Z]+)\"");

    /** The peer at {@code port} answered that it takes no command line (409: another home; 403/404/503). */
    static final class Refused extends IOException {
        final int status;

        Refused(int status) {
            super("HTTP " + status);
            this.status = status;
        }
    }

    private final PrintWriter out;
    private final PrintWriter err;
    private volatile Socket socket;
    private volatile boolean aborted;

    public ThinClient(PrintWriter out, PrintWriter err) {
        this.out = out;
        this.err = err;
    }

    /**
     * The usual path of {@code bin/dfget}: the exit code of {@code args} run by the home's peer
     * process, started here when none runs; or null when this client cannot hand them over (they
     * need the full command here, or the peer process that runs takes none, or none starts).
     */
    static Integer tryForward(String[] args) {
        return new ThinClient(new PrintWriter(System.out), new PrintWriter(System.err))
                .tryForward(args, Path.of("").toAbsolutePath(), PeerSpawn::start);
    }

    /** Starts the peer process of a home for a command line (PeerSpawn; a stand-in in tests). */
    interface Spawner {
        PeerSpawn.Started start(Path home, List<String> clientLine) throws IOException;
    }

    /** {@link #tryForward(String[])} for a client in {@code cwd} that starts peer processes with {@code spawner}. */
    Integer tryForward(String[] args, Path cwd, Spawner spawner) {
        if (args.length == 0 || Arrays.stream(args).anyMatch(a -> LOCAL.contains(a) || a.startsWith("@"))) {
            return null; // picocli expands @files relative to its own process; help text is printed here
        }
        Path home = homeOf(args, cwd);
        Peer running = Peer.of(home);
        if (running != null) {
            try {
                return forward(running.port(), running.token(), cwd, args);
            } catch (Refused e) {
                return null; // an older upload server, or a stranger on the port: the full path decides
            } catch (IOException e) {
                // nothing listens there any more: a stale state file; start a peer process below
            }
        }
        return startPeerAndForward(home, cwd, args, spawner);
    }

    /** A peer process as its state file names it (UploadServerClient.writeState). */
    private record Peer(int port, String token) {
        /** The peer process the home's state file names, or null when there is none (or it is unreadable). */
        static Peer of(Path home) {
            try {
                // The file is ours: two fields are all this needs, and a JSON parser would cost
                // this JVM more than the rest of its work.
                // (STATE_FILE is a compile-time constant: naming it does not load UploadServerClient.)
                String state = Files.readString(home.resolve(UploadServerClient.STATE_FILE));
                Matcher p = PORT.matcher(state);
                Matcher t = TOKEN.matcher(state);
                return p.find() && t.find() ? new Peer(Integer.parseInt(p.group(1)), t.group(1)) : null;
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }
    }

    /**
     * Starts the home's peer process with this command line (it takes its {@code --alivetime},
     * {@code --port}, ... from it), waits until it listens and hands it the line; null when it
     * does not start (the full command then says why, or runs the download here).
     */
    private Integer startPeerAndForward(Path home, Path cwd, String[] args, Spawner spawner) {
        PeerSpawn.Started p;
        try {
            p = spawner.start(home, List.of(args));
        } catch (IOException | RuntimeException e) {
            return null;
        }
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MILLIS);
        while (System.nanoTime() < deadline) {
            Peer peer = Peer.of(home); // a stale file until the new process (or a rival's) writes its own
            if (peer != null) {
                try {
                    return forward(peer.port(), peer.token(), cwd, args);
                } catch (Refused e) {
                    if (e.status != 503) {
                        return null;
                    }
                } catch (IOException e) {
                    // not listening yet (the stale file's port)
                }
            }
            if (p.failed()) {
                return null; // the full command starts it again and reports why it exits
            }
            try {
                Thread.sleep(20); // waiting on another process: there is nothing to block on
            } catch (InterruptedException e) {
                return ExitCodes.CANCELLED;
            }
        }
        return null;
    }

    /** dfget's home when no {@code --home} is given. */
    static Path defaultHome() {
        return Path.of(System.getProperty("user.home"), ".small-dragonfly");
    }

    /**
     * {@code --home} as picocli would read it ({@code --home H} or {@code --home=H}, the last one
     * counts), else the default. A guess only: the peer process parses the line itself and
     * answers 409 when the home it finds is not its own.
     */
    static Path homeOf(String[] args, Path cwd) {
        String home = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--home") && i + 1 < args.length) {
                home = args[++i];
            } else if (args[i].startsWith("--home=")) {
                home = args[i].substring("--home=".length());
            }
        }
        Path h = home == null ? defaultHome() : Path.of(home);
        return cwd.resolve(h).normalize();
    }

    /**
     * Runs {@code args} on the peer process at {@code port} and prints what it prints; returns its
     * exit code.
     *
     * @throws Refused     when it takes no command line from us (nothing was printed)
     * @throws IOException when it cannot be reached (nothing was printed)
     */
    public int forward(int port, String token, Path cwd, String[] args) throws IOException {
        byte[] body = PeerCli.encode(new PeerCli.Request(cwd, System.console() != null, List.of(args)));
        Socket s = new Socket();
        socket = s;
        try {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 3000);
            s.setSoTimeout(30_000); // the peer sends a heartbeat every second while a download runs
            OutputStream o = s.getOutputStream();
            o.write(("POST " + PeerCli.PATH + " HTTP/1.1\r\nHost: 127.0.0.1:" + port
                    + "\r\nContent-Type: application/octet-stream\r\n" + PeerCli.TOKEN_HEADER + ": " + token
                    + "\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            o.write(body);
            o.flush();
            InputStream in = new BufferedInputStream(s.getInputStream());
            Answer a = answer(in);
            if (a.status() != 200) {
                throw new Refused(a.status());
            }
            Thread hook = new Thread(this::abort, "dfget-interrupt"); // Ctrl-C: the peer cancels, files stay
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                return follow(a.body());
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException e) {
                    // shutting down already
                }
            }
        } finally {
            s.close();
        }
    }

    /** An answer's status line and the body that follows its head. */
    record Answer(int status, InputStream body) {}

    /**
     * Reads the head of the peer's answer. RunHandler streams the frames until it closes the
     * connection (neither a length nor chunks); a body of a given length is taken too (a refusal,
     * a stand-in). A chunked one is another server's: refused, so the full command runs here.
     */
    static Answer answer(InputStream in) throws IOException {
        String statusLine = headLine(in);
        int status;
        try {
            status = statusLine.startsWith("HTTP/1.") ? Integer.parseInt(statusLine.substring(9, 12)) : -1;
        } catch (NumberFormatException | IndexOutOfBoundsException e) {
            status = -1;
        }
        if (status < 0) {
            throw new Refused(0);
        }
        long length = -1;
        for (String h; !(h = headLine(in)).isEmpty(); ) {
            int colon = h.indexOf(':');
            String name = colon < 0 ? h : h.substring(0, colon).trim();
            String value = colon < 0 ? "" : h.substring(colon + 1).trim();
            if (name.equalsIgnoreCase("Transfer-Encoding")) {
                throw new Refused(status);
            }
            if (name.equalsIgnoreCase("Content-Length")) {
                try {
                    length = Long.parseLong(value);
                } catch (NumberFormatException e) {
                    throw new Refused(status);
                }
            }
        }
        // A sized body is a short one (a refusal, a test's stand-in): read it whole.
        return new Answer(status, length < 0 ? in : new java.io.ByteArrayInputStream(in.readNBytes((int) Math.min(length, 1 << 20))));
    }

    /** One CRLF-terminated line of a response head, without the CRLF; at most 8 KiB. */
    private static String headLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int c; (c = in.read()) != '\n'; ) {
            if (c < 0) {
                throw new IOException("the peer closed the connection in the answer's head");
            }
            if (line.length() > 8192) {
                throw new Refused(0);
            }
            if (c != '\r') {
                line.append((char) c);
            }
        }
        return line.toString();
    }

    /** Prints the frames of the answer until the exit code. */
    private int follow(InputStream body) {
        byte[][] ifGone = null;
        try (DataInputStream in = new DataInputStream(body)) {
            PeerCli.Frame f;
            while ((f = PeerCli.read(in)) != null) {
                switch (f.type()) {
                    case PeerCli.STDOUT -> print(out, f.payload());
                    case PeerCli.STDERR -> print(err, f.payload());
                    case PeerCli.IF_GONE -> ifGone = f.ifGoneTexts();
                    case PeerCli.EXIT -> {
                        return f.exitCode();
                    }
                    default -> { } // a heartbeat, or a frame type of a newer peer
                }
            }
        } catch (IOException e) {
            if (aborted) {
                return ExitCodes.CANCELLED;
            }
        }
        if (aborted) {
            return ExitCodes.CANCELLED;
        }
        if (ifGone != null) {
            print(out, ifGone[0]);
            print(err, ifGone[1]);
        } else {
            err.println("dfget: the peer process stopped before it answered (run dfget again)");
            err.flush();
        }
        return ExitCodes.LOCAL_ERROR;
    }

    /** A frame holds what one flush of a writer in the peer wrote: whole UTF-8 characters. */
    private static void print(PrintWriter w, byte[] text) {
        w.write(new String(text, StandardCharsets.UTF_8));
        w.flush();
    }

    private void abort() {
        aborted = true;
        Socket s = socket;
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                // closing is all that was asked
            }
        }
    }
}
