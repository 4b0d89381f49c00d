package io.smalldragonfly.dfget.upload;

import io.smalldragonfly.common.http.HttpStatusException;
import io.smalldragonfly.common.http.RangeNotSatisfiableException;
import io.smalldragonfly.common.piece.PieceFraming;
import io.smalldragonfly.dfget.store.DataDir;
import io.smalldragonfly.dfget.store.PieceMap;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Decides what a piece request gets (no Netty here): the file must be a plain name in the data
 * directory with a piece map, and the Range must be one whole piece's wire range
 * ({@code n*pieceSize ..}) of a piece already on disk. Unknown files are 404, anything else not
 * servable is 416. Also remembers when each file was last served, for expiry.
 */
final class PieceStore {

    private final DataDir dataDir;
    private final Path realDir;
    private final Map<String, Long> lastServed = new ConcurrentHashMap<>();

    PieceStore(DataDir dataDir) throws IOException {
        this.dataDir = dataDir;
        Files.createDirectories(dataDir.dir());
        this.realDir = dataDir.dir().toRealPath();
    }

    DataDir dataDir() {
        return dataDir;
    }

    ServedPiece locate(String name, String rangeHeader) {
        if (!DataDir.isSafeName(name)) {
            throw HttpStatusException.notFound("file: '" + name + "' is unknown (expected a task file name)");
        }
        Path content = dataDir.content(name);
        PieceMap.Entry head;
        try {
            if (!Files.isRegularFile(content) || !content.toRealPath().getParent().equals(realDir)) {
                throw HttpStatusException.notFound("file: '" + name + "' is unknown");
            }
            head = PieceMap.read(dataDir.pieces(name), -1);
        } catch (IOException e) {
            throw HttpStatusException.notFound("file: '" + name + "' is unknown");
        }
        if (head == null) {
            throw HttpStatusException.notFound("file: '" + name + "' is unknown");
        }
        long[] range = parseRange(rangeHeader);
        int pieceSize = head.pieceSize();
        if (range[0] % pieceSize != 0) {
            throw new RangeNotSatisfiableException("Range: '" + rangeHeader + "' (expected a piece's range, starting at a multiple of "
                    + pieceSize + ")", framed(head));
        }
        long n = range[0] / pieceSize;
        PieceMap.Entry entry;
        try {
            entry = n > Integer.MAX_VALUE ? null : PieceMap.read(dataDir.pieces(name), (int) n);
        } catch (IOException e) {
            entry = null;
        }
        if (entry == null || !entry.present()) {
            throw new RangeNotSatisfiableException("piece " + n + " of '" + name + "' is not here (yet)", framed(head));
        }
        int framedLen = entry.pieceContentLength() + PieceFraming.OVERHEAD;
        if (range[1] - range[0] + 1 < framedLen) {
            throw new RangeNotSatisfiableException("Range: '" + rangeHeader + "' (expected the whole piece, "
                    + framedLen + " bytes)", framed(head));
        }
        lastServed.put(name, System.currentTimeMillis());
        return new ServedPiece(name, content, (int) n, pieceSize, n * (pieceSize - PieceFraming.OVERHEAD),
                entry.pieceContentLength(), range[0], framed(entry));
    }

    private static long framed(PieceMap.Entry e) {
        long len = e.contentLength();
        if (len < 0) {
            return -1;
        }
        int cpp = e.pieceSize() - PieceFraming.OVERHEAD;
        long pieces = (len + cpp - 1) / cpp;
        return len + pieces * PieceFraming.OVERHEAD;
    }

    /** {@code bytes=a-b} (or {@code bytes=a-}) only; pieces are never asked for any other way. */
    static long[] parseRange(String header) {
        if (header == null) {
            throw HttpStatusException.badRequest("Range: missing (expected bytes=start-end of one piece)");
        }
        String h = header.trim();
        if (!h.regionMatches(true, 0, "bytes=", 0, 6) || h.indexOf(',') >= 0) {
            throw HttpStatusException.badRequest("Range: '" + header + "' (expected bytes=start-end of one piece)");
        }
        String spec = h.substring(6).trim();
        int dash = spec.indexOf('-');
        try {
            if (dash <= 0) {
                throw new NumberFormatException();
            }
            long start = Long.parseLong(spec.substring(0, dash).trim());
            String e = spec.substring(dash + 1).trim();
            long end = e.isEmpty() ? Long.MAX_VALUE : Long.parseLong(e);
            if (start < 0 || end < start) {
                throw new NumberFormatException();
            }
            return new long[] {start, end};
        } catch (NumberFormatException ex) {
            throw HttpStatusException.badRequest("Range: '" + header + "' (expected bytes=start-end, non-negative, start <= end)");
        }
    }

    /** When {@code name} was last served, or null. */
    Long lastServed(String name) {
        return lastServed.get(name);
    }

    void forget(String name) {
        lastServed.remove(name);
    }
}
