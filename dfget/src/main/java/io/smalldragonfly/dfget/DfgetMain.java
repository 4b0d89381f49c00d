package io.smalldragonfly.dfget;

import picocli.CommandLine;

/** Entry point of {@code bin/dfget}. */
public final class DfgetMain {
    private DfgetMain() {}

    public static void main(String[] args) {
        // `dfget server` (the peer process, started by the first dfget of a home) builds only its own
        // command's model: picocli reading every option of the download command too costs a fresh
        // JVM ~0.1 CPU-seconds, paid by every peer process that starts.
        if (args.length > 0 && args[0].equals("server")) {
            CommandLine server = configure(new CommandLine(new ServerCommand()));
            server.setCommandName("dfget server");
            System.exit(server.execute(java.util.Arrays.copyOfRange(args, 1, args.length)));
        }
        System.exit(commandLine().execute(args));
    }

    /** The configured command line: bad input prints one line and exits with {@link ExitCodes#USAGE}. */
    public static CommandLine commandLine() {
        return configure(new CommandLine(new DfgetCommand()));
    }

    private static CommandLine configure(CommandLine cl) {
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine c = ex.getCommandLine();
            c.getErr().println("dfget: " + ex.getMessage() + " (see 'dfget --help')");
            c.getErr().flush();
            return ExitCodes.USAGE;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            if (ex instanceof CommandLine.ParameterException pe) {
                c.getErr().println("dfget: " + pe.getMessage() + " (see 'dfget --help')");
                c.getErr().flush();
                return ExitCodes.USAGE;
            }
            c.getErr().println("dfget: " + ex);
            c.getErr().flush();
            return ExitCodes.LOCAL_ERROR;
        });
        return cl;
    }
}
