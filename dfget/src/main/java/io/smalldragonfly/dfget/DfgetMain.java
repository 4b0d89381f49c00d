package io.smalldragonfly.dfget;

import picocli.CommandLine;

/** Entry point of {@code bin/dfget}. */
public final class DfgetMain {
    private DfgetMain() {}

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line: bad input prints one line and exits with {@link ExitCodes#USAGE}. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new DfgetCommand());
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
