package org.irpverbs.ib.shell;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.felix.service.command.Descriptor;
import org.irpverbs.hca.core.HcaDevice;
import org.irpverbs.ibal.Ibal;
import org.irpverbs.ibal.IbalCa;
import org.irpverbs.ibal.IbalChild;
import org.irpverbs.ibal.IbalObjects;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.IoManager;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.irp.PnpState;
import org.irpverbs.verbs.CaAttributes;
import org.irpverbs.verbs.PortAttributes;
import org.irpverbs.verbs.Verbs;
import org.irpverbs.verbs.VerbsInterface;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * Gogo commands for IBAL, the access layer (scope {@code ib}):
 * <ul>
 * <li>{@code ib:devices [-d hca]}: the device tree, HCA stack → IBAL → port children → the
 * devices on them, with drivers, PnP states and requests in flight;</li>
 * <li>{@code ib:stat [-d hca] [-p port]}: the CAs and their ports as ibstat prints them;</li>
 * <li>{@code ib:objects}: IBAL's object tree per client, with reference counts.</li>
 * </ul>
 * The {@link Ibal} service is optional (dynamic, greedy): without IBAL, {@code ib:devices} shows
 * the HCA stacks and says IBAL is not running, {@code ib:stat} still answers from the HCAs'
 * verbs, and {@code ib:objects} says there is nothing to show. Runs on the shell's thread
 * (PASSIVE), where waiting for a verb's promise is allowed.
 *
 * <p>Thread-safe: the IBAL reference is volatile; unbind compares before clearing.
 */
@Component(service = IbalCommands.class, property = {
    "osgi.command.scope=ib",
    "osgi.command.function=devices",
    "osgi.command.function=stat",
    "osgi.command.function=objects"
})
public final class IbalCommands {
    static final CommandLine.Spec DEVICES = new CommandLine.Spec("ib:devices", "", 0,
            "The device tree: each HCA's stack, IBAL's binding to it, IBAL's port children and the devices on them"
                    + " (driver, PnP state, requests in flight).",
            new CommandLine.Option("-d", "--ib-dev", "hca", "only this HCA"));
    static final CommandLine.Spec STAT = new CommandLine.Spec("ib:stat", "", 0,
            "The CAs and their ports as ibstat prints them (QUERY_CA, QUERY_PORT).",
            new CommandLine.Option("-d", "--ib-dev", "hca", "only this CA"),
            new CommandLine.Option("-p", "--port", "port", "only this port"));
    static final CommandLine.Spec OBJECTS = new CommandLine.Spec("ib:objects", "", 0,
            "IBAL's object tree of each client (PD, CQ, QP, MR, AH, multicast attachments) with reference counts.");

    private final IoManager io;
    private volatile Ibal ibal;

    @Activate
    public IbalCommands(@Reference(name = "io") IoManager io) {
        this.io = io;
    }

    /** For tests: commands over a given IBAL (null: none). */
    IbalCommands(IoManager io, Ibal ibal) {
        this.io = io;
        this.ibal = ibal;
    }

