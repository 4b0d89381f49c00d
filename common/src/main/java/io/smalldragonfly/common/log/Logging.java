package io.smalldragonfly.common.log;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.filter.ThresholdFilter;
import ch.qos.logback.classic.sift.SiftingAppender;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.Context;
import ch.qos.logback.core.rolling.RollingFileAppender;
import ch.qos.logback.core.rolling.SizeAndTimeBasedRollingPolicy;
import ch.qos.logback.core.util.Duration;
import ch.qos.logback.core.util.FileSize;
import java.nio.file.Path;
import org.slf4j.LoggerFactory;

/**
 * Switches a binary from the bootstrap logging (stderr warnings) to its own rolling file, and
 * sends the download engine's lines to the home's client log.
 *
 * <p>The client log, {@code <logDir>/dfclient.log}, is where the original's users look for a
 * download's {@code downloading piece:{...}} lines: the original's dfget wrote them there, also when
 * dfdaemon ran it for a layer. Here the engine runs inside whichever process asked for the download
 * (dfget, dfdaemon, the upload server), so its loggers ({@link #ENGINE_LOGGER}) write to the client
 * log of the home whose logs are configured, and only there; the process's own file
 * ({@code dfdaemon.log}, ...) keeps everything else ({@link ClientLogDiscriminator} decides).
 *
 * <p>Configured in code rather than by a logback XML file: Joran's XML parsing costs every fresh JVM
 * (each peer process, each download run in-process) about 0.1 CPU-seconds.
 */
public final class Logging {

    /** The download engine's loggers (dfget's package {@code io.smalldragonfly.dfget.engine}). */
    public static final String ENGINE_LOGGER = "io.smalldragonfly.dfget.engine";

    /** The client log's base name, the original dfget's: {@code <logDir>/dfclient.log}. */
    public static final String CLIENT_LOG = "dfclient";

    private Logging() {}

    /**
     * @param logDir  where {@code <name>.log} (and the client log) roll, e.g. {@code ~/.small-dragonfly/logs}
     * @param name    the file's base name ({@code dfclient} for dfget, as the original)
     * @param verbose DEBUG instead of INFO
     * @param console also show INFO (or DEBUG) on stderr; otherwise stderr carries warnings only
     */
    public static void configure(Path logDir, String name, boolean verbose, boolean console) {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        ctx.reset();
        Level level = verbose ? Level.DEBUG : Level.INFO;
        String dir = logDir.toAbsolutePath().toString();

        ClientLogDiscriminator discriminator = new ClientLogDiscriminator();
        discriminator.setContext(ctx);
        discriminator.setOwnLog(name);
        discriminator.start();
        SiftingAppender files = new SiftingAppender();
        files.setContext(ctx);
        files.setName("FILE");
        files.setDiscriminator(discriminator);
        files.setTimeout(Duration.buildByHours(1)); // a file idle this long is closed, and opened again on its next line
        files.setAppenderFactory((context, file) -> rollingFile(context, dir, file));
        files.start();

        ThresholdFilter consoleLevel = new ThresholdFilter();
        consoleLevel.setLevel((console ? level : Level.WARN).levelStr);
        consoleLevel.start();
        ConsoleAppender<ILoggingEvent> stderr = stderr(ctx);
        stderr.addFilter(consoleLevel);
        stderr.start();

        ch.qos.logback.classic.Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.setLevel(level);
        root.addAppender(files);
        root.addAppender(stderr);
        ctx.getLogger("io.netty").setLevel(Level.WARN);
        Timeline.configure(ctx, dir, name);
    }

    /** {@code <dir>/<file>.log}, rolled daily and at 100 MB, 7 days and 1 GB kept. */
    private static Appender<ILoggingEvent> rollingFile(Context ctx, String dir, String file) {
        RollingFileAppender<ILoggingEvent> a = new RollingFileAppender<>();
        a.setContext(ctx);
        a.setName("FILE-" + file);
        a.setFile(dir + "/" + file + ".log");
        SizeAndTimeBasedRollingPolicy<ILoggingEvent> rolling = new SizeAndTimeBasedRollingPolicy<>();
        rolling.setContext(ctx);
        rolling.setParent(a);
        rolling.setFileNamePattern(dir + "/" + file + ".%d{yyyy-MM-dd}.%i.log.gz");
        rolling.setMaxFileSize(FileSize.valueOf("100MB"));
        rolling.setMaxHistory(7);
        rolling.setTotalSizeCap(FileSize.valueOf("1GB"));
        rolling.start();
        a.setRollingPolicy(rolling);
        a.setEncoder(encoder(ctx, "%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level [%thread] %logger{0} - %msg%n"));
        a.start();
        return a;
    }

    /** An appender to stderr with the short console pattern, not yet started (filters may be added). */
    static ConsoleAppender<ILoggingEvent> stderr(Context ctx) {
        ConsoleAppender<ILoggingEvent> a = new ConsoleAppender<>();
        a.setContext(ctx);
        a.setName("STDERR");
        a.setTarget("System.err");
        a.setEncoder(encoder(ctx, "%d{HH:mm:ss.SSS} %-5level %logger{0} - %msg%n"));
        return a;
    }

    static PatternLayoutEncoder encoder(Context ctx, String pattern) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(ctx);
        encoder.setPattern(pattern);
        encoder.start();
        return encoder;
    }
}
