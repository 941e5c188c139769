package org.irpverbs.shell;

import java.util.function.Supplier;
import org.apache.felix.service.command.Descriptor;
import org.irpverbs.irp.IoManager;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Gogo commands for the I/O manager, found by Gogo through the {@code osgi.command.*} service
 * properties:
 * <ul>
 * <li>{@code irp:stacks}: every device stack from top to bottom (kind, name, driver, PnP state,
 * requests in flight, a PDO's hardware IDs) and the bus relations as a tree;</li>
 * <li>{@code irp:stats}: per-device request counters, blocking violations at DISPATCH and driver
 * bugs reported by the verifier.</li>
 * </ul>
 * Both carry a Gogo {@link Descriptor} (for {@code help}), print their usage for {@code -h} or
 * {@code --help} and take nothing else: they take their arguments as strings, so that anything
 * else fails with one line ({@link UsageFailure}) instead of Gogo's coercion error.
 *
 * <p>The I/O manager reference is static and mandatory: without a manager there is nothing to show,
 * so the commands are simply not registered. Commands run on the shell's thread at PASSIVE and
 * only read snapshots. Thread-safe.
 */
@Component(service = IrpCommands.class, property = {
    "osgi.command.scope=irp",
    "osgi.command.function=stacks",
    "osgi.command.function=stats"
})
public final class IrpCommands {
    static final String STACKS_USAGE = "usage: irp:stacks\n\nEvery device stack from top to bottom (kind, name, driver,"
            + " PnP state, requests in flight, a PDO's hardware IDs), then the bus relations as a tree.\n\n"
            + "  -h, --help  print this usage\n";
    static final String STATS_USAGE = "usage: irp:stats\n\nPer device: requests in flight, completed, failed, cancelled"
            + " and timed out, and the driver's details; then blocking at DISPATCH and driver bugs found by the"
            + " verifier, with the most recent. Lines fit " + IrpReports.WIDTH + " columns.\n\n"
            + "  -h, --help  print this usage\n";

    private final IoManager io;

    @Activate
    public IrpCommands(@Reference(name = "io") IoManager io) {
        this.io = io;
    }

    @Descriptor("show every device stack, top to bottom, and the bus relations")
    public String stacks(@Descriptor("-h: this usage; nothing else") String... args) {
        return run("irp:stacks", STACKS_USAGE, args, () -> IrpReports.stacks(io));
    }

    @Descriptor("show request counters per device, blocking at DISPATCH and driver bugs")
    public String stats(@Descriptor("-h: this usage; nothing else") String... args) {
        return run("irp:stats", STATS_USAGE, args, () -> IrpReports.stats(io));
    }

    private static String run(String command, String usage, String[] args, Supplier<String> report) {
        if (args == null || args.length == 0) {
            return report.get();
        }
        if (args.length == 1 && (args[0].equals("-h") || args[0].equals("--help"))) {
            return usage;
        }
        String what = args[0].startsWith("-") ? "unknown option " + args[0] + "; it takes only -h"
                : "takes no arguments, got " + String.join(" ", args);
        throw new UsageFailure(command + ": " + what + " ('" + command + " -h' shows the usage)");
    }

    /** Bad arguments, in one line; {@code toString()} is the message, which Gogo prints without a class name. */
    static final class UsageFailure extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        UsageFailure(String message) {
            super(message);
        }

        @Override
        public String toString() {
            return getMessage();
        }
    }
}
