package io.smalldragonfly.dfget;

/**
 * Entry point of {@code bin/dfget}. It names no library class: the JVM verifying this class would
 * load those (picocli's are not in the class-data-sharing archive, being Java 5 classes), and the
 * usual run, a thin client of a running peer process, needs none of them.
 */
public final class DfgetMain {
    private DfgetMain() {}

    public static void main(String[] args) {
        if (args.length == 0 || !args[0].equals("server")) {
            // The usual case: the home's peer process runs and takes the command line as typed
            // (ThinClient); this JVM then loads nothing but the JDK.
            Integer code = ThinClient.tryForward(args);
            if (code != null) {
                System.exit(code);
            }
        }
        DfgetCli.main(args);
    }
}
