package org.irpverbs.hca.bus;

import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.IoManager;

/**
 * The extension of the bus's function device: the manager it lives in and the physical devices it
 * reports, by configuration key. The children are changed only on the PnP manager's serial queue
 * (QUERY_DEVICE_RELATIONS); the map is lock-free so shells may read it meanwhile.
 */
final class HcaBus {
    final IoManager io;
    final Map<String, DeviceObject> children = new ConcurrentSkipListMap<>();

    HcaBus(IoManager io) {
        this.io = io;
    }

    @Override
    public String toString() {
        return "soft HCA bus, children " + children.keySet();
    }
}
