package io.smalldragonfly.dfget.store;

import io.smalldragonfly.common.BadInputException;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * The upload server's data directory ({@code <home>/data}): for each served task, the content file
 * {@code <taskFileName>} (a hard link to the download's temp file, then to the finished file), its
 * {@code .pieces} map and its {@code .meta}. Names are checked so no request reaches outside.
 */
public record DataDir(Path dir) {

    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,200}");
    public static final String PIECES = ".pieces";
    public static final String META = ".meta";

    public DataDir {
        dir = dir.toAbsolutePath().normalize();
    }

    /** Whether {@code name} can name a served content file: no separators, no dots-only, no sidecar suffix. */
    public static boolean isSafeName(String name) {
        return name != null && SAFE.matcher(name).matches() && !name.contains("..")
                && !name.endsWith(PIECES) && !name.endsWith(META) && !name.endsWith(".tmp");
    }

    /** Turns any string (an output file name) into a safe task file name stem. */
    public static String sanitize(String s) {
        String out = s.replaceAll("[^A-Za-z0-9._-]", "_").replaceAll("\\.\\.+", "_");
        if (out.isEmpty() || !Character.isLetterOrDigit(out.charAt(0))) {
            out = "f" + out;
        }
        return out.length() > 100 ? out.substring(0, 100) : out;
    }

    public Path content(String name) {
        return resolve(name);
    }

    public Path pieces(String name) {
        return resolve(name + PIECES);
    }

    public Path meta(String name) {
        return resolve(name + META);
    }

    private Path resolve(String name) {
        Path p;
        try {
            p = dir.resolve(name).normalize();
        } catch (java.nio.file.InvalidPathException e) {
            throw new BadInputException("task file name: '" + name + "' is not a valid file name (expected a plain file name)");
        }
        if (p.getParent() == null || !p.getParent().equals(dir)) {
            throw new BadInputException("task file name: '" + name + "' (expected a plain file name)");
        }
        return p;
    }
}
