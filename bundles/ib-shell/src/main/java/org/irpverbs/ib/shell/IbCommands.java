package org.irpverbs.ib.shell;

import org.irpverbs.irp.IoManager;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Gogo commands for InfiniBand HCAs (scope {@code ib}), found by Gogo through the
 * {@code osgi.command.*} service properties:
 * <ul>
 * <li>{@code ib:devinfo}: every HCA as ibv_devinfo prints it;</li>
 * <li>{@code ib:cmdif}: per HCA, its command interface, resource tables and context memory;</li>
 * <li>{@code ib:write_bw}, {@code ib:read_bw}, {@code ib:send_bw}, {@code ib:send_lat}
 * {@code <hca> <port> <remote hca> <remote port> [-s bytes] [-n iterations] [-t depth]}: perftest
 * between two ports, through the speed path, with the data verified.</li>
 * </ul>
 * A bad argument fails the command with a message that names it. Commands run on the shell's
 * thread at PASSIVE, where waiting for a verb's promise is allowed.
 *
 * <p>Thread-safe: stateless beyond the I/O manager reference (static, mandatory: without a manager
 * there are no HCAs, and the commands are not registered).
 */
@Component(service = IbCommands.class, property = {
    "osgi.command.scope=ib",
    "osgi.command.function=devinfo",
    "osgi.command.function=cmdif",
    "osgi.command.function=write_bw",
    "osgi.command.function=read_bw",
    "osgi.command.function=send_bw",
    "osgi.command.function=send_lat"
})
public final class IbCommands {
    private final IoManager io;

    @Activate
    public IbCommands(@Reference(name = "io") IoManager io) {
        this.io = io;
    }

    /** {@code ib:devinfo}. */
    public String devinfo() {
        Hcas.settle(io);
        return DevInfo.report(io);
    }

    /** {@code ib:cmdif}. */
    public String cmdif() {
        Hcas.settle(io);
        return CmdifReport.report(io);
    }

    /** {@code ib:write_bw hca0 1 hca1 1 -s 65536 -n 1000}. */
    public String write_bw(String... args) {
        return new WriteBandwidth(io, PerftestArgs.parse("write_bw", false, args)).run();
    }

    /** {@code ib:read_bw hca0 1 hca1 1 -s 65536 -n 1000}. */
    public String read_bw(String... args) {
        return new ReadBandwidth(io, PerftestArgs.parse("read_bw", false, args)).run();
    }

    /** {@code ib:send_bw hca0 1 hca1 1 -s 65536 -n 1000}. */
    public String send_bw(String... args) {
        return new SendBandwidth(io, PerftestArgs.parse("send_bw", false, args)).run();
    }

    /** {@code ib:send_lat hca0 1 hca1 1 -s 2 -n 1000}. */
    public String send_lat(String... args) {
        return new SendLatency(io, PerftestArgs.parse("send_lat", true, args)).run();
    }
}
