package org.irpverbs.ib.shell;

import java.io.PrintStream;
import java.lang.reflect.Method;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Process;

/**
 * The progress line on the Gogo session's terminal: written to the command's error stream with a
 * carriage return, so that each line overwrites the one before, and blanked at the end.
 *
 * <p>Shown only when the error stream is the session's terminal: Gogo says it is not redirected
 * ({@link Process#isTty(int)}), and the session's jline terminal (the {@code .terminal} session
 * variable that gogo.jline sets) is not a dumb one. jline makes a dumb terminal when the JVM's
 * output is not a terminal, as with {@code bin/irpverbs -c ... > file} or a pipe, so the output
 * of {@code -c} carries no progress then. Sessions without a jline terminal (a program's own
 * {@code CommandSession}) get no progress either.
 */
final class TerminalProgress implements ProgressDisplay {
    private final PrintStream out;
    private int shown;

    private TerminalProgress(PrintStream out) {
        this.out = out;
    }

    /** The display for the command running on this thread. */
    static ProgressDisplay forCurrentCommand() {
        Process process = Process.Utils.current();
        if (process == null || !process.isTty(2) || process.job() == null) {
            return NONE;
        }
        return realTerminal(process.job().session()) ? new TerminalProgress(process.err()) : NONE;
    }

    /** True if the session has a jline terminal that is not dumb (jline is not a compile-time dependency). */
    private static boolean realTerminal(CommandSession session) {
        Object terminal = session == null ? null : session.get(".terminal");
        if (terminal == null) {
            return false;
        }
        try {
            Method type = Class.forName("org.jline.terminal.Terminal", false, terminal.getClass().getClassLoader())
                    .getMethod("getType");
            Object name = type.invoke(terminal);
            return name instanceof String s && !s.startsWith("dumb");
        } catch (ReflectiveOperationException | LinkageError e) {
            return false;
        }
    }

    @Override
    public void show(String line) {
        out.print("\r" + line + " ".repeat(Math.max(0, shown - line.length())));
        out.flush();
        shown = line.length();
    }

    @Override
    public void interrupted(String line) {
        clear();
        out.println(line);
        out.flush();
    }

    @Override
    public void clear() {
        if (shown > 0) {
            out.print("\r" + " ".repeat(shown) + "\r");
            out.flush();
            shown = 0;
        }
    }
}
