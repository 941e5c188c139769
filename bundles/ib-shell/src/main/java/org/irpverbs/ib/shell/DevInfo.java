package org.irpverbs.ib.shell;

import java.util.List;
import org.irpverbs.hca.core.HcaDevice;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.IoManager;
import org.irpverbs.verbs.CaAttributes;
import org.irpverbs.verbs.PortAttributes;
import org.irpverbs.verbs.Verbs;

/**
 * {@code ib:devinfo}: every started HCA as ibv_devinfo prints it (QUERY_CA, then QUERY_PORT for
 * each port, so the port state and LID are what the port's management agent reports), then the soft
 * HCAs no driver runs. The options are ibv_devinfo's: {@code -d <hca>}, {@code -i <port>},
 * {@code -l} (names only), {@code -v} (limits too). Runs on the shell's thread (PASSIVE).
 */
final class DevInfo {
    static final CommandLine.Spec SPEC = new CommandLine.Spec("ib:devinfo", "", 0,
            "The HCAs as ibv_devinfo prints them (QUERY_CA, QUERY_PORT), then the HCAs no driver runs.",
            new CommandLine.Option("-d", "--ib-dev", "hca", "only this HCA"),
            new CommandLine.Option("-i", "--ib-port", "port", "only this port"),
            new CommandLine.Option("-l", "--list", null, "only the HCA names"),
            new CommandLine.Option("-v", "--verbose", null, "also the HCA's limits (max_qp, max_cqe, ...) and the"
                    + " port's GID prefix and P_Keys"));

    private DevInfo() {}

    /** {@code ib:devinfo} with no options. */
    static String report(IoManager io) {
        return report(io, SPEC.parse());
    }

    static String report(IoManager io, CommandLine line) {
        String only = line.value("-d");
        List<HcaDevice> hcas = Hcas.started(io).stream().filter(h -> only == null || h.name().equals(only)).toList();
        List<DeviceObject> unclaimed = Hcas.unclaimed(io).stream().filter(d -> only == null || d.name().equals(only))
                .toList();
        if (only != null && hcas.isEmpty() && unclaimed.isEmpty()) {
            try {
                Hcas.named(io, only);
            } catch (IllegalArgumentException e) {
                throw SPEC.failure("-d: " + e.getMessage());
            }
        }
        if (line.has("-l")) {
            StringBuilder out = new StringBuilder(hcas.size() + " HCA" + (hcas.size() == 1 ? "" : "s") + " found:\n");
            hcas.forEach(h -> out.append('\t').append(h.name()).append('\n'));
            unclaimed.forEach(d -> out.append("\t(no driver) ").append(d.name()).append('\n'));
            return out.toString();
        }
        int onlyPort = line.number("-i", 0, 1, PerftestArgs.MAX_PORT);
        boolean verbose = line.has("-v");
        StringBuilder out = new StringBuilder();
        for (HcaDevice hca : hcas) {
            Verbs verbs = new Verbs(io, hca.device());
            CaAttributes ca = Await.value(verbs.queryCa(), "QUERY_CA on " + hca.name());
            if (onlyPort > ca.physicalPorts()) {
                throw SPEC.failure("-i must be 1.." + ca.physicalPorts() + " on " + hca.name() + ", was " + onlyPort);
            }
            out.append("hca_id:\t").append(hca.name()).append('\n');
            field(out, 1, "transport", "InfiniBand (0)");
            field(out, 1, "model", ca.model());
            field(out, 1, "driver", hca.device().driver().name() + ", context memory " + hca.memoryMode());
            field(out, 1, "fw_ver", ca.firmwareVersion());
            field(out, 1, "node_guid", guid(ca.nodeGuid()));
            field(out, 1, "sys_image_guid", guid(ca.systemImageGuid()));
            field(out, 1, "vendor_id", String.format("0x%04x", ca.vendorId()));
            field(out, 1, "vendor_part_id", String.valueOf(ca.vendorPartId()));
            field(out, 1, "hw_ver", String.format("0x%X", ca.hardwareVersion()));
            field(out, 1, "phys_port_cnt", String.valueOf(ca.physicalPorts()));
            if (verbose) {
                field(out, 1, "max_qp", String.valueOf(ca.maxQp()));
                field(out, 1, "max_qp_wr", String.valueOf(ca.maxQpWr()));
                field(out, 1, "max_sge", String.valueOf(ca.maxSge()));
                field(out, 1, "max_cq", String.valueOf(ca.maxCq()));
                field(out, 1, "max_cqe", String.valueOf(ca.maxCqe()));
                field(out, 1, "max_mr", String.valueOf(ca.maxMr()));
                field(out, 1, "max_pd", String.valueOf(ca.maxPd()));
                field(out, 1, "max_mcast_grp", String.valueOf(ca.maxMcastGroups()));
                field(out, 1, "max_inline_data", String.valueOf(ca.maxInlineData()));
            }
            for (int port = 1; port <= ca.physicalPorts(); port++) {
                if (onlyPort != 0 && port != onlyPort) {
                    continue;
                }
                PortAttributes p = Await.value(verbs.queryPort(port), "QUERY_PORT " + port + " on " + hca.name());
                out.append("\t\tport:\t").append(port).append('\n');
                field(out, 3, "state", "PORT_" + p.state() + " (" + (p.state().ordinal() + 1) + ")");
                field(out, 3, "max_mtu", p.maxMtu().bytes() + " (" + p.maxMtu().code() + ")");
                field(out, 3, "active_mtu", p.activeMtu().bytes() + " (" + p.activeMtu().code() + ")");
                field(out, 3, "sm_lid", String.valueOf(p.smLid()));
                field(out, 3, "port_lid", String.valueOf(p.lid()));
                field(out, 3, "port_guid", guid(p.portGuid()));
                field(out, 3, "link_layer", "InfiniBand");
                if (verbose) {
                    field(out, 3, "gid_prefix", guid(p.gidPrefix()));
                    field(out, 3, "pkey_tbl_len", String.valueOf(p.pkeys().length));
                    StringBuilder pkeys = new StringBuilder();
                    for (int pkey : p.pkeys()) {
                        pkeys.append(pkeys.length() == 0 ? "" : " ").append(String.format("0x%04x", pkey));
                    }
                    field(out, 3, "pkeys", pkeys.toString());
                }
            }
            out.append('\n');
        }
        for (DeviceObject pdo : unclaimed) {
            out.append("(no driver) ").append(pdo.name()).append(": ").append(String.join(", ", pdo.hardwareIds()))
                    .append('\n');
        }
        if (out.length() == 0) {
            return "No IB devices found\n";
        }
        return out.toString();
    }

    private static void field(StringBuilder out, int depth, String name, String value) {
        out.append("\t".repeat(depth)).append(name).append(':');
        int width = depth * 8 + name.length() + 1;
        int column = depth == 1 ? 40 : 48;
        do {
            out.append('\t');
            width = (width / 8 + 1) * 8;
        } while (width < column);
        out.append(value).append('\n');
    }

    /** {@code 0002:c903:0000:1000}, as ibv_devinfo writes GUIDs. */
    static String guid(long guid) {
        String hex = String.format("%016x", guid);
        return hex.substring(0, 4) + ":" + hex.substring(4, 8) + ":" + hex.substring(8, 12) + ":" + hex.substring(12);
    }
}
