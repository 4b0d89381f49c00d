package io.smalldragonfly.common.log;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import java.net.URL;
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
        String level = verbose ? "DEBUG" : "INFO";
        ctx.putProperty("LOG_DIR", logDir.toAbsolutePath().toString());
        ctx.putProperty("LOG_NAME", name);
        ctx.putProperty("LOG_LEVEL", level);
        ctx.putProperty("CONSOLE_LEVEL", console ? level : "WARN");
        URL config = Logging.class.getResource("logback-app.xml");
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(ctx);
        try {
            configurator.doConfigure(config);
        } catch (JoranException e) {
            throw new IllegalStateException("logging: cannot configure " + config, e);
        }
        Timeline.configure(ctx);
    }
}
