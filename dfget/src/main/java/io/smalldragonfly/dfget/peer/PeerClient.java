package io.smalldragonfly.dfget.peer;

import io.smalldragonfly.common.protocol.Json;
import io.smalldragonfly.dfget.upload.UploadServerClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;

/**
 * The thin dfget's side of {@code POST /client/download}: sends one {@link DownloadOrder} to the
 * home's peer process and follows its {@link PeerEvent} lines to the end.
 */
public final class PeerClient {

    /** The peer process answers progress every 200 ms: this long without a line means it hangs. */
    static final int READ_TIMEOUT_MILLIS = 30_000;

    /** The server at the state's port takes no downloads (an older build's upload server). */
    public static final class NotAPeerException extends IOException {
        NotAPeerException(String message) {
            super(message);
        }
    }

    /** The peer process stopped answering before the download ended. */
    public static final class PeerGoneException extends IOException {
        PeerGoneException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Sees the download's progress as the peer process reports it. */
    public interface Listener {
        void accepted(String taskId);

        void progress(long bytes, long total);
    }

    private final UploadServerClient.State peer;
    private volatile HttpURLConnection connection;
    private volatile boolean aborted;

    public PeerClient(UploadServerClient.State peer) {
        this.peer = peer;
    }

    public UploadServerClient.State peer() {
        return peer;
    }

    /**
     * Runs {@code order} on the peer process and returns its terminal event ({@code done} or
     * {@code failed}).
     *
     * @throws NotAPeerException  when the server takes no downloads
     * @throws PeerGoneException  when the answer ended (or stalled) before a terminal event
     */
    public PeerEvent run(DownloadOrder order, Listener listener) throws IOException {
        if (peer.token() == null) {
            throw new NotAPeerException("the upload server of " + peer.home() + " (pid " + peer.pid()
                    + ") takes no downloads");
        }
        HttpURLConnection c = (HttpURLConnection) new URL("http", "127.0.0.1", peer.port(), DownloadHandler.PATH)
                .openConnection();
        connection = c;
        c.setConnectTimeout(3000);
        c.setReadTimeout(READ_TIMEOUT_MILLIS);
        c.setDoOutput(true);
        c.setRequestMethod("POST");
        c.setRequestProperty("Content-Type", "application/json");
        c.setRequestProperty(DownloadHandler.TOKEN_HEADER, peer.token());
        byte[] body = Json.write(order);
        c.setFixedLengthStreamingMode(body.length);
        try (OutputStream out = c.getOutputStream()) {
            out.write(body);
        }
        int status = c.getResponseCode();
        if (status == 404 || status == 403) {
            throw new NotAPeerException("the upload server of " + peer.home() + " answered " + status
                    + " to a download order");
        }
        if (status != 200) {
            throw new PeerGoneException("the peer process answered HTTP " + status, null);
        }
        try (BufferedReader in = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                PeerEvent e = Json.read(line, PeerEvent.class);
                if (e.terminal()) {
                    return e;
                }
                if (PeerEvent.ACCEPTED.equals(e.event())) {
                    listener.accepted(e.taskId());
                } else if (PeerEvent.PROGRESS.equals(e.event()) && e.bytes() != null) {
                    listener.progress(e.bytes(), e.total() == null ? -1 : e.total());
                }
            }
            throw new PeerGoneException(goneMessage(), null);
        } catch (PeerGoneException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            if (aborted) {
                throw new java.io.InterruptedIOException("download interrupted");
            }
            throw new PeerGoneException(goneMessage(), e);
        } finally {
            c.disconnect();
        }
    }

    private String goneMessage() {
        return "the peer process of " + peer.home() + " (pid " + peer.pid() + ") stopped before the download ended";
    }

    /** Ends the order (Ctrl-C): the peer process cancels the download and keeps its files for a resume. */
    public void abort() {
        aborted = true;
        HttpURLConnection c = connection;
        if (c != null) {
            c.disconnect();
        }
    }
}
