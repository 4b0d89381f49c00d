package io.smalldragonfly.dfget;

import io.smalldragonfly.dfget.peer.PeerCli;
import io.smalldragonfly.dfget.peer.PeerDownloads;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine;

/** dfget's command line (picocli): the full command, here or, for a thin client, in the peer process. */
public final class DfgetCli {
    private DfgetCli() {}

    /** The full command: {@code dfget server}, help, version, or a download with no peer process to take it yet. */
    static void main(String[] args) {
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

    /**
     * The peer process's side of a thin client ({@link PeerCli.Runner}): the client's command line
     * run in this JVM, its download on this process's engine, its output to the client.
     */
    public static PeerCli.Runner runnerFor(Path home, PeerDownloads downloads) {
        Path peerHome = home.toAbsolutePath().normalize();
        return (request, session) -> {
            List<String> args = request.args();
            if (!args.isEmpty() && args.get(0).equals("server")) {
                session.err().println("dfget: 'server' runs in a process of its own (see 'dfget server --help')");
                return ExitCodes.USAGE;
            }
            CommandLine cl = configure(new CommandLine(new DfgetCommand(
                    new DfgetCommand.ForClient(request, session, peerHome, downloads))));
            cl.setOut(session.out());
            cl.setErr(session.err());
            return cl.execute(args.toArray(String[]::new));
        };
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