    @Reference(name = "ibal", cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindIbal(Ibal service) {
        this.ibal = service;
    }

    void unbindIbal(Ibal service) {
        if (this.ibal == service) {
            this.ibal = null;
        }
    }

    @Descriptor("show the device tree: HCA stacks, IBAL on each HCA, its port children and the devices on them")
    public String devices(@Descriptor("[-d <hca>] [-h]: one HCA, this usage") String... args) {
        CommandLine line = DEVICES.parse(args);
        if (line.help) {
            return DEVICES.usage();
        }
        return run(DEVICES, () -> devicesReport(line.value("-d")));
    }

    @Descriptor("show the CAs and their ports as ibstat does: type, firmware, GUIDs, port state, rate, LIDs, capability mask")
    public String stat(@Descriptor("[-d <hca>] [-p <port>] [-h]: one CA, one port, this usage") String... args) {
        CommandLine line = STAT.parse(args);
        if (line.help) {
            return STAT.usage();
        }
        return run(STAT, () -> statReport(line.value("-d"), line.number("-p", 0, 1, PerftestArgs.MAX_PORT)));
    }

    @Descriptor("show IBAL's object tree of each client, with reference counts")
    public String objects(@Descriptor("[-h]: this usage") String... args) {
        CommandLine line = OBJECTS.parse(args);
        if (line.help) {
            return OBJECTS.usage();
        }
        return run(OBJECTS, this::objectsReport);
    }

    private interface Report {
        String make();
    }

    private String run(CommandLine.Spec spec, Report report) {
        try {
            settle();
            return report.make();
        } catch (Interrupted | IllegalStateException | IllegalArgumentException e) {
            throw spec.failure(e.getMessage());
        }
    }

    /**
     * Waits (on the shell's PASSIVE thread) until PnP, the interface registrations on the system
     * worker (which bind IBAL to HCAs) and IBAL's own queue have done what was queued, a few
     * rounds, since each may queue work for the others: a command run right after start-up sees
     * IBAL bound to every HCA.
     */
    private void settle() {
        for (int round = 0; round < 3; round++) {
            Hcas.settle(io);
            java.util.concurrent.CountDownLatch worker = new java.util.concurrent.CountDownLatch(1);
            io.queueWorkItem(worker::countDown);
            Await.latch(worker, "the system worker");
            Ibal current = ibal;
            if (current != null) {
                Await.stage(current.idle(), "IBAL");
            }
        }
    }

    // ---- ib:devices ----

    String devicesReport(String only) {
        Ibal current = ibal;
        List<HcaDevice> hcas = Hcas.all(io).stream().filter(h -> only == null || h.name().equals(only)).toList();
        if (only != null && hcas.isEmpty()) {
            Hcas.named(io, only); // throws, naming what there is
        }
        StringBuilder out = new StringBuilder();
        DeviceObject ibalDevice = current == null ? null : ibalDevice();
        if (current == null) {
            out.append("IBAL: not running (no Ibal service)\n");
        } else {
            out.append("IBAL: ").append(ibalDevice == null ? "(device gone)" : ibalDevice.name() + " (" + ibalDevice.driver().name()
                    + ", " + ibalDevice.pnpState() + ", in flight " + ibalDevice.statistics().inFlight() + ")").append(", ")
                    .append(current.cas().size()).append(" CA(s), ").append(current.clients().size())
                    .append(" registered client(s)\n");
        }
        for (HcaDevice hca : hcas) {
            out.append('\n').append(hca.name()).append('\n');
            out.append("  stack (top first):\n");
            for (DeviceObject d = hca.device().attachedTop(); d != null; d = d.lowerDevice()) {
                out.append("    ").append(describe(d)).append('\n');
            }
            IbalCa ca = current == null ? null : caOn(current, hca.device());
            if (current == null) {
                continue;
            }
            if (ca == null) {
                out.append("  IBAL: not bound (").append(hca.state()).append(")\n");
                continue;
            }
            out.append("  IBAL: ").append(ca.state());
            if (ca.interfaceVersion() != 0) {
                out.append(", verbs interface ").append(VerbsInterface.toString(ca.interfaceVersion()));
            }
            if (ca.problem() != null) {
                out.append(": ").append(ca.problem()).append(" (").append(NtStatus.name(ca.problemStatus())).append(')');
            }
            out.append('\n');
            List<PortAttributes> ports = ca.ports();
            List<IbalChild> children = ca.children();
            for (PortAttributes port : ports) {
                IbalChild child = children.stream().filter(c -> c.portNumber() == port.port()).findFirst().orElse(null);
                out.append(String.format("    port %d  %-6s ", port.port(), port.state()));
                if (child == null) {
                    out.append("no child (IBAL reports a child only for an ACTIVE port)\n");
                    continue;
                }
                out.append(String.join(",", child.hardwareIds())).append('\\').append(child.instanceId()).append('\n');
                for (DeviceObject d = child.device(); d != null; d = d.attachedDevice()) {
                    out.append(d == child.device() ? "      " : "      └─ ").append(describe(d)).append('\n');
                }
            }
        }
        if (current != null) {
            for (IbalCa ca : current.cas()) {
                if (hcas.stream().noneMatch(h -> h.device() == ca.hcaDevice()) && only == null) {
                    out.append('\n').append(ca.name()).append(" (not an HCA function device of this manager)\n  IBAL: ")
                            .append(ca.state()).append(ca.problem() == null ? "" : ": " + ca.problem()).append('\n');
                }
            }
        }
        return out.toString();
    }

    private DeviceObject ibalDevice() {
        for (DeviceObject d : io.devices()) {
            if (d.interfaces().contains(org.irpverbs.ibal.IbalIds.IBAL_DEVICE_INTERFACE) && d.pnpState() != PnpState.DELETED) {
                return d;
            }
        }
        return null;
    }

    private static IbalCa caOn(Ibal ibal, DeviceObject hca) {
        for (IbalCa ca : ibal.cas()) {
            if (ca.hcaDevice() == hca) {
                return ca;
            }
        }
        return null;
    }

    /** {@code name  [KIND]  driver  PNP_STATE  in flight n}. */
    private static String describe(DeviceObject d) {
        return String.format("%-26s %-8s %-14s %-12s in flight %d", d.name(), d.kind(), d.driver().name(), d.pnpState(),
                d.statistics().inFlight());
    }

    // ---- ib:stat ----

    String statReport(String only, int onlyPort) {
        List<HcaDevice> hcas = Hcas.started(io).stream().filter(h -> only == null || h.name().equals(only)).toList();
        if (only != null && hcas.isEmpty()) {
            Hcas.named(io, only);
        }
        StringBuilder out = new StringBuilder();
        for (HcaDevice hca : hcas) {
            Verbs verbs = new Verbs(io, hca.device());
            CaAttributes ca = Await.value(verbs.queryCa(), "QUERY_CA on " + hca.name());
            if (onlyPort > ca.physicalPorts()) {
                throw STAT.failure("-p must be 1.." + ca.physicalPorts() + " on " + hca.name() + ", was " + onlyPort);
            }
            out.append("CA '").append(hca.name()).append("'\n");
            out.append("\tCA type: ").append(ca.model()).append('\n');
            out.append("\tNumber of ports: ").append(ca.physicalPorts()).append('\n');
            out.append("\tFirmware version: ").append(ca.firmwareVersion()).append('\n');
            out.append("\tHardware version: ").append(Integer.toHexString(ca.hardwareVersion())).append('\n');
            out.append("\tNode GUID: ").append(guid(ca.nodeGuid())).append('\n');
            out.append("\tSystem image GUID: ").append(guid(ca.systemImageGuid())).append('\n');
            for (int p = 1; p <= ca.physicalPorts(); p++) {
                if (onlyPort != 0 && p != onlyPort) {
                    continue;
                }
                PortAttributes port = Await.value(verbs.queryPort(p), "QUERY_PORT " + p + " on " + hca.name());
                out.append("\tPort ").append(p).append(":\n");
                out.append("\t\tState: ").append(stateName(port)).append('\n');
                out.append("\t\tPhysical state: ").append(port.physicalStateName()).append('\n');
                out.append("\t\tRate: ").append(rate(port.rateGbps())).append('\n');
                out.append("\t\tBase lid: ").append(port.lid()).append('\n');
                out.append("\t\tLMC: 0\n");
                out.append("\t\tSM lid: ").append(port.smLid()).append('\n');
                out.append("\t\tCapability mask: ").append(String.format("0x%08x", port.capabilityMask())).append('\n');
                out.append("\t\tPort GUID: ").append(guid(port.portGuid())).append('\n');
                out.append("\t\tLink layer: InfiniBand\n");
            }
        }
        if (hcas.isEmpty()) {
            out.append("no CA is started\n");
        }
        return out.toString();
    }

    private static String stateName(PortAttributes port) {
        return switch (port.state()) {
            case DOWN -> "Down";
            case INIT -> "Initializing";
            case ARMED -> "Armed";
            case ACTIVE -> "Active";
            default -> port.state().name();
        };
    }

    private static String rate(double gbps) {
        return gbps == Math.rint(gbps) ? String.valueOf((long) gbps) : String.valueOf(gbps);
    }

    private static String guid(long guid) {
        return String.format("0x%016x", guid);
    }

    // ---- ib:objects ----

    String objectsReport() {
        Ibal current = ibal;
        if (current == null) {
            return "IBAL is not running: no object trees\n";
        }
        List<IbalObjects> trees = new ArrayList<>(current.objects());
        trees.sort(Comparator.comparing(IbalObjects::client, Hcas.NATURAL_ORDER));
        if (trees.isEmpty()) {
            return "no IBAL client has a device stack running (port drivers attach to IBA\\IPoIB children)\n";
        }
        StringBuilder out = new StringBuilder();
        for (IbalObjects tree : trees) {
            int count = count(tree.roots());
            out.append(tree.client()).append(" on CA ").append(tree.ca()).append(": ").append(count).append(" object")
                    .append(count == 1 ? "" : "s").append('\n');
            for (IbalObjects.Node n : tree.roots()) {
                node(out, n, "  ");
            }
        }
        return out.toString();
    }

    private static void node(StringBuilder out, IbalObjects.Node n, String indent) {
        out.append(indent).append(n.type()).append(' ').append(n.type().equals("MCAST") ? String.format("0x%04x", n.number())
                : String.valueOf(n.number())).append("  references ").append(n.references()).append('\n');
        for (IbalObjects.Node c : n.children()) {
            node(out, c, indent + "  ");
        }
    }

    private static int count(List<IbalObjects.Node> nodes) {
        int c = 0;
        for (IbalObjects.Node n : nodes) {
            c += 1 + count(n.children());
        }
        return c;
    }
}
