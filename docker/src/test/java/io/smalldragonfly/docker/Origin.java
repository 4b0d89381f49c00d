package io.smalldragonfly.docker;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;

/** A generated file served by a private nginx on 127.0.0.1 (scripts/nginx.sh): the download's source. */
record Origin(Path dir, String url, String md5, int size) implements AutoCloseable {

    static Origin start(int size, long seed) throws Exception {
        Files.createDirectories(DockerSupport.TARGET);
        Path dir = Files.createTempDirectory(DockerSupport.TARGET, "origin-");
        byte[] content = new byte[size];
        new Random(seed).nextBytes(content);
        Files.write(dir.resolve("file.bin"), content);
        String md5 = HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(content));
        int port = DockerSupport.freePort();
        DockerSupport.run(Duration.ofSeconds(30), null, DockerSupport.ROOT.resolve("scripts/nginx.sh").toString(),
                "start", "" + port, dir.toString()).ok();
        return new Origin(dir, "http://127.0.0.1:" + port + "/file.bin", md5, size);
    }

    @Override
    public void close() {
        DockerSupport.run(Duration.ofSeconds(30), null, DockerSupport.ROOT.resolve("scripts/nginx.sh").toString(),
                "stop", dir.toString());
        DockerSupport.deleteTree(dir);
    }
}
