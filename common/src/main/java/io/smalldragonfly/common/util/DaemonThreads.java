package io.smalldragonfly.common.util;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Thread factories for the project's own executors: daemon threads (a pool never keeps a process
 * alive after its main work ends) with names that say what they do, as profiles, thread dumps and
 * log lines show them. Netty's event loops get theirs from {@code Transport}, whose
 * {@code DefaultThreadFactory} threads carry Netty's fast thread-locals.
 */
public final class DaemonThreads {

    private DaemonThreads() {}

    /** Every thread named {@code name}: for a single-thread executor. */
    public static ThreadFactory named(String name) {
        return r -> daemon(r, name);
    }

    /** Threads named {@code prefix-1}, {@code prefix-2}, ...: for a pool. */
    public static ThreadFactory numbered(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> daemon(r, prefix + "-" + n.incrementAndGet());
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
