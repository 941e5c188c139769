package org.irpverbs.ib.shell;

import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.felix.service.command.Descriptor;
import org.irpverbs.irp.IoManager;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Gogo commands for InfiniBand HCAs (scope {@code ib}), found by Gogo through the
 * {@code osgi.command.*} service properties:
 * <ul>
 * <li>{@code ib:devinfo [-d hca] [-i port] [-l] [-v]}: the HCAs as ibv_devinfo prints them;</li>
 * <li>{@code ib:cmdif [-d hca]}: per HCA, its command interface, resource tables and context memory;</li>
 * <li>{@code ib:write_bw}, {@code ib:read_bw}, {@code ib:send_bw}, {@code ib:send_lat}
 * {@code <hca> <port> <remote hca> <remote port> [-s bytes] [-n iterations | -D seconds] [-t depth]}:
 * perftest between two ports, through the speed path, with the data verified.</li>
 * </ul>
 * Every command and its arguments carry a Gogo {@link Descriptor} (for {@code help}), and every
 * command prints its usage for {@code -h} or {@code --help}. Each takes its arguments as strings
 * and parses them itself, so that a bad argument fails with one line naming it
 * ({@link CommandFailure}) instead of Gogo's coercion error. Commands run on the shell's thread at
 * PASSIVE, where waiting for a verb's promise is allowed; a perftest shows its progress on a
 * terminal, and an interrupt (Ctrl-C) stops it, releasing what it made.
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
    private static final String PERFTEST_ARGUMENTS = "<hca> <port> <remote hca> <remote port> [-s bytes]"
            + " [-n iterations | -D seconds] [-t tx depth] [-h]";

    private final IoManager io;
    private final Supplier<ProgressDisplay> progress;

    @Activate
    public IbCommands(@Reference(name = "io") IoManager io) {
        this(io, TerminalProgress::forCurrentCommand);
    }

    /** @param progress where each perftest run shows its progress (tests record it) */
    IbCommands(IoManager io, Supplier<ProgressDisplay> progress) {
        this.io = io;
        this.progress = progress;
    }

    @Descriptor("list the HCAs as ibv_devinfo does: model, driver, firmware, GUIDs, ports; HCAs without a driver")
    public String devinfo(@Descriptor("[-d <hca>] [-i <port>] [-l] [-v] [-h]: one HCA, one port, names only, limits"
            + " too, this usage") String... args) {
        return report(DevInfo.SPEC, args, line -> DevInfo.report(io, line));
    }

    @Descriptor("show each HCA's command interface (outstanding, queued, commands per opcode), tables and context memory")
    public String cmdif(@Descriptor("[-d <hca>] [-h]: one HCA, this usage") String... args) {
        return report(CmdifReport.SPEC, args, line -> CmdifReport.report(io, line));
    }

    @Descriptor("RDMA WRITE bandwidth between two HCA ports, as ib_write_bw (-h for the options)")
    public String write_bw(@Descriptor(PERFTEST_ARGUMENTS) String... args) {
        return perftest("write_bw", false, WriteBandwidth.DESCRIPTION, args, a -> new WriteBandwidth(io, a));
    }

    @Descriptor("RDMA READ bandwidth between two HCA ports, as ib_read_bw (-h for the options)")
    public String read_bw(@Descriptor(PERFTEST_ARGUMENTS) String... args) {
        return perftest("read_bw", false, ReadBandwidth.DESCRIPTION, args, a -> new ReadBandwidth(io, a));
    }

    @Descriptor("SEND bandwidth between two HCA ports, as ib_send_bw (-h for the options)")
    public String send_bw(@Descriptor(PERFTEST_ARGUMENTS) String... args) {
        return perftest("send_bw", false, SendBandwidth.DESCRIPTION, args, a -> new SendBandwidth(io, a));
    }

    @Descriptor("SEND latency between two HCA ports, as ib_send_lat (-h for the options)")
    public String send_lat(@Descriptor("<hca> <port> <remote hca> <remote port> [-s bytes] [-n iterations | -D seconds]"
            + " [-h]") String... args) {
        return perftest("send_lat", true, SendLatency.DESCRIPTION, args, a -> new SendLatency(io, a));
    }

    /** Parses, prints the usage for -h, waits for PnP to settle, runs {@code report}; one line on failure. */
    private String report(CommandLine.Spec spec, String[] args, Function<CommandLine, String> report) {
        CommandLine line = spec.parse(args);
        if (line.help) {
            return spec.usage();
        }
        try {
            Hcas.settle(io);
            return report.apply(line);
        } catch (Interrupted | IllegalStateException | IllegalArgumentException e) {
            throw spec.failure(e.getMessage());
        }
    }

    private String perftest(String command, boolean latency, String description, String[] args,
            Function<PerftestArgs, Perftest> test) {
        CommandLine line = PerftestArgs.spec(command, latency, description).parse(args);
        if (line.help) {
            return line.spec.usage();
        }
        return test.apply(PerftestArgs.from(command, line)).run(progress.get());
    }
}
