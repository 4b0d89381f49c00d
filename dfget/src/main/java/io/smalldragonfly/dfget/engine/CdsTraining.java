package io.smalldragonfly.dfget.engine;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.smalldragonfly.common.log.Logging;
import io.smalldragonfly.common.piece.PieceFraming;
import io.smalldragonfly.common.protocol.ApiResponse;
import io.smalldragonfly.common.protocol.CdnNode;
import io.smalldragonfly.common.protocol.Json;
import io.smalldragonfly.common.protocol.PieceTask;
import io.smalldragonfly.common.protocol.RegisterResult;
import io.smalldragonfly.common.protocol.ResultCode;
import io.smalldragonfly.common.protocol.TaskFinish;
import io.smalldragonfly.common.task.TaskId;
import io.smalldragonfly.common.util.Digests;
import io.smalldragonfly.dfget.DfgetCli;
import io.smalldragonfly.dfget.ThinClient;
import io.smalldragonfly.dfget.peer.PeerDownloads;
import io.smalldragonfly.dfget.store.DataDir;
import io.smalldragonfly.dfget.upload.UploadServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * The build's training run for dfget's class-data-sharing archive (bin/dfget uses
 * {@code dfget/target/dfget.jsa} when it is there and current; see docs/performance.md): parses a
 * command line, then has a peer process (in this JVM) download a few pieces for a thin client
 * through an in-process stand-in for a supernode and its CDN, so the archive holds the classes of
 * both sides of a real CDN download (picocli, logback, Jackson, the client's order, the engine, the
 * JDK's HTTP client and digests) and serves a piece from the upload server (Netty). Not used at run time;  touches nothing outside a temp
 * directory, spawns no process.
 *
 * <p>usage (the dfget pom runs it at {@code package}):
 * {@code java -XX:ArchiveClassesAtExit=dfget.jsa -cp ... io.smalldragonfly.dfget.engine.CdsTraining}
 */
public final class CdsTraining {

    private static final int PIECE_SIZE = 1024 * 1024;
    private static final int PIECES = 3;

    private CdsTraining() {}

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("dfget-cds");
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        try {
            run(dir, server);
        } finally {
            server.stop(0);
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        System.exit(0);
    }

    private static void run(Path dir, HttpServer server) throws Exception {
        int port = server.getAddress().getPort();
        String url = "http://127.0.0.1:" + port + "/file";
        Class.forName("io.smalldragonfly.dfget.DfgetMain"); // the entry point, archived with the rest
        DfgetCli.commandLine().parseArgs("-u", url, "-o", dir.resolve("out").toString(), "-n",
                "127.0.0.1:" + port, "-p", "cdn", "--json");
        DfgetCli.commandLine().getUsageMessage();
        Logging.configure(dir.resolve("logs"), "dfclient", false, false);

        int content = PIECE_SIZE - PieceFraming.OVERHEAD;
        long length = (long) content * PIECES - 1000;
        byte[] file = new byte[(int) length];
        new Random(1).nextBytes(file);
        String taskId = TaskId.compute(url, null, null).value();
        List<byte[]> framed = new ArrayList<>();
        List<PieceTask> tasks = new ArrayList<>();
        long framedTotal = 0;
        for (int n = 0; n < PIECES; n++) {
            int len = (int) Math.min(content, length - (long) n * content);
            byte[] f = new byte[len + PieceFraming.OVERHEAD];
            System.arraycopy(PieceFraming.headerBytes(len, PIECE_SIZE), 0, f, 0, PieceFraming.HEADER_LENGTH);
            System.arraycopy(file, n * content, f, PieceFraming.HEADER_LENGTH, len);
            f[f.length - 1] = PieceFraming.TRAILER;
            framed.add(f);
            long start = (long) n * PIECE_SIZE;
            tasks.add(new PieceTask(start + "-" + (start + PIECE_SIZE - 1), n, PIECE_SIZE,
                    Digests.hex(Digests.md5().digest(f)) + ":" + f.length, CdnNode.cid("127.0.0.1", taskId),
                    "127.0.0.1", port, "/cdn/" + n, 0, Digests.hex(Digests.sha256().digest(f))));
            framedTotal += f.length;
        }
        String md5 = Digests.hex(Digests.md5().digest(file));
        AtomicInteger polls = new AtomicInteger();
        long total = framedTotal;
        server.createContext("/peer/registry", x -> json(x, ApiResponse.of(ResultCode.OK,
                new RegisterResult(taskId, length, PIECE_SIZE, "supernode"))));
        server.createContext("/peer/task", x -> {
            int p = polls.getAndIncrement();
            json(x, p == 0 ? ApiResponse.of(ResultCode.PEER_CONTINUE, tasks)
                    : p < PIECES ? ApiResponse.of(ResultCode.PEER_CONTINUE, List.of())
                    : ApiResponse.of(ResultCode.PEER_FINISH, new TaskFinish(total, md5)));
        });
        server.createContext("/peer/piece", x -> json(x, ApiResponse.success()));
        server.createContext("/cdn/", x -> {
            byte[] f = framed.get(Integer.parseInt(x.getRequestURI().getPath().substring(5)));
            x.getRequestBody().readAllBytes();
            x.sendResponseHeaders(206, f.length);
            try (OutputStream out = x.getResponseBody()) {
                out.write(f);
            }
        });
        server.start();

        // The download as bin/dfget runs it: a thin client ordering it from the home's peer process
        // (here in this JVM: both processes start from the same classpath and archive), whose
        // upload server then serves a piece too.
        PeerDownloads downloads = new PeerDownloads("training");
        try (UploadServer uploader = UploadServer.start(UploadServer.Config.of(dir), downloads)) {
            downloads.open(new DownloadEngine(new EngineConfig(dir, "127.0.0.1", "training", uploader.port(), 4,
                    Duration.ofSeconds(30), 0)), uploader::rateShare, uploader::touch, DfgetCli.runnerFor(dir, downloads));
            java.io.StringWriter out = new java.io.StringWriter();
            java.io.StringWriter err = new java.io.StringWriter();
            int code = new ThinClient(new java.io.PrintWriter(out), new java.io.PrintWriter(err)).forward(uploader.port(),
                    "training", dir, new String[] {"-u", url, "-o", "out", "-n", "127.0.0.1:" + port, "-p", "cdn",
                        "--cdnport", Integer.toString(port), "--json", "--home", dir.toString()});
            if (code != 0 || !out.toString().contains(md5)) {
                throw new IOException("training download: exit " + code + ", " + out + err);
            }
            String served;
            try (Stream<Path> s = Files.list(dir.resolve("data"))) {
                served = s.map(p -> p.getFileName().toString()).filter(DataDir::isSafeName).findFirst()
                        .orElseThrow(() -> new IOException("training download: nothing served"));
            }
            PieceTask fromPeer = new PieceTask(tasks.get(0).range(), 0, PIECE_SIZE, tasks.get(0).pieceMd5(),
                    "training", "127.0.0.1", uploader.port(), "/peer/file/" + served, 0, tasks.get(0).pieceSha256());
            try (FileChannel ch = FileChannel.open(dir.resolve("piece"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE)) {
                PieceOutcome o = new PieceFetcher(Http.plain(), 5000).fetch(fromPeer, PIECE_SIZE,
                        framed.get(0).length, ch, 0, System.nanoTime() + 30_000_000_000L, () -> false,
                        new Counters());
                if (!o.success()) {
                    throw new IOException("training piece from the upload server: " + o.message());
                }
            }
        } finally {
            downloads.close();
        }
    }

    private static void json(HttpExchange x, ApiResponse r) throws IOException {
        x.getRequestBody().readAllBytes();
        byte[] body = Json.write(r);
        x.getResponseHeaders().set("Content-Type", "application/json;charset=utf-8");
        x.sendResponseHeaders(200, body.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(body);
        }
    }
}
