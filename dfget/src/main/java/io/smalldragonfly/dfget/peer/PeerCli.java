package io.smalldragonfly.dfget.peer;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code POST /client/run} on the peer process's port, both sides of the wire: a thin dfget sends
 * its command line as typed, and the peer process runs the command itself (its picocli model,
 * checks, engine, summary and {@code --json} are warm there) and streams back what the command
 * prints and its exit code. The client needs nothing but the JDK for this, so its JVM starts in
 * ~0.1 CPU-seconds instead of the ~0.35 that building the command line's model, logging and JSON
 * cost (docs/performance.md, "The command line runs in the peer process").
 *
 * <p>Request body: the client's working directory, {@code 1} or {@code 0} (is stderr a terminal),
 * then the arguments, each UTF-8 and ended by a NUL byte (an argument cannot hold one). Answer:
 * {@code 200}, neither sized nor chunked (it ends when the peer closes the connection, so the
 * client reads it from a plain socket), with a stream of frames, each a type byte, a 4-byte big-endian length and that many
 * bytes: {@link #STDOUT} and {@link #STDERR} text to print as is, {@link #IF_GONE} what to print if
 * the stream ends early (the peer process died: it names the output and says nothing was written),
 * {@link #HEARTBEAT} (empty, every second while a download runs), and last {@link #EXIT} with the
 * 4-byte exit code. {@code 409} means the command line names another home than this process's
 * (the client then finds that home's peer process); {@code 403}, {@code 404} and {@code 503} that
 * this process takes no command lines now. No JSON and no Netty here: the client side loads this
 * class.
 */
public final class PeerCli {

    public static final String PATH = "/client/run";
    public static final String TOKEN_HEADER = "X-Dfget-Token";

    public static final byte STDOUT = 'o';
    public static final byte STDERR = 'e';
    public static final byte IF_GONE = 'g';
    public static final byte HEARTBEAT = 'h';
    public static final byte EXIT = 'x';

    /** A runner's exit code for a command line of another home: answered 409, nothing printed. */
    public static final int NOT_THIS_HOME = -409;

    private PeerCli() {}

    /** A command line as the client ran it. */
    public record Request(Path cwd, boolean tty, List<String> args) {
        public Request {
            args = List.copyOf(args);
        }
    }

    /** Runs one command line in the peer process; its output goes to {@code session}. */
    public interface Runner {
        int run(Request request, Session session);
    }

    /** Where a command running for a client writes, and how it tells that a download now runs. */
    public interface Session {
        java.io.PrintWriter out();

        java.io.PrintWriter err();

        /**
         * The download now runs for this client: cancel it when the client goes away, and tell
         * the client what to print should this process die before the end.
         */
        void running(io.smalldragonfly.dfget.engine.Download download, String stdoutIfGone, String stderrIfGone);
    }

    public static byte[] encode(Request r) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        field(b, r.cwd().toString());
        field(b, r.tty() ? "1" : "0");
        for (String a : r.args()) {
            field(b, a);
        }
        return b.toByteArray();
    }

    private static void field(ByteArrayOutputStream b, String s) {
        if (s.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("argument holds a NUL byte");
        }
        b.writeBytes(s.getBytes(StandardCharsets.UTF_8));
        b.write(0);
    }

    /** @throws IllegalArgumentException with what was expected, for a body that is not a command line */
    public static Request decode(byte[] body) {
        List<String> fields = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < body.length; i++) {
            if (body[i] == 0) {
                fields.add(new String(body, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        if (start != body.length) {
            throw new IllegalArgumentException("the last field is not NUL-terminated");
        }
        if (fields.size() < 2 || !(fields.get(1).equals("0") || fields.get(1).equals("1"))) {
            throw new IllegalArgumentException("expected NUL-terminated fields: cwd, 0|1, arguments...");
        }
        Path cwd;
        try {
            cwd = Path.of(fields.get(0));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("cwd: '" + fields.get(0) + "' is not a path");
        }
        if (!cwd.isAbsolute()) {
            throw new IllegalArgumentException("cwd: '" + cwd + "' (expected an absolute path)");
        }
        return new Request(cwd, fields.get(1).equals("1"), fields.subList(2, fields.size()));
    }

    /** One frame: type, 4-byte length, payload. */
    public static byte[] frame(byte type, byte[] payload) {
        return ByteBuffer.allocate(5 + payload.length).put(type).putInt(payload.length).put(payload).array();
    }

    public static byte[] exitFrame(int code) {
        return frame(EXIT, ByteBuffer.allocate(4).putInt(code).array());
    }

    /** The payload of an {@link #IF_GONE} frame: what goes to stdout, then to stderr. */
    public static byte[] ifGone(String stdout, String stderr) {
        byte[] out = stdout.getBytes(StandardCharsets.UTF_8);
        byte[] err = stderr.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(4 + out.length + err.length).putInt(out.length).put(out).put(err).array();
    }

    /** A frame as read; null at the end of the stream between frames. */
    public record Frame(byte type, byte[] payload) {
        public int exitCode() {
            return ByteBuffer.wrap(payload).getInt();
        }

        /** The stdout and stderr texts of an {@link #IF_GONE} frame. */
        public byte[][] ifGoneTexts() {
            ByteBuffer b = ByteBuffer.wrap(payload);
            byte[] out = new byte[b.getInt()];
            b.get(out);
            byte[] err = new byte[b.remaining()];
            b.get(err);
            return new byte[][] {out, err};
        }
    }

    /** The next frame, or null when the stream ended cleanly between frames. */
    public static Frame read(DataInputStream in) throws IOException {
        int type = in.read();
        if (type < 0) {
            return null;
        }
        int length = in.readInt();
        if (length < 0 || length > 16 * 1024 * 1024) {
            throw new IOException("frame of " + length + " bytes (expected 0 to 16 MiB)");
        }
        byte[] payload = new byte[length];
        try {
            in.readFully(payload);
        } catch (EOFException e) {
            throw new EOFException("stream ended inside a frame");
        }
        return new Frame((byte) type, payload);
    }
}
