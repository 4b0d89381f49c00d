package io.smalldragonfly.common.log;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.sift.AbstractDiscriminator;

/**
 * Picks a log line's file for the sifting appender of {@link Logging}: the client log for the download
 * engine's loggers ({@link Logging#ENGINE_LOGGER}), the process's own file for the rest. For dfget
 * both are {@code dfclient}, so it gets one file; a process that never runs the engine (the
 * supernode) never opens a client log, since sifted files are opened on their first line.
 */
public final class ClientLogDiscriminator extends AbstractDiscriminator<ILoggingEvent> {

    /** The key of the sifted value: the file's base name. */
    static final String KEY = "LOG_FILE";

    private String ownLog;

    /** The process's own log's base name . */
    public void setOwnLog(String ownLog) {
        this.ownLog = ownLog;
    }

    @Override
    public void start() {
        if (ownLog == null || ownLog.isBlank()) {
            addError("ClientLogDiscriminator: ownLog is not set");
            return;
        }
        super.start();
    }

    @Override
    public String getDiscriminatingValue(ILoggingEvent e) {
        return fileFor(e.getLoggerName(), ownLog);
    }

    static String fileFor(String loggerName, String ownLog) {
        boolean engine = loggerName.equals(Logging.ENGINE_LOGGER) || loggerName.startsWith(Logging.ENGINE_LOGGER + ".");
        return engine ? Logging.CLIENT_LOG : ownLog;
    }

    @Override
    public String getKey() {
        return KEY;
    }
}
