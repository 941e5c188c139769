package org.irpverbs.shell;

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
 * Both take no arguments (Gogo rejects extra ones) and return the text, which Gogo prints.
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
    private final IoManager io;

    @Activate
    public IrpCommands(@Reference(name = "io") IoManager io) {
        this.io = io;
    }

    /** {@code irp:stacks}. */
    public String stacks() {
        return IrpReports.stacks(io);
    }

    /** {@code irp:stats}. */
    public String stats() {
        return IrpReports.stats(io);
    }
}
