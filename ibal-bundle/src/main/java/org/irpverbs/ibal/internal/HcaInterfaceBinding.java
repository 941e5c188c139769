package org.irpverbs.ibal.internal;

import java.util.ArrayList;
import java.util.List;
import org.irpverbs.irp.DeviceInterfaceListener;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.verbs.VerbsInterface;

/**
 * Outside OSGi, what DS does for {@link IbalComponent}'s {@code hca} reference: an I/O manager's
 * interface listener that tells IBAL of every HCA function device offering
 * {@value VerbsInterface#DEVICE_INTERFACE} as it comes and goes, including those that came before
 * IBAL was bound. Used by the tests' rig and the benchmark harness, which build IBAL by hand.
 *
 * <p>Thread-safe; the listener's calls come on the I/O manager's system worker (PASSIVE).
 */
public final class HcaInterfaceBinding implements DeviceInterfaceListener {
    private final List<DeviceObject> enabled = new ArrayList<>();
    private IbalCore core;

    @Override
    public synchronized void interfaceEnabled(DeviceObject device, String interfaceName) {
        if (VerbsInterface.DEVICE_INTERFACE.equals(interfaceName)) {
            enabled.add(device);
            if (core != null) {
                core.hcaArrived(device);
            }
        }
    }

    @Override
    public synchronized void interfaceDisabled(DeviceObject device, String interfaceName) {
        if (VerbsInterface.DEVICE_INTERFACE.equals(interfaceName) && enabled.remove(device) && core != null) {
            core.hcaLeft(device);
        }
    }

    /** From now on the HCAs go to {@code ibal}, starting with those already there. */
    public synchronized void bind(IbalCore ibal) {
        core = ibal;
        for (DeviceObject d : enabled) {
            ibal.hcaArrived(d);
        }
    }

    /** As DS unbinding the reference when the component goes: IBAL hears of no more HCAs. */
    public synchronized void unbind() {
        core = null;
    }
}
