package io.smalldragonfly.supernode.scheduler;

/** Observes scheduling decisions (metrics); called under no lock the listener could contend for. */
public interface SchedulerListener {

    SchedulerListener NONE = (fromCdn, count) -> { };

    /** {@code count} pieces were handed out, from the CDN or from peers. */
    void scheduled(boolean fromCdn, int count);
}
