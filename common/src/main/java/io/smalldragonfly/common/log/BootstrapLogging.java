package io.smalldragonfly.common.log;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;
import org.slf4j.Logger;

/**
 * The logging every binary starts with, before {@link Logging#configure} (if it ever runs): warnings
 * to stderr only, so help text and a thin dfget's output stay clean.
 *
 * <p>In code, not in a {@code logback.xml}, because parsing an XML configuration costs a fresh JVM
 * about 0.1 CPU-seconds (the XML parser and Joran's model classes), and a dfget that only hands its
 * download to the home's peer process never needs more than this. Logback finds it through
 * {@code META-INF/services}; {@code -Dlogback.configurationFile=...} still wins.
 */
public final class BootstrapLogging extends ContextAwareBase implements Configurator {

    @Override
    public ExecutionStatus configure(LoggerContext ctx) {
        if (System.getProperty("logback.configurationFile") != null) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        ConsoleAppender<ILoggingEvent> stderr = Logging.stderr(ctx);
        stderr.start();
        ch.qos.logback.classic.Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.WARN);
        root.addAppender(stderr);
        ctx.getLogger("io.netty").setLevel(Level.WARN);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }
}
