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
 * HCAs no driver runs. Runs on the shell's thread (PASSIVE).
 */
final class DevInfo {
    private DevInfo() {}

    static String report(IoManager io) {
        StringBuilder out = new StringBuilder();
        List<HcaDevice> hcas = Hcas.started(io);
        for (HcaDevice hca : hcas) {
            Verbs verbs = new Verbs(io, hca.device());
            CaAttributes ca = Await.value(verbs.queryCa(), "QUERY_CA on " + hca.name());
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
            for (int port = 1; port <= ca.physicalPorts(); port++) {
                PortAttributes p = Await.value(verbs.queryPort(port), "QUERY_PORT " + port + " on " + hca.name());
                out.append("\t\tport:\t").append(port).append('\n');
                field(out, 3, "state", "PORT_" + p.state() + " (" + (p.state().ordinal() + 1) + ")");
                field(out, 3, "max_mtu", p.maxMtu().bytes() + " (" + p.maxMtu().code() + ")");
                field(out, 3, "active_mtu", p.activeMtu().bytes() + " (" + p.activeMtu().code() + ")");
                field(out, 3, "sm_lid", String.valueOf(p.smLid()));
                field(out, 3, "port_lid", String.valueOf(p.lid()));
                field(out, 3, "port_guid", guid(p.portGuid()));
                field(out, 3, "link_layer", "InfiniBand");
            }
            out.append('\n');
        }
        for (DeviceObject pdo : Hcas.unclaimed(io)) {
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
