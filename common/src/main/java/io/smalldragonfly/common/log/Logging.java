package io.smalldragonfly.common.log;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import java.net.URL;
import java.nio.file.Path;
import org.slf4j.LoggerFactory;

/** Switches a binary from the bootstrap logging (stderr warnings) to its own rolling file. */
public final class Logging {

    private Logging() {}

    /**
     * @param logDir  where {@code <name>.log} rolls, e.g. {@code ~/.small-dragonfly/logs}
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
